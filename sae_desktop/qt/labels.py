"""Labels that never make Qt re-lay out the window when their text changes.

A label whose size follows its text makes Qt re-lay out and repaint the whole window on
every change (measured: 20-30 ms of main-thread time per epoch during training).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def steady_label(text: str = "", min_width: int = 0) -> QLabel:
    """Takes the width the layout gives it, whatever its text."""
    label = QLabel(text)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(min_width)
    return label


class ElidedLabel(QLabel):
    """One line of a fixed width (or, with ``width`` None, the width the layout gives it);
    text too long for it ends in "…" (the full text is the tooltip)."""

    def __init__(self, width: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        if width is None:
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self.setFixedHeight(self.fontMetrics().lineSpacing() + 6)
        else:
            self.setFixedWidth(width)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming)
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        elided = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, self.width() - 8)
        painter.drawText(self.rect().adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, elided)
