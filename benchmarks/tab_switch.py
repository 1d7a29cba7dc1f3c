"""Main-thread stall while switching tabs during training (target: max ≤ 50 ms).

    python benchmarks/tab_switch.py [--switches 40] [--runs 150] [--data-dir D] [--visible] [--baseline]

Seeds ``--runs`` finished runs in a throw-away per-user folder (what the Runs tab lists after
a term of teaching), starts the tutorial's training in the real main window (offscreen unless
--visible), and once its first epoch is in (every tab then has something to show) switches
to the next tab every 0.6 s, cycling Training → Probe → Atlas → Runs, as a user clicking
through them does. A 5 ms timer on the main thread records every interval; for each switch
the longest interval within 0.5 s of it is its stall. Prints the stall per target tab (median,
max) and over all switches (p50, p99, max), and the longest interval within 0.15 s of an
epoch's end and elsewhere. On a virtual machine the hypervisor may run another guest on our
CPUs ("steal", /proc/stat): the share it took from the main thread's CPU, and the stalls
less what it took in each interval (the app's own part). ``--baseline``: the same windows
without switching (the stall that training alone causes). Needs the real MNIST (``--data-dir``
or ``$SAE_DESKTOP_DATA``). Not a test: the figures depend on the machine and its load.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
from common import current_cpu, host_steal_ms, open_window, window_benchmark_args

WINDOW_S = 0.5


def seed_runs(n: int) -> None:
    """``n`` finished runs on disk: config, per-epoch and summary records (no training)."""
    from sae_desktop.config import TrainConfig
    from sae_desktop.runs import RunFolder

    rng = np.random.default_rng(0)
    for i in range(n):
        cfg = TrainConfig(epochs=5, beta=float(rng.choice([0.0, 0.005, 0.05])), seed=i)
        run = RunFolder.create(cfg)
        run.write_config(cfg)
        for epoch in range(1, 6):
            run.append({"type": "epoch", "epoch": epoch, "step": 469 * epoch, "metrics/test_mse": 0.02 / epoch,
                        "metrics/l0": 6.0, "metrics/dead_latents": 1, "metrics/rho_hat_mean": 0.05})
        run.append({"type": "summary", "status": "completed", "epochs_done": 5, "test_mse": 0.004 + 0.01 * rng.random(),
                    "l0": 2.0 + 10 * rng.random(), "dead_latents": 1, "rho_hat": [0.05] * 32,
                    "epoch_seconds": [4.0] * 5})


def main() -> int:
    def more(parser):
        parser.add_argument("--switches", type=int, default=40)
        parser.add_argument("--runs", type=int, default=150)
        parser.add_argument("--baseline", action="store_true",
                            help="the same windows with no switch: the stall that training alone causes")

    args = window_benchmark_args(__doc__, more)
    from PySide6.QtCore import QElapsedTimer, QTimer

    from sae_desktop.config import TrainConfig
    from sae_desktop.data import load_dataset

    load_dataset("mnist", args.data_dir)  # the clear error if it is missing
    seed_runs(args.runs)
    app, window = open_window()
    window.panel.set_config(TrainConfig(epochs=50, device="cpu"))
    clock = QElapsedTimer()
    clock.start()
    ticks: list[tuple[float, float, float]] = []  # (time s, interval ms, ms stolen from this thread's CPU)
    last = [clock.nsecsElapsed(), host_steal_ms()]

    def tick():
        now, steal, cpu = clock.nsecsElapsed(), host_steal_ms(), current_cpu()
        stolen = steal[cpu] - last[1][cpu] if 0 <= cpu < len(steal) else 0.0
        ticks.append((now / 1e9, (now - last[0]) / 1e6, stolen))
        last[:] = [now, steal]

    switches: list[tuple[float, str]] = []

    def switch():
        if len(switches) >= args.switches:
            switcher.stop()
            QTimer.singleShot(int(WINDOW_S * 1000) + 100, window.controller.stop)
            return
        index = (window.tabs.currentIndex() + 1) % window.tabs.count()
        switches.append((clock.nsecsElapsed() / 1e9, window.tabs.tabText(index)))
        if not args.baseline:
            window.tabs.setCurrentIndex(index)

    ticker = QTimer(interval=5, timeout=tick)
    switcher = QTimer(interval=600, timeout=switch)
    started = []

    def first_epoch(_out):
        if not started:
            started.append(True)
            window.tabs.setCurrentIndex(0)
            ticker.start()
            QTimer.singleShot(500, switcher.start)

    window.controller.epochFinished.connect(first_epoch)
    epoch_ends: list[float] = []
    window.controller.epochFinished.connect(lambda _out: epoch_ends.append(clock.nsecsElapsed() / 1e9))
    window.controller.stateChanged.connect(lambda state: state == "idle" and app.quit())
    QTimer.singleShot(200, window.start_training)
    app.exec()
    window.close()
    times, intervals, stolen = (np.array(column) for column in zip(*ticks))
    stalls, per_tab, own = [], defaultdict(list), []
    for at, tab in switches:
        after = (times > at) & (times <= at + WINDOW_S)
        near = intervals[after]
        stall = float(near.max()) if near.size else float("nan")
        stalls.append(stall)
        per_tab[tab].append(stall)
        own.append(float((intervals - stolen)[after].max(initial=0)))
    for tab, values in per_tab.items():
        print(f"switch_to_{tab.lower()}_stall_ms median {np.median(values):.1f} max {max(values):.1f}")
    stalls = np.array(stalls)
    timed = times > times[0]  # the first interval spans the wait for the first epoch
    near = np.array([np.abs(np.array(epoch_ends) - t).min() < 0.15 for t in times]) & timed
    print(f"longest interval within 0.15 s of an epoch's end {intervals[near].max(initial=0):.1f} ms, "
          f"elsewhere {intervals[~near & timed].max(initial=0):.1f} ms")
    print(f"tab_switches {len(stalls)} (runs listed: {args.runs})")
    print(f"tab_switch_stall_p50_ms {np.percentile(stalls, 50):.1f}")
    print(f"tab_switch_stall_p99_ms {np.percentile(stalls, 99):.1f}")
    print(f"tab_switch_stall_max_ms {stalls.max():.1f}")
    if len(host_steal_ms()):
        print(f"host steal (virtual machine): {np.sum(stolen[timed]) / np.sum(intervals[timed]):.0%} of the main "
              "thread's CPU's time; the stalls less it (counted in 10 ms ticks, so ±10 ms):")
        print(f"tab_switch_stall_less_steal_p50_ms {np.percentile(own, 50):.1f}")
        print(f"tab_switch_stall_less_steal_max_ms {max(own):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
