"""The model the window is showing, as an observable: probe, atlas and exports follow it.

It is remembered across launches: the file it came from (a run's checkpoint for a model
from training) is written to the settings whenever it changes, and the next launch opens
it again (falling back to the bundled model if the file has gone).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from sae_desktop.qt.settings import app_settings
from sae_desktop.snapshot import ModelSnapshot

SETTING = "model/shown"


class ShownModel(QObject):
    """``changed``: another model is shown. ``evaluated``: the same model, now with its
    test-set statistics (computed in the background for a loaded model), or saved as another
    file (its name): views that use them re-render, nothing else is reset."""

    changed = Signal(object)  # ModelSnapshot | None
    evaluated = Signal(object)  # ModelSnapshot, the same model with news: its evaluation, or its new file

    def __init__(self, snapshot: ModelSnapshot | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._snapshot = snapshot
        self._remembered: str | None = None  # the path last written to the settings

    @property
    def snapshot(self) -> ModelSnapshot | None:
        return self._snapshot

    def set(self, snapshot: ModelSnapshot | None) -> None:
        self._snapshot = snapshot
        self._remember(snapshot)
        self.changed.emit(snapshot)

    def _remember(self, snapshot: ModelSnapshot | None) -> None:
        if snapshot is not None and snapshot.path is not None and str(snapshot.path) != self._remembered:
            # written once per file: a run shows a new model from the same checkpoint at every epoch's
            # end, and each write re-reads and saves the settings file in the window's thread (~15 ms)
            self._remembered = str(snapshot.path)
            app_settings().setValue(SETTING, self._remembered)

    def saved_to(self, path) -> None:
        """The shown model was saved as ``path``: it is that file's model now, named after it and
        remembered (after Save As the window named the old file while Ctrl+S wrote the new one).
        The same weights: views re-render (``evaluated``), nothing is reset (the probe's clamps)."""
        if self._snapshot is not None:
            self._snapshot = self._snapshot.saved_as(path)
            self._remember(self._snapshot)
            self.evaluated.emit(self._snapshot)

    def moved(self, old, new) -> None:
        """A run's folder was renamed from ``old`` to ``new``: where the shown model is that run's, it is the
        same model from the new folder (Save writes there, the next launch opens it), named after it."""
        if self._snapshot is None or (moved := self._snapshot.moved(old, new)) is self._snapshot:
            return
        self._snapshot = moved
        self._remember(moved)
        self.evaluated.emit(moved)

    def add_evaluation(self, snapshot: ModelSnapshot, evaluation) -> None:
        """Statistics computed for ``snapshot``; ignored if another model is shown by now. The
        verdict's statistics the file stored are kept (the evaluation fills only those missing):
        the bundled model's nearest digits are the training set's, and a drawing's verdict
        changed when the atlas's evaluation replaced them with the test set's."""
        if self._snapshot is not None and snapshot.weights is self._snapshot.weights:  # (saved as another file
            # meanwhile: the same weights under its new name)
            self._snapshot = replace(self._snapshot, evaluation=evaluation)
            self.evaluated.emit(self._snapshot)


def remembered_model_path() -> str | None:
    """The file of the model shown when the window was last used, if any."""
    value = app_settings().value(SETTING)
    return str(value) if isinstance(value, str) and value else None
