"""How true the window's ETA is: what it said during a run against when the run ended.

    python benchmarks/eta_accuracy.py [--epochs 10] [--data-dir D] [--visible]

Trains the tutorial's settings in the real main window (offscreen unless --visible), reads the
progress panel's figures (``RunState.figures``: what the ETA label shows) every 0.25 s, and
once the run has ended compares each ETA with the time that was really left. Prints, at 10, 25,
50, 75 and 90 % of the run, the ETA shown and the time left (seconds) and their ratio; the
first reading that was not "estimating…"; then the median and worst ratio over every reading
after 10 % with more than a second left. A ratio of 1 is a true ETA; 2 says twice the time
really left. One run per launch (run it again for more: a second window in the same process
trained slower). Needs the real MNIST (``--data-dir`` or ``$SAE_DESKTOP_DATA``). Not a test:
the figures depend on the machine.
"""

from __future__ import annotations

import sys

import numpy as np
from common import open_window, window_benchmark_args

MARKS = (0.10, 0.25, 0.50, 0.75, 0.90)


def one_run(epochs: int) -> list[tuple[float, float, float | None]]:
    """(elapsed s, run fraction, ETA s or None) every 0.25 s of one run in the window; the
    last row is the run's end (fraction 1, ETA 0)."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    from sae_desktop.config import TrainConfig

    app, window = open_window()
    window.panel.set_config(TrainConfig(epochs=epochs, device="cpu"))
    clock = QElapsedTimer()
    readings: list[tuple[float, float, float | None]] = []

    def read():
        figures = window.run.figures()
        if figures is not None and window.run.end is None:
            readings.append((clock.elapsed() / 1000, figures.run_fraction, figures.eta_s))

    def ended(state: str):
        if state == "idle" and clock.isValid():
            readings.append((clock.elapsed() / 1000, 1.0, 0.0))
            app.quit()

    reader = QTimer(interval=250, timeout=read)
    window.run.started.connect(lambda *_: (clock.start(), reader.start()))
    window.controller.stateChanged.connect(ended)
    QTimer.singleShot(200, window.start_training)
    app.exec()
    reader.stop()
    window.close()
    return readings


def main() -> int:
    def more(parser):
        parser.add_argument("--epochs", type=int, default=10)

    args = window_benchmark_args(__doc__, more)
    from sae_desktop.data import load_dataset

    load_dataset("mnist", args.data_dir)  # the clear error if it is missing
    readings = one_run(args.epochs)
    end = readings[-1][0]
    shown = [(t, f, eta) for t, f, eta in readings[:-1] if eta is not None]
    first = min((t for t, _, _ in shown), default=float("nan"))
    print(f"run took {end:.1f} s; first ETA shown at {first:.1f} s")
    for mark in MARKS:
        at = next(((t, eta) for t, f, eta in shown if f >= mark), None)
        if at is not None:
            t, eta = at
            left = end - t
            print(f"  at {mark:4.0%} ({t:5.1f} s): ETA {eta:5.1f} s, really left {left:5.1f} s, "
                  f"ratio {eta / left if left > 0 else float('nan'):.2f}")
    ratios = np.array([eta / (end - t) for t, f, eta in shown if f >= MARKS[0] and end - t > 1.0])
    if ratios.size:
        worst = ratios[np.argmax(np.abs(np.log(ratios)))]
        print(f"eta_ratio_median {np.median(ratios):.2f}")
        print(f"eta_ratio_worst {worst:.2f} (over {len(ratios)} readings after 10 %, with more than 1 s left)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
