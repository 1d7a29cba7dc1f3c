"""Start the window: application object, style, the model shown at start-up."""

from __future__ import annotations

import gc
import sys

from PySide6.QtWidgets import QApplication
from pyqtgraph.util.garbage_collector import GarbageCollector

from sae_desktop.checkpoint import CheckpointError
from sae_desktop.qt import plot_style
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path


def initial_model(path: str | None) -> tuple[ModelSnapshot | None, str]:
    """The model to show first: the one asked for, else the one shown last time (if its file is
    still there), else the bundled one; and a note if it failed."""
    if path is None:
        from sae_desktop.qt.shown_model import remembered_model_path

        remembered = remembered_model_path()
        if remembered is not None:
            try:
                return ModelSnapshot.load(remembered), ""
            except CheckpointError:
                pass  # moved or deleted since: the bundled model instead
    try:
        return ModelSnapshot.load(path or bundled_model_path()), ""
    except CheckpointError as exc:
        return None, str(exc)


def create_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Sparse Autoencoder Studio")
    app.setOrganizationName("sae-desktop")
    app.setStyle("Fusion")
    plot_style.configure()
    collect_garbage_on_the_gui_thread(app)
    return app


def collect_garbage_on_the_gui_thread(app: QApplication) -> None:
    """Python's cycle collector runs in whichever thread crosses its allocation threshold. In
    a worker (training, evaluation, loading) it would destroy garbage Qt objects (closed
    dialogs, old plot items) off the GUI thread; measured here, that deadlocked: the worker
    waited for the GIL inside a QObject destructor while the GUI thread, holding the GIL,
    waited for that QObject's lock. pyqtgraph's remedy: automatic collection off, and a
    GUI-thread timer collects by the same thresholds."""
    if getattr(app, "_gui_thread_gc", None) is None:
        app._gui_thread_gc = GarbageCollector(interval=0.5)


def freeze_startup_objects() -> None:
    """The ~250 000 objects of the imports (torch, Qt) and the window live as long as the
    app: kept out of later collections, a full one takes well under 1 ms on the GUI thread
    instead of ~140 (measured here). Garbage is collected first, or it would stay forever."""
    gc.collect()
    gc.freeze()


def build_window(model_path: str | None = None):
    from sae_desktop.qt.main_window import MainWindow

    snapshot, problem = initial_model(model_path)
    window = MainWindow(snapshot)
    if problem and model_path:
        window.notify("Could not open the model", problem, error=True)
    return window


def run_app(model_path: str | None = None) -> int:
    app = create_app()
    window = build_window(model_path)
    freeze_startup_objects()
    window.show()
    window.raise_()
    window.activateWindow()  # keyboard shortcuts work at once, even without a window manager
    return app.exec()
