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


def print_stalls(intervals_ms, prefix: str = "main_thread_timer_5ms") -> None:
    """The intervals a 5 ms timer on the main thread saw: p50, p99, max."""
    a = np.asarray(intervals_ms, dtype=float)
    print(f"{prefix}_p50_ms {np.percentile(a, 50):.2f}")
    print(f"{prefix}_p99_ms {np.percentile(a, 99):.2f}")
    print(f"{prefix}_max_ms {a.max():.2f}")
