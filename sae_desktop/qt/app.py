"""Start the window: application object, style, the model shown at start-up.

Nothing here imports torch: the window opens, and the bundled model draws and probes, in
NumPy; torch loads in a worker thread once the window has painted (see ``torch_loader.py``).
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from sae_desktop import APP_ID, paths
from sae_desktop.checkpoint import CheckpointError
from sae_desktop.qt.deferred import after_first_paint
from sae_desktop.qt.terminal_signals import TerminalSignals, close_without_asking
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path


def initial_model(path: str | None) -> tuple[ModelSnapshot | None, str, str]:
    """The model to show first: the one asked for, else the one shown last time (if its file is
    still there), else the bundled one; why the one asked for failed, if it did (the window
    then showed no model at all, "No model", though the bundled one was there); and the file of
    the one shown last time where it could not be shown again (moved or deleted since: the window
    opened on the bundled model without a word)."""
    problem = gone = ""
    if path is not None:
        try:
            return ModelSnapshot.load(path), "", ""
        except CheckpointError as exc:
            problem = str(exc)
    from sae_desktop.qt.shown_model import remembered_model_path

    remembered = remembered_model_path()
    if remembered is not None:
        try:
            return ModelSnapshot.load(remembered), problem, ""
        except CheckpointError:
            gone = remembered  # moved or deleted since: the bundled model instead, and the window says so
    try:
        return ModelSnapshot.load(bundled_model_path()), problem, gone
    except CheckpointError as exc:
        return None, problem or str(exc), gone


def create_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # The window class (X11 WM_CLASS) and Wayland app id, matched by the launcher's
    # StartupWMClass and file name, so the desktop shows the window under the app's icon
    app.setApplicationName(APP_ID)
    app.setDesktopFileName(APP_ID)
    app.setOrganizationName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    collect_garbage_on_the_gui_thread(app)
    one_blas_thread()
    room_beside_training()
    return app


SPARE_THREADS = 2  # background threads beyond one per core (see room_beside_training)


def room_beside_training() -> None:
    """The window's background pool (Qt's global one) keeps threads for its short tasks (a runs
    scan, a model's evaluation, an image read) beside a training run, which holds one for its
    whole length, paused or not. With one per core, on a 2-core machine a paused run and one
    other task left a runs scan queued (the Runs tab kept a finished epoch's row stale)."""
    from PySide6.QtCore import QThread

    QThreadPool.globalInstance().setMaxThreadCount(QThread.idealThreadCount() + SPARE_THREADS)


def one_blas_thread() -> None:
    """NumPy's BLAS (OpenBLAS) on one thread in the window's process. Its products here are
    small (a drawing's code, the atlas's 32 tiles) and training's threads already hold the
    cores: a second BLAS thread had to wait for a core, and the GUI thread for it. Measured
    here (benchmarks/tab_switch.py, 2 cores, training): a visit to the Atlas took 35-84 ms to
    redraw its tiles instead of 4-8 (3 ms with training idle). Torch's own threads are not
    touched (it loads later, with its own libraries)."""
    import numpy  # noqa: F401 (loaded first: the limit applies to the libraries loaded)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def app_icon() -> QIcon:
    icon = QIcon(str(paths.resources_dir() / f"{APP_ID}.svg"))
    icon.addFile(str(paths.resources_dir() / f"{APP_ID}.png"))  # where SVG cannot be read
    return icon


def collect_garbage_on_the_gui_thread(app: QApplication) -> None:
    """Python's cycle collector runs in whichever thread crosses its allocation threshold. In
    a worker (training, evaluation, loading) it would destroy garbage Qt objects (closed
    dialogs, old plot items) off the GUI thread; measured here, that deadlocked: the worker
    waited for the GIL inside a QObject destructor while the GUI thread, holding the GIL,
    waited for that QObject's lock. pyqtgraph's remedy (its ``GarbageCollector``, not
    imported here: pyqtgraph loads after the first paint): automatic collection off, and a
    GUI-thread timer collects by the same thresholds."""
    if getattr(app, "_gui_thread_gc", None) is None:
        gc.disable()
        timer = app._gui_thread_gc = QTimer(app)
        timer.timeout.connect(_collect_by_thresholds)
        timer.start(500)


def _collect_by_thresholds() -> None:
    """What the automatic collector would have done by now: the oldest generation due."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return


def freeze_startup_objects() -> None:
    """The ~250 000 objects of the imports (Qt, then torch) and the window live as long as the
    app: kept out of later collections, a full one takes well under 1 ms on the GUI thread
    instead of ~140 (measured here; 64 ms each during training when the tabs built after the
    first paint were left out). Garbage is collected first, or it would stay forever."""
    gc.collect()
    gc.freeze()


def build_window(model_path: str | None = None, staged: bool = False):
    from sae_desktop.qt.main_window import MainWindow

    snapshot, problem, gone = initial_model(model_path)
    window = MainWindow(snapshot, staged=staged)
    if problem and model_path:
        shown = f"\n\nShown instead: {snapshot.name}." if snapshot is not None else ""
        window.notify("Could not open the model", problem + shown, error=True)
    elif gone and snapshot is not None:
        window.statusBar().showMessage(f"The model shown last time is gone ({gone}): showing {snapshot.name}",
                                       20000)
    return window


def run_app(model_path: str | None = None) -> int:
    app = create_app()
    window = build_window(model_path, staged=True)
    freeze_startup_objects()
    window.torch.ready.connect(lambda _: freeze_startup_objects())  # torch's objects live as long
    window.tabs.allBuilt.connect(freeze_startup_objects)  # and the tabs built after the first paint
    after_first_paint(window, window.finish_startup)
    window.show()
    window.raise_()
    window.activateWindow()  # keyboard shortcuts work at once, even without a window manager
    signals = TerminalSignals(close_without_asking(window))  # Ctrl+C in the terminal closes the window
    try:
        code = app.exec()
    finally:
        signals.remove()
    # Closed while torch was still loading in the background: let that import finish before the
    # interpreter shuts down under it (which prints tracebacks from the half-imported torch).
    QThreadPool.globalInstance().waitForDone(60_000)
    if signals.received:
        raise KeyboardInterrupt  # (the CLI says "interrupted", exit 130, as for its other commands)
    return code
