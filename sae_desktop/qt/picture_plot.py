"""A plot that shows a picture (digits, tiles), not data to explore."""

from __future__ import annotations

import pyqtgraph as pg


class PicturePlot(pg.PlotWidget):
    """The mouse wheel scrolls the panel it sits in: pyqtgraph zoomed the picture instead (the
    comparison's digits, the matched latents' tiles), and the zoom outlived the next comparison."""

    def __init__(self):
        super().__init__()
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        event.ignore()
