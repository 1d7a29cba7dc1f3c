"""The latent bars' view box: a click or a drag on a bar clamps that latent (latent_bars.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt

if TYPE_CHECKING:
    from sae_desktop.qt.latent_bars import LatentBars


class SteeringViewBox(pg.ViewBox):
    """Mouse gestures set clamps instead of panning and zooming."""

    def __init__(self):
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=False, y=False)
        self.owner: LatentBars | None = None
        self.released_at: QPointF | None = None  # where the button under way was let go (scene)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph naming)
        if self.owner is None:
            return
        point = self.mapSceneToView(ev.scenePos())
        latent = self.owner.latent_at(point.x())
        if latent is None:
            return
        ev.accept()
        if ev.button() == Qt.MouseButton.RightButton:
            self.owner.set_clamp(latent, 0.0)
        elif ev.double():
            self.owner.release(latent)
        elif ev.button() == Qt.MouseButton.LeftButton:
            # the height where the button was let go: a quick flick up a bar (moves closer together
            # than pyqtgraph's rate limit are dropped) came as a click where it was pressed, at 0
            height = self.mapSceneToView(self.released_at).y() if self.released_at is not None else point.y()
            self.owner.set_clamp(latent, height)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802
        if self.owner is None or ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        if ev.isStart():
            self.owner.drag_latent = self.owner.latent_at(self.mapSceneToView(ev.buttonDownScenePos()).x())
        if self.owner.drag_latent is not None:
            self.owner.set_clamp(self.owner.drag_latent, self.mapSceneToView(ev.scenePos()).y())
        if ev.isFinish():
            self.owner.drag_latent = None
