"""File ▸ Open / Save / Save as for the shown model, with one-line errors and no data loss."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from sae_desktop.checkpoint import CheckpointError, save_checkpoint
from sae_desktop.runs import refuse_run_files
from sae_desktop.safe_write import describe_os_error
from sae_desktop.qt.settings import last_folder, remember_folder
from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.snapshot import ModelSnapshot

MODEL_FILTER = "sae-desktop models (*.safetensors);;All files (*)"


class ModelFiles:
    def __init__(self, window: QWidget, shown: ShownModel, notify: Callable[..., None], status: Callable[[str], None]):
        self.window, self.shown, self.notify, self.status = window, shown, notify, status

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open model", last_folder("models"), MODEL_FILTER)
        if path:
            self.open(path)

    def open(self, path: str | Path) -> bool:
        """Load a checkpoint; on any problem say why and keep the current model."""
        try:
            snap = ModelSnapshot.load(path)
        except CheckpointError as exc:
            self.notify("Could not open the model", str(exc), error=True)
            return False
        remember_folder("models", str(path))
        self.shown.set(snap)
        self.status(f"Loaded {snap.name}")
        return True

    def save(self) -> None:
        """Overwrite the file the model came from, unless that is the bundled model or a run's autosave."""
        snap = self.shown.snapshot
        if snap is not None and snap.path is not None and snap.path.name != "checkpoint.safetensors" \
                and snap.name != "bundled MNIST model":
            self.save_to(snap.path)
        else:
            self.save_as()

    def save_as(self) -> None:
        default = str(Path(last_folder("models", str(Path.home()))) / "model.safetensors")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save model", default, MODEL_FILTER)
        if path:
            self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        snap = self.shown.snapshot
        if snap is None:
            return False
        try:
            refuse_run_files(path)  # a run's autosave is the run's own: Save As elsewhere
            save_checkpoint(snap.to_checkpoint(), path)
        except OSError as exc:
            self.notify("Could not save the model", f"{describe_os_error(exc, path)}. The previous file, if any, "
                        "is unchanged.", error=True)
            return False
        remember_folder("models", str(path))
        self.status(f"Saved {path}")
        return True
