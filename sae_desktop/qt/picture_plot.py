"""A plot that shows a picture (digits, tiles), not data to explore."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSize


class PicturePlot(pg.PlotWidget):
    """The mouse wheel scrolls the panel it sits in: pyqtgraph zoomed the picture instead (the
    comparison's digits, the matched latents' tiles), and the zoom outlived the next comparison."""

    def __init__(self):
        super().__init__()
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        event.ignore()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        """Its minimum: a picture takes the room its layout gives it. pyqtgraph's 600×480 set the
        height of the comparison's scrolled page (its captions wrap, so the page is as tall as its
        parts' hints): the codes fell below the fold at 1440×900, above an empty band."""
        return QSize(max(self.minimumWidth(), 100), max(self.minimumHeight(), 100))
