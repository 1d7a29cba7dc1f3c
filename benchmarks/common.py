"""Set-up shared by the window benchmarks (run as ``python benchmarks/<name>.py``)."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable

import numpy as np


def window_benchmark_args(doc: str, add: Callable[[argparse.ArgumentParser], None] | None = None):
    """Parse ``--data-dir``/``--visible`` (plus ``add``'s), then prepare the environment:
    offscreen unless --visible, a throw-away per-user folder, the dataset folder."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--data-dir", help="MNIST folder (default: $SAE_DESKTOP_DATA)")
    parser.add_argument("--visible", action="store_true", help="use the real display instead of offscreen")
    if add:
        add(parser)
    args = parser.parse_args()
    if not args.visible:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("SAE_DESKTOP_HOME", tempfile.mkdtemp(prefix="sae-bench-"))
    if args.data_dir:
        os.environ["SAE_DESKTOP_DATA"] = args.data_dir
    return args


def open_window():
    """The application and its main window, 1440×900 (as a user sees it), shown, set up as
    ``sae-desktop gui`` sets it up."""
    from sae_desktop.qt.app import build_window, create_app, freeze_startup_objects

    app = create_app()
    window = build_window()
    freeze_startup_objects()
    window.tabs.allBuilt.connect(freeze_startup_objects)  # as the app does
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    return app, window


def host_steal_ms() -> list[float]:
    """Each CPU's time taken by the hypervisor so far (ms, /proc/stat's "steal", counted in 10 ms
    ticks): on a virtual machine the main thread can stall while its CPU runs another guest.
    Empty where /proc/stat is not there."""
    try:
        with open("/proc/stat") as f:
            lines = [line.split() for line in f if line.startswith("cpu") and line[3].isdigit()]
    except OSError:
        return []
    hz = os.sysconf("SC_CLK_TCK")
    return [int(fields[8]) * 1000 / hz for fields in lines if len(fields) > 8]


def current_cpu() -> int:
    """The CPU this thread last ran on (Linux), or -1."""
    try:
        with open("/proc/thread-self/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[36])
    except (OSError, IndexError, ValueError):
        return -1


def print_stalls(intervals_ms, prefix: str = "main_thread_timer_5ms") -> None:
    """The intervals a 5 ms timer on the main thread saw: p50, p99, max."""
    a = np.asarray(intervals_ms, dtype=float)
    print(f"{prefix}_p50_ms {np.percentile(a, 50):.2f}")
    print(f"{prefix}_p99_ms {np.percentile(a, 99):.2f}")
    print(f"{prefix}_max_ms {a.max():.2f}")
