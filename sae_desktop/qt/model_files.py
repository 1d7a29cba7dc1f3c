"""File ▸ Open / Save / Save as for the shown model, with one-line errors and no data loss."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from sae_desktop.checkpoint import CheckpointError, save_checkpoint
from sae_desktop.runs import is_run_file, refuse_run_files
from sae_desktop.safe_write import describe_os_error
from sae_desktop.qt.settings import ask_save_path, last_folder, remember_folder
from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

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

    def current_file(self) -> Path | None:
        """Where Save writes: the file the shown model was last saved to or opened from; none
        for the bundled model (read-only package data), a mid-run copy, a run's own checkpoint
        (only the run rewrites it: Ctrl+S on a trained model said "refusing to write over run
        folder …") or a file whose folder has gone (a run moved to the trash: Ctrl+S failed with
        "the folder … does not exist"), which Save therefore saves as."""
        snap = self.shown.snapshot
        if snap is None or snap.path is None or not snap.path.parent.is_dir():
            return None
        if snap.path.resolve() == bundled_model_path().resolve() or is_run_file(snap.path):
            return None
        return snap.path

    def save(self) -> None:
        """Ctrl+S: write to the current file without asking; Save As only when there is none."""
        path = self.current_file()
        if path is None:
            self.save_as()
        else:
            self.save_to(path)

    def save_as(self) -> None:
        from sae_desktop.qt.exporting import name_stem

        shown = self.shown.snapshot  # named after the model, as the exports are ("model.safetensors" said nothing)
        name = name_stem(shown.short_name if shown is not None else "model").rstrip("_") + ".safetensors"
        if path := ask_save_path(self.window, "Save model", name, MODEL_FILTER, "models"):
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
        if snap.path is None or Path(path).resolve() != snap.path.resolve():
            self.shown.saved_to(Path(path))  # the window names the file Save now writes to
        self.status(f"Saved {path}")
        return True
