"""Start the window: application object, style, the model shown at start-up."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from sae_desktop.checkpoint import CheckpointError
from sae_desktop.qt import plot_style
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path


def initial_model(path: str | None) -> tuple[ModelSnapshot | None, str]:
    """The model to show first: the one asked for, else the bundled one; and a note if it failed."""
    candidate = path or bundled_model_path()
    try:
        return ModelSnapshot.load(candidate), ""
    except CheckpointError as exc:
        return None, str(exc)


def create_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Sparse Autoencoder Studio")
    app.setOrganizationName("sae-desktop")
    app.setStyle("Fusion")
    plot_style.configure()
    return app


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
    window.show()
    window.raise_()
    window.activateWindow()  # keyboard shortcuts work at once, even without a window manager
    return app.exec()
