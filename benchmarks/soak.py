"""Soak test: drive the window for N minutes and watch memory and responsiveness.

    python benchmarks/soak.py [--minutes 10] [--data-dir D] [--visible]

Training runs back to back (tutorial settings, 3 epochs each, real MNIST), while strokes are
drawn on the probe's canvas every 40 ms (cleared every few seconds), the atlas is clicked
every second, and the tabs rotate. Prints peak RSS, RSS growth per minute after a one-minute
warm-up, the stalls a 5 ms main-thread timer saw (p99, max), and what was exercised. Goal: no
crash, growth < 5 MB/min. Not part of the test suite.

RSS swings by ~200 MB with every run (the training set is loaded and converted per run, then
freed), so growth is measured on samples taken at the same point of each cycle: when a run has
just ended and its worker is done (least-squares slope over those, after the warm-up).
"""

from __future__ import annotations

import math
import resource
import sys
import time

import numpy as np
from common import open_window, print_stalls, window_benchmark_args


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    args = window_benchmark_args(__doc__, lambda p: p.add_argument("--minutes", type=float, default=10.0))
    from PySide6.QtCore import QElapsedTimer, QPointF, QTimer

    from sae_desktop.config import TrainConfig
    from sae_desktop.data import load_dataset

    load_dataset("mnist")  # fail early, clearly, if the data is missing
    app, window = open_window()
    window.panel.set_config(TrainConfig(epochs=3, device="cpu"))
    canvas, atlas = window.probe_view.canvas, window.atlas_view
    rng = np.random.default_rng(0)
    counts = {"runs": 0, "segments": 0, "clicks": 0}
    clock = QElapsedTimer()
    clock.start()
    last, stalls, samples = [clock.nsecsElapsed()], [], []
    t0 = time.monotonic()

    def tick():
        now = clock.nsecsElapsed()
        stalls.append((now - last[0]) / 1e6)
        last[0] = now

    def stroke():
        side = min(canvas.width(), canvas.height())
        x0, y0 = (canvas.width() - side) / 2, (canvas.height() - side) / 2
        step = counts["segments"] % 80
        if step == 0:
            canvas.end_stroke()
            canvas.clear()
        angle = step / 80 * 2 * math.pi
        point = QPointF(x0 + side * (0.5 + 0.3 * math.cos(angle)), y0 + side * (0.5 + 0.3 * math.sin(2 * angle)))
        canvas.continue_stroke(point) if step else canvas.begin_stroke(point)
        counts["segments"] += 1

    def click_atlas():
        snap = window.shown.snapshot
        if atlas.isVisible() and snap is not None:
            atlas.select(int(rng.integers(snap.config.d_latent)))
            counts["clicks"] += 1

    def rotate_tabs():
        views = (window.probe_view, atlas, window.training_view)
        window.tabs.setCurrentWidget(views[int(time.monotonic() / 4) % 3])

    finishing = []

    def keep_training():
        if window.controller.state == "idle" and not finishing:
            if counts["runs"]:
                samples.append((time.monotonic() - t0, rss_mb()))  # same phase each cycle: between runs
            counts["runs"] += 1
            window.start_training()

    def check_time():
        if time.monotonic() - t0 > args.minutes * 60:
            finishing.append(True)
            window.controller.stop()
            if window.controller.state == "idle":
                app.quit()

    schedule = ((5, tick), (40, stroke), (1000, click_atlas), (500, rotate_tabs), (500, keep_training),
                (1000, check_time))
    timers = [QTimer(interval=ms, timeout=fn) for ms, fn in schedule]
    for timer in timers:
        timer.start()
    app.exec()
    for timer in timers:
        timer.stop()
    window.controller.shutdown(3000)
    window.close()
    t, rss = np.array(samples).T
    warm = t > 60
    slope = np.polyfit(t[warm] / 60, rss[warm], 1)[0] if warm.sum() >= 3 else float("nan")
    print(f"soak_minutes {t[-1] / 60:.1f}")
    print(f"runs_started {counts['runs']}  stroke_segments {counts['segments']}  atlas_clicks {counts['clicks']}")
    print(f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    print(f"rss_start_mb {rss[0]:.0f}  rss_end_mb {rss[-1]:.0f}")
    print(f"rss_growth_mb_per_min_after_warmup {slope:.2f}")
    print_stalls(stalls[20:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
