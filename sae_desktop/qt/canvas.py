"""A square drawing surface: white ink on black like MNIST, mouse or tablet.

Round, anti-aliased strokes on a 280×280 grey image (10× MNIST), shown scaled to the
widget. Pressure from a tablet scales the brush. Every stroke can be undone and redone.

Each picture in the undo history carries a ``tag``: what the picture is (the probe uses
its input source: a test digit, a file, a drawing), so undoing a change also restores
what the probe says about it. Strokes turn the tag into ``edit_tag(tag)``.
"""

from __future__ import annotations

import numpy as np
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from sae_desktop.qt.framed import draw_framed

SIZE = 280
UNDO_LIMIT = 100


def array_to_qimage(array: np.ndarray) -> QImage:
    """uint8 H×W → a QImage owning its pixels."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    return QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_Grayscale8).copy()


def qimage_to_array(image: QImage) -> np.ndarray:
    """A Grayscale8 QImage → a uint8 H×W copy."""
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8, count=h * stride).reshape(h, stride)[:, :w].copy()


# What an empty canvas says; the last line also in presentation mode, where the test-digit
# browser is hidden (its height goes to the canvas) and nothing else said that R picks a digit
DRAW_HINT = "Draw a digit here\n(right button erases)"  # without test digits to show (no data folder)
HINT = f"{DRAW_HINT}\nor press R for a test digit"
FOCUS_RING = 3  # px: the ring drawn inside the canvas's edge while it has the keyboard's focus

class DrawingCanvas(QWidget):
    changed = Signal()  # the ink changed (during strokes too)
    strokeFinished = Signal()
    historyChanged = Signal()  # undo / redo availability changed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image = QImage(SIZE, SIZE, QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._undo: list[tuple[QImage, object]] = []  # (picture, its tag)
        self._redo: list[tuple[QImage, object]] = []
        self._redo_before: list[tuple[QImage, object]] = []  # the redo steps before the stroke under way
        self.tag: object = None  # what the current picture is (None: nothing)
        self.edit_tag: Callable[[object], object] = lambda tag: tag  # what a stroke makes of it
        self._hint_shown = False  # the last paint drew the "draw here" hint
        self.hint = HINT  # (DRAW_HINT where there are no test digits to press R for)
        self.keyboard_focus = False  # focus came by Tab: a ring says where the keys go (not for a click)
        self._last: QPointF | None = None
        self.brush_width = 22.0  # in canvas pixels: ~2.2 px at MNIST's scale, like its pen
        self.erasing = False  # eraser mode (the right button always erases)
        self._stroke_erases = False
        self.setMinimumSize(SIZE, SIZE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw a digit: left button (or a pen) draws; right button erases")

    # -- state --------------------------------------------------------------------------
    def array(self) -> np.ndarray:
        return qimage_to_array(self._image)

    def is_empty(self) -> bool:
        return not self.array().any()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def _checkpoint(self) -> None:
        self._undo.append((self._image.copy(), self.tag))
        del self._undo[:-UNDO_LIMIT]
        self._redo.clear()
        self.historyChanged.emit()

    def clear(self) -> None:
        if self.is_empty() and self.tag is None:
            return
        self._checkpoint()
        self._image.fill(0)
        self.tag = None
        self._done()

    def undo(self) -> None:
        if self._undo:
            self._redo.append((self._image, self.tag))
            self._image, self.tag = self._undo.pop()
            self._done()

    def redo(self) -> None:
        if self._redo:
            self._undo.append((self._image, self.tag))
            self._image, self.tag = self._redo.pop()
            self._done()

    def set_array(self, array: np.ndarray, tag: object = None) -> None:
        """Show an image (any size, values in [0, 1] or uint8), fitted and centred, undoably;
        ``tag`` says what it is."""
        a = np.asarray(array, dtype=np.float32)
        a = a / 255.0 if a.max(initial=0) > 1.0 else a
        image = array_to_qimage(np.round(np.clip(a, 0, 1) * 255))
        image = image.scaled(SIZE, SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self._checkpoint()
        self._image.fill(0)
        painter = QPainter(self._image)
        painter.drawImage(QPointF((SIZE - image.width()) / 2, (SIZE - image.height()) / 2), image)
        painter.end()
        self.tag = tag
        self._done()

    def _done(self) -> None:
        self.update()
        self.historyChanged.emit()
        self.changed.emit()
        self.strokeFinished.emit()

    # -- drawing ------------------------------------------------------------------------
    def set_hint(self, hint: str) -> None:
        if hint != self.hint:
            self.hint = hint
            self.update()

    def _square(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_image(self, pos: QPointF) -> QPointF:
        square = self._square()
        scale = SIZE / square.width()
        return QPointF((pos.x() - square.x()) * scale, (pos.y() - square.y()) * scale)

    def _paint_segment(self, a: QPointF, b: QPointF, pressure: float) -> None:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(0, 0, 0) if self._stroke_erases else QColor(255, 255, 255)
        width = self.brush_width * (2.0 if self._stroke_erases else 1.0) * max(0.2, pressure)
        if a == b:  # a tap: a round dot the brush's width (a zero-length line drew nothing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawEllipse(a, width / 2, width / 2)
        else:
            painter.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                                Qt.PenJoinStyle.RoundJoin))
            painter.drawLine(a, b)
        painter.end()
        if self._hint_shown and not self._stroke_erases:
            self.update()  # the whole widget: the hint goes with the first ink, wherever the stroke began
        else:
            self._update_around(a, b, width)
        self.changed.emit()

    def _update_around(self, a: QPointF, b: QPointF, width: float) -> None:
        """Repaint only the part of the widget the segment touched (not the whole scaled image)."""
        square = self._square()
        scale = square.width() / SIZE
        pad = width / 2 + 2
        left, right = min(a.x(), b.x()) - pad, max(a.x(), b.x()) + pad
        top, bottom = min(a.y(), b.y()) - pad, max(a.y(), b.y()) + pad
        self.update(QRectF(square.x() + left * scale, square.y() + top * scale,
                           (right - left) * scale, (bottom - top) * scale).toAlignedRect().adjusted(-1, -1, 1, 1))

    def begin_stroke(self, pos: QPointF, erase: bool = False, pressure: float = 1.0) -> None:
        """Start a stroke at a widget position; ``erase`` (or eraser mode) paints black, twice as wide."""
        self._redo_before = list(self._redo)  # (back, if the stroke changes nothing)
        self._checkpoint()
        self.tag = self.edit_tag(self.tag)
        self._stroke_erases = erase or self.erasing
        self._last = self._to_image(pos)
        self._paint_segment(self._last, self._last, pressure)

    def continue_stroke(self, pos: QPointF, pressure: float = 1.0) -> None:
        if self._last is None:
            return
        point = self._to_image(pos)
        self._paint_segment(self._last, point, pressure)
        self._last = point

    def end_stroke(self) -> None:
        if self._last is not None:
            self._last = None
            before, tag = self._undo[-1] if self._undo else (None, None)
            if before == self._image:  # it changed nothing (erased black): no undo step, and still what it was
                self._undo.pop()
                self._redo = self._redo_before
                self.tag = tag
                self.historyChanged.emit()
                self.changed.emit()
            if self.is_empty():
                self.update()  # erased to nothing: the hint comes back
            self.strokeFinished.emit()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self.begin_stroke(event.position(), erase=event.button() == Qt.MouseButton.RightButton)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        self.continue_stroke(event.position())

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self.end_stroke()

    def tabletEvent(self, event) -> None:  # noqa: N802
        kind = event.type()
        if kind == event.Type.TabletPress:
            self.begin_stroke(event.position(), pressure=event.pressure())
        elif kind == event.Type.TabletMove:
            self.continue_stroke(event.position(), event.pressure())
        elif kind == event.Type.TabletRelease:
            self.end_stroke()
        event.accept()  # no synthesized mouse events on top

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setClipRegion(event.region())
        painter.fillRect(event.rect(), self.palette().window())
        square = self._square()
        draw_framed(painter, square, self._image, QColor("#888888"), smooth=True)
        self._hint_shown = self.is_empty()
        if self._hint_shown:
            painter.setPen(QColor("#9aa0a6"))
            painter.drawText(square, Qt.AlignmentFlag.AlignCenter, self.hint)
        if self.keyboard_focus:
            painter.setPen(QPen(self.palette().highlight().color(), FOCUS_RING))
            painter.drawRect(square.adjusted(FOCUS_RING // 2, FOCUS_RING // 2, -FOCUS_RING // 2, -FOCUS_RING // 2))

    def focusInEvent(self, event) -> None:  # noqa: N802
        super().focusInEvent(event)
        reasons = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason, Qt.FocusReason.ShortcutFocusReason)
        self.keyboard_focus = event.reason() in reasons
        self.update()

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.keyboard_focus = False
        self.update()

