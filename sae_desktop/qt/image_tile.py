"""A small captioned image: grey (0 black, 1 white) or diverging (blue < 0 < red).

Pixels are drawn as crisp squares (no smoothing), so a 28×28 image looks like what the
model sees; a picture larger than its tile (a photo's stage) is area-averaged, its thin strokes
kept whole.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sae_desktop.colour import diverging_rgb
from sae_desktop.qt import theme
from sae_desktop.qt.framed import draw_framed


def grey_qimage(image: np.ndarray) -> QImage:
    a = np.ascontiguousarray(np.round(np.clip(image, 0, 1) * 255), dtype=np.uint8)
    return QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_Grayscale8).copy()


def diverging_qimage(values: np.ndarray, limit: float) -> QImage:
    """In the current theme's map (a near-black zero on a dark window)."""
    rgb = diverging_rgb(values, limit, theme.current().dark)
    return QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888).copy()


class _Pixels(QWidget):
    def __init__(self, side: int):
        super().__init__()
        self.image: QImage | None = None
        self.setMinimumSize(side, side)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def picture_rect(self) -> QRectF:
        """Where the picture is drawn: as large as fits, its aspect ratio kept, centred across and
        at the bottom, on its caption (centred, a picture in a tall cell sat ~35 px above its
        caption in presentation mode)."""
        side = min(self.width(), self.height())
        if self.image is None:
            w = h = side
        else:  # whole pixels: a fractional edge left a column of the picture outside its frame
            scale = side / max(self.image.width(), self.image.height())
            w, h = round(self.image.width() * scale), round(self.image.height() * scale)
        return QRectF((self.width() - w) // 2, self.height() - h, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        rect = self.picture_rect()
        if self.image is None:
            painter.fillRect(rect, QColor(theme.current().tile_empty))
            return
        draw_framed(painter, rect, self.image, QColor("#999999"))  # crisp pixels (shrunk: averaged)


class ImageTile(QWidget):
    def __init__(self, caption: str, side: int = 96, parent: QWidget | None = None):
        super().__init__(parent)
        self.pixels = _Pixels(side)
        self.caption = QLabel(caption)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.pixels, 1)
        layout.addWidget(self.caption)
        self.data: np.ndarray | None = None  # what is shown, for exports and tests
        self._limit: float | None = None  # diverging: its colour map's limit (drawn again for a new theme)
        theme.follow(self._on_theme)

    def place_in(self, grid: QGridLayout, row: int, column: int) -> None:
        """Its picture at (``row``, ``column``) of ``grid`` and its caption under it, at ``row`` + 1:
        tiles side by side then draw pictures of one size at one height whatever their captions
        wrap to (the residual was drawn smaller than the reconstruction beside it, "ink box" lower
        than "paper removed"). The tile itself is left empty."""
        for part in (self.pixels, self.caption):
            self.layout().removeWidget(part)
            grid.removeWidget(part)
        grid.addWidget(self.pixels, row, column)
        grid.addWidget(self.caption, row + 1, column)

    def minimum_width(self) -> int:
        """The narrowest it can be: its caption's longest word or its picture's minimum side."""
        return max(self.pixels.minimumSizeHint().width(), self.pixels.minimumWidth(),
                   self.caption.minimumSizeHint().width())

    def _on_theme(self, _theme) -> None:
        if self._limit is not None and self.data is not None:
            self.set_diverging(self.data, self._limit)

    def set_grey(self, image: np.ndarray | None) -> None:
        self._limit = None
        self.data = None if image is None else np.asarray(image)
        self.pixels.image = None if image is None else grey_qimage(self.data)
        self.pixels.update()

    def set_diverging(self, values: np.ndarray | None, limit: float) -> None:
        self._limit = limit
        self.data = None if values is None else np.asarray(values)
        self.pixels.image = None if values is None else diverging_qimage(self.data, limit)
        self.pixels.update()

    def qimage(self) -> QImage | None:
        return self.pixels.image
