"""GUI training throughput and main-thread responsiveness, against headless training.

    python benchmarks/gui_training.py [--epochs 3] [--rounds 3] [--data-dir D] [--visible]

Alternates, ``--rounds`` times: a headless run (``sae-desktop train --json`` in a
subprocess, exactly as a user runs it), a run in the real main window (offscreen unless
--visible), and a second window run with a 5 ms timer on the main thread, all with the same
settings (the tutorial's). Prints the median images/s of the first two (first epoch of
every run left out: warm-up), their ratio, and the intervals the timer saw (p50, p99, max).
The timer gets its own run because it is not free: 200 wake-ups a second, each taking the
GIL from the training thread, cost a few percent of throughput a user would not lose. Alternating matters on shared
machines, whose speed drifts in bursts. Needs the real MNIST (``--data-dir`` or
``$SAE_DESKTOP_DATA``). Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import statistics
import sys

import numpy as np
from common import open_window, print_stalls, window_benchmark_args


def headless_epochs(cfg) -> list[float]:
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-m", "sae_desktop", "train", "--json", "--no-download",
                          "--epochs", str(cfg.epochs), "--device", cfg.device], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.splitlines()[-1])["epoch_seconds"][1:]


def gui_epochs(cfg, with_timer: bool) -> tuple[list[float], list[float]]:
    from PySide6.QtCore import QElapsedTimer, QTimer


    app, window = open_window()
    window.panel.set_config(cfg)
    intervals: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick():
        now = clock.nsecsElapsed()
        intervals.append((now - last[0]) / 1e6)
        last[0] = now

    ticker = QTimer(interval=5, timeout=tick)
    epochs: list[float] = []
    window.controller.epochFinished.connect(lambda out: epochs.append(out.epoch_seconds))
    window.controller.stateChanged.connect(lambda state: state == "idle" and app.quit())
    QTimer.singleShot(200, window.start_training)
    if with_timer:
        QTimer.singleShot(250, ticker.start)
    app.exec()
    ticker.stop()
    window.close()
    window.deleteLater()
    return epochs[1:], intervals[20:]


def main() -> int:
    def more(parser):
        parser.add_argument("--epochs", type=int, default=3)
        parser.add_argument("--rounds", type=int, default=3)

    args = window_benchmark_args(__doc__, more)
    from sae_desktop.config import TrainConfig
    from sae_desktop.data import load_dataset

    cfg = TrainConfig(epochs=max(args.epochs, 2), device="cpu")
    n = len(load_dataset("mnist", args.data_dir).train_images)  # the clear error if it is missing
    headless_s, gui_s, timed_s, intervals = [], [], [], []
    for round_ in range(args.rounds):
        headless_s += headless_epochs(cfg)
        gui_s += gui_epochs(cfg, with_timer=False)[0]
        epochs, ticks = gui_epochs(cfg, with_timer=True)
        timed_s += epochs
        intervals += ticks
        print(f"round {round_ + 1}: headless {headless_s[-1]:.3f} s/epoch, window {gui_s[-1]:.3f}, "
              f"window with 5 ms timer {timed_s[-1]:.3f}", flush=True)
    headless, gui, intervals = n / statistics.median(headless_s), n / statistics.median(gui_s), np.array(intervals)
    print(f"headless_images_per_s {headless:,.0f}")
    print(f"gui_images_per_s {gui:,.0f}")
    print(f"gui_to_headless_ratio {gui / headless:.3f}")
    print(f"gui_with_timer_to_headless_ratio {n / statistics.median(timed_s) / headless:.3f}")
    print_stalls(intervals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
