"""A picture in a thin frame, in whole device pixels at any display scale.

A 1-px ``drawRect`` round a picture is exact only at scale 1: at 1.5× and 2× (a 4K laptop, a
projector) the frame came out 2 px on one side and 1 px on the others, and a row and a column
of the picture showed outside it, like a drop shadow.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QColor, QImage, QPainter


def device_rect(rect: QRectF, ratio: float) -> QRect:
    """``rect`` (logical) in device pixels, each edge rounded on its own (so two pictures side by
    side that meet in logical pixels meet in device pixels too)."""
    left, top = round(rect.left() * ratio), round(rect.top() * ratio)
    right, bottom = round(rect.right() * ratio), round(rect.bottom() * ratio)  # (QRectF: the far edges)
    return QRect(left, top, right - left, bottom - top)


def draw_framed(painter: QPainter, rect: QRectF, image: QImage, frame: QColor, smooth: bool = False) -> None:
    """``image`` filling ``rect`` (logical), a frame of ``frame``'s colour over its edge, as wide on
    every side: one logical pixel, rounded to whole device pixels (1 at 1× and 1.5×, 2 at 2×).
    ``smooth``: scaled smoothly (else crisp pixels)."""
    ratio = painter.deviceTransform().m11() or 1.0  # (the display's scale: the device's own may not be
    # the one painted at, as in QWidget.render onto a scaled image)
    width = max(1, round(ratio))
    outer = device_rect(rect, ratio)
    painter.save()
    painter.scale(1 / ratio, 1 / ratio)  # device pixels from here
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
    painter.drawImage(outer, image)
    x, y, w, h = outer.x(), outer.y(), outer.width(), outer.height()
    for side in (QRect(x, y, w, width), QRect(x, y + h - width, w, width),  # top, bottom
                 QRect(x, y, width, h), QRect(x + w - width, y, width, h)):  # left, right
        painter.fillRect(side, frame)
    painter.restore()
