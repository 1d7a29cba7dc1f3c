"""The model the window is showing, as an observable: probe, atlas and exports follow it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from sae_desktop.snapshot import ModelSnapshot


class ShownModel(QObject):
    changed = Signal(object)  # ModelSnapshot | None

    def __init__(self, snapshot: ModelSnapshot | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._snapshot = snapshot

    @property
    def snapshot(self) -> ModelSnapshot | None:
        return self._snapshot

    def set(self, snapshot: ModelSnapshot | None) -> None:
        self._snapshot = snapshot
        self.changed.emit(snapshot)
