"""Per-epoch sparsity: L0 (active latents per image) and the number of dead latents."""

from __future__ import annotations

import math

import pyqtgraph as pg

from sae_desktop.qt.buffers import SeriesBuffer
from sae_desktop.qt.plot_style import COLORS, empty_ranges, style_plot


class SparsityPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        style_plot(self, "Sparsity per epoch", "latents", "epoch")
        self.legend = self.addLegend(offset=(-10, 10))
        self.series = SeriesBuffer(3)
        self.l0 = self.plot(pen=pg.mkPen(COLORS["l0"], width=2), symbol="o", symbolSize=6,
                            symbolBrush=COLORS["l0"], name="L0: active per image")
        self.dead = self.plot(pen=pg.mkPen(COLORS["dead"], width=2), symbol="s", symbolSize=6,
                              symbolBrush=COLORS["dead"], name="dead latents")
        self.clear_data()

    def add_epoch(self, epoch: int, l0: float, dead: int) -> None:
        self.series.append(epoch, l0, dead)
        self.dirty = True

    def refresh(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        epochs = self.series.view(0)
        self.l0.setData(epochs, self.series.view(1))
        self.dead.setData(epochs, self.series.view(2))
        top = max(float(self.series.view(1).max()), float(self.series.view(2).max()), 1.0)
        self.setYRange(0, top / (1 - self._legend_share()), padding=0)  # headroom: the legend sits above the curves
        first, last = float(epochs[0]), max(float(epochs[-1]), epochs[0] + 1)
        pad = 0.3 + 0.04 * (last - first)  # room for half of the last epoch's label: pyqtgraph hides a clipped one
        self.setXRange(first - pad, last + pad, padding=0)
        step = max(1, math.ceil(len(epochs) / 10))
        self.getAxis("bottom").setTickSpacing(step, step)  # whole epochs only

    def _legend_share(self) -> float:
        """The top fraction of the plot the legend covers (its height is fixed in pixels, so
        the share grows as the window gets shorter)."""
        view_height = self.getViewBox().height()
        if view_height <= 0:
            return 0.31
        return min(max((self.legend.boundingRect().height() + 20) / view_height, 0.2), 0.6)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if len(getattr(self, "series", ())) and self.plotItem is not None:  # not in __init__ or close()
            self.dirty = True  # the legend's share changed
            self.refresh()

    def clear_data(self) -> None:
        self.dirty = False
        self.series.clear()
        self.l0.setData([], [])
        self.dead.setData([], [])
        empty_ranges(self, (1.0, 10.0), (0.0, 10.0))
