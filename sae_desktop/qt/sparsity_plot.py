"""Per-epoch sparsity: L0 (active latents per image), the number of dead latents, and when
dead latents were revived (resampling): a dashed line labelled with how many."""

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
        self.revivals: list[tuple[float, int]] = []  # (epochs in, latents revived)
        self._revival_items: list[pg.GraphicsObject] = []
        self.clear_data()

    def add_revival(self, epoch_position: float, count: int) -> None:
        """Resampling re-initialised ``count`` dead latents at ``epoch_position`` (e.g. 2.5)."""
        self.revivals.append((epoch_position, count))
        line = pg.InfiniteLine(epoch_position, angle=90, pen=pg.mkPen(COLORS["dead"], style=pg.QtCore.Qt.PenStyle.DashLine),
                               label=f"{count} revived", labelOpts={"position": 0.62, "color": COLORS["dead"],
                                                                     "rotateAxis": (1, 0)})
        line.setToolTip(f"{count} dead latents resampled at {epoch_position:.2f} epochs")
        self.addItem(line)
        self._revival_items.append(line)
        self.dirty = True

    def add_epoch(self, epoch: int, l0: float, dead: int) -> None:
        self.series.append(epoch, l0, dead)
        self.dirty = True

    def refresh(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        epochs = self.series.view(0)
        if not len(epochs):  # only revivals so far (the first epoch has not ended): frame them
            self.setXRange(0.5, max([p for p, _ in self.revivals] + [1.0]) + 0.5, padding=0)
            return
        self.l0.setData(epochs, self.series.view(1))
        self.dead.setData(epochs, self.series.view(2))
        top = max(float(self.series.view(1).max()), float(self.series.view(2).max()), 1.0)
        self.setYRange(0, top / (1 - self._legend_share()), padding=0)  # headroom: the legend sits above the curves
        first = min([float(epochs[0])] + [p for p, _ in self.revivals])
        last = max([float(epochs[-1]), epochs[0] + 1] + [p for p, _ in self.revivals])
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
        for item in getattr(self, "_revival_items", []):
            self.removeItem(item)
        self._revival_items, self.revivals = [], []
        self.series.clear()
        self.l0.setData([], [])
        self.dead.setData([], [])
        empty_ranges(self, (1.0, 10.0), (0.0, 10.0))
