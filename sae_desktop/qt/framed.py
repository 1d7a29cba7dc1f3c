"""A picture in a thin frame, in whole device pixels at any display scale.

A 1-px ``drawRect`` round a picture is exact only at scale 1: at 1.5× and 2× (a 4K laptop, a
projector) the frame came out 2 px on one side and 1 px on the others, and a row and a column
of the picture showed outside it, like a drop shadow.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter

SHRUNK_KEPT = 16  # pictures shrunk (area-averaged) kept for the next paint
_shrunk: OrderedDict[tuple[int, int, int], QImage] = OrderedDict()


def device_rect(rect: QRectF, ratio: float) -> QRect:
    """``rect`` (logical) in device pixels, each edge rounded on its own (so two pictures side by
    side that meet in logical pixels meet in device pixels too)."""
    left, top = round(rect.left() * ratio), round(rect.top() * ratio)
    right, bottom = round(rect.right() * ratio), round(rect.bottom() * ratio)  # (QRectF: the far edges)
    return QRect(left, top, right - left, bottom - top)


def shrunk(image: QImage, size: QSize) -> QImage:
    """``image`` area-averaged down to ``size`` where it is larger (kept for the next paint): drawn
    shrunk by sampling (crisp or bilinear), a stroke narrower than the step between samples fell
    between them, a 2000-px photo's 4 shown in a 46-px tile as three dashes."""
    if image.width() <= size.width() and image.height() <= size.height():
        return image
    key = (image.cacheKey(), size.width(), size.height())
    if key not in _shrunk:
        _shrunk[key] = image.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                    Qt.TransformationMode.SmoothTransformation)
        while len(_shrunk) > SHRUNK_KEPT:
            _shrunk.popitem(last=False)
    _shrunk.move_to_end(key)
    return _shrunk[key]


def draw_framed(painter: QPainter, rect: QRectF, image: QImage, frame: QColor, smooth: bool = False) -> None:
    """``image`` filling ``rect`` (logical), a frame of ``frame``'s colour over its edge, as wide on
    every side: one logical pixel, rounded to whole device pixels (1 at 1× and 1.5×, 2 at 2×).
    ``smooth``: enlarged smoothly (else crisp pixels); shrunk, always area-averaged (:func:`shrunk`)."""
    ratio = painter.deviceTransform().m11() or 1.0  # (the display's scale: the device's own may not be
    # the one painted at, as in QWidget.render onto a scaled image)
    width = max(1, round(ratio))
    outer = device_rect(rect, ratio)
    painter.save()
    painter.scale(1 / ratio, 1 / ratio)  # device pixels from here
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
    painter.drawImage(outer, shrunk(image, outer.size()))
    x, y, w, h = outer.x(), outer.y(), outer.width(), outer.height()
    for side in (QRect(x, y, w, width), QRect(x, y + h - width, w, width),  # top, bottom
                 QRect(x, y, width, h), QRect(x + w - width, y, width, h)):  # left, right
        painter.fillRect(side, frame)
    painter.restore()
