"""Launch → first paint, and launch → first probe result, as a user sees it (target ≤ 1.0 s).

    python benchmarks/startup.py [--launches 5] [--visible]

Starts the app afresh ``--launches`` times, each a new process with a fresh per-user folder
(a first launch: it opens on the Probe tab with the bundled model), and reports the medians of:

* ``first_paint``: from spawning the process to the main window's first paint;
* ``first_probe``: to the reconstruction painted for a stroke drawn (real mouse events on
  the canvas) as soon as the window is painted;
* ``torch_ready``: to PyTorch loaded in the background (training can start without waiting).

Also counts the launches where torch was already imported at the first paint or the first
probe (it should be none: 0/N) and the longest the window's main thread was blocked (a 5 ms
timer) while torch loaded in the background. Clocks: ``time.monotonic`` is system-wide, so
the parent's spawn time and the child's marks compare. Offscreen unless ``--visible``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def child() -> int:
    """One launch: ``sae-desktop`` (cli.main) with a watcher on the application's events."""
    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])  # the app's create_app() adopts it
    marks: dict = {}
    stalls: list[float] = []
    state = {"window": None}

    def finish():
        if {"first_probe", "torch_ready"} <= marks.keys():
            marks["max_stall_ms"] = max(stalls, default=0.0)
            print(json.dumps(marks), flush=True)
            state["window"].controller.shutdown(1000)
            app.exit(0)

    def draw(window):
        view = window.probe_view
        window.tabs.setCurrentWidget(view)
        canvas = view.canvas
        w, h = canvas.width(), canvas.height()
        points = [QPoint(int(w * (0.35 + 0.3 * t)), int(h * (0.3 + 0.4 * t))) for t in np.linspace(0, 1, 12)]
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
        for p in points[1:]:
            QTest.mouseMove(canvas, p)
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
        marks["stroke_drawn"] = time.monotonic()

    def torch_ready(_devices):
        marks["torch_ready"] = time.monotonic()
        finish()

    class Watch(QObject):
        def eventFilter(self, obj, event):
            if event.type() != QEvent.Type.Paint:
                return False
            if "first_paint" not in marks and isinstance(obj, QMainWindow) and hasattr(obj, "probe_view"):
                state["window"] = obj
                marks["first_paint"] = time.monotonic()
                marks["torch_at_first_paint"] = "torch" in sys.modules
                obj.torch.ready.connect(torch_ready)
                timer.start(5)
                clock.start()
                QTimer.singleShot(0, lambda: draw(obj))
            elif ("stroke_drawn" in marks and "first_probe" not in marks
                  and obj is state["window"].probe_view.recon_tile.pixels and obj.image is not None):
                marks["first_probe"] = time.monotonic()
                marks["torch_at_first_probe"] = "torch" in sys.modules
                QTimer.singleShot(0, finish)
            return False

    clock = QElapsedTimer()
    timer = QTimer()

    def tick():
        stalls.append(clock.restart())
        if "torch_ready" in marks:
            timer.stop()

    timer.timeout.connect(tick)
    watch = Watch()
    app.installEventFilter(watch)
    QTimer.singleShot(300_000, lambda: app.exit(3))  # never hang a benchmark (a busy machine is slow)
    from sae_desktop.cli import main

    return main([])


def launch(visible: bool) -> dict:
    env = dict(os.environ, SAE_DESKTOP_HOME=tempfile.mkdtemp(prefix="sae-startup-"))
    # this checkout's package, not another installed one
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    if not visible:
        env["QT_QPA_PLATFORM"] = "offscreen"
    start = time.monotonic()
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child"], env=env, cwd=HERE.parent,
                          capture_output=True, text=True, timeout=400)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"launch failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    marks = json.loads(lines[-1])
    return {**{k: marks[k] - start for k in ("first_paint", "first_probe", "torch_ready")},
            **{k: marks[k] for k in ("torch_at_first_paint", "torch_at_first_probe", "max_stall_ms")}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument("--visible", action="store_true", help="use the real display instead of offscreen")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child()
    # As installed: pip compiles a package's bytecode at install time, and Python caches it for a
    # source checkout, unless PYTHONDONTWRITEBYTECODE is set (it is on some CI machines: then
    # every launch would compile the app's ~100 modules first, ~0.15 s here).
    compileall.compile_dir(str(HERE.parent / "sae_desktop"), quiet=1)
    runs = [launch(args.visible) for _ in range(args.launches)]
    for i, r in enumerate(runs, 1):
        print(f"launch {i}: first paint {r['first_paint']:.3f} s, first probe {r['first_probe']:.3f} s, "
              f"torch ready {r['torch_ready']:.3f} s, longest main-thread stall while loading "
              f"{r['max_stall_ms']:.0f} ms", flush=True)
    for key in ("first_paint", "first_probe", "torch_ready"):
        print(f"{key}_median_s {np.median([r[key] for r in runs]):.3f}")
    print(f"max_stall_while_torch_loads_median_ms {np.median([r['max_stall_ms'] for r in runs]):.0f}")
    print(f"torch_imported_before_first_paint {sum(r['torch_at_first_paint'] for r in runs)}/{len(runs)}")
    print(f"torch_imported_before_first_probe {sum(r['torch_at_first_probe'] for r in runs)}/{len(runs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
