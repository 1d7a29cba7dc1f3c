"""Each atlas tile's latent number, in its top-left corner, where the tiles are drawn large
enough to read it: in a lecture, "look at latent 12" meant counting tiles.

One item paints every visible number (not a text item per tile: a 1024-latent atlas would
have 1024 of them to move and lay out on every zoom), in screen pixels, so the numbers stay
one size however far the mosaic is zoomed.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QTransform

from sae_desktop.atlas import tile_origin

MIN_TILE_PX = 44  # tiles drawn smaller than this on screen carry no number (it would hide the tile)


def visible_numbers(order: np.ndarray, columns: int, tile: int, pad: int, to_device: QTransform,
                    view: QRectF) -> list[tuple[int, QPointF]]:
    """(latent, its tile's top-left corner on screen) for each tile whose corner is in ``view``
    (screen pixels), none where a tile is drawn smaller than :data:`MIN_TILE_PX`."""
    if abs(to_device.m11()) * tile < MIN_TILE_PX:
        return []
    out = []
    for position, latent in enumerate(order):
        corner = to_device.map(QPointF(*tile_origin(position, columns, tile, pad)))
        if view.contains(corner):
            out.append((int(latent), corner))
    return out


def number_font(text: QFont, tile_px: float) -> QFont:
    """``text`` (the window's: presentation mode's too; at a fixed 10-14 px the numbers were the
    smallest text on a projector), its letters no taller than a fifth of a ``tile_px`` tile."""
    font = QFont(text)
    font.setPixelSize(max(9, min(QFontMetrics(text).ascent(), round(tile_px / 5))))
    return font


class TileNumbers(pg.GraphicsObject):
    def __init__(self, tile: int, pad: int):
        super().__init__()
        self.tile, self.pad = tile, pad
        self.order = np.arange(0)
        self.columns = 1
        self.ink, self.paper = QColor("#202020"), QColor(255, 255, 255, 190)
        self.setZValue(5)  # above the tiles and their frames

    def set_tiles(self, order: np.ndarray, columns: int) -> None:
        self.prepareGeometryChange()
        self.order, self.columns = np.asarray(order), max(int(columns), 1)
        self.update()

    def set_colours(self, ink: QColor, paper: QColor) -> None:
        self.ink, self.paper = QColor(ink), QColor(paper)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt naming)
        rows = math.ceil(len(self.order) / self.columns) if len(self.order) else 0
        step = self.tile + self.pad
        return QRectF(0, 0, self.columns * step + self.pad, rows * step + self.pad)

    def paint(self, painter, option, widget=None) -> None:
        if widget is None or not len(self.order):
            return
        to_device = painter.transform()  # (this item's coordinates, the mosaic's pixels, to the screen's)
        shown = visible_numbers(self.order, self.columns, self.tile, self.pad, to_device, QRectF(widget.rect()))
        if not shown:
            return
        painter.save()
        painter.resetTransform()
        font = number_font(painter.font(), abs(to_device.m11()) * self.tile)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        painter.setPen(self.ink)
        for latent, corner in shown:
            text = str(latent)
            box = QRectF(corner.x() + 2, corner.y() + 2, metrics.horizontalAdvance(text) + 6, metrics.height())
            painter.fillRect(box, self.paper)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
