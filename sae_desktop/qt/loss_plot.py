"""Per-step losses (raw, with a smoothed line over each) and the test MSE per epoch."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from sae_desktop.engine import StepOutput
from sae_desktop.qt.buffers import SeriesBuffer
from sae_desktop.qt.plot_files import csv_name
from sae_desktop.qt.plot_style import COLORS, empty_ranges, style_plot

SMOOTHING = 0.85  # exponential moving average factor per report (~7 reports of memory)
STEP, RECON, SPARSITY, TOTAL = 0, 1, 2, 3  # raw columns; smoothed ones follow at +3


class LossPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        style_plot(self, "Losses", "loss", "training step")
        self.setClipToView(True)  # only the visible part is drawn …
        self.setDownsampling(auto=True, mode="peak")  # … and thinned, so 100 epochs stay fast
        self.addLegend(offset=(-10, 10))
        self.steps = SeriesBuffer(7)
        self.epochs = SeriesBuffer(2)
        self.raw, self.smooth = {}, {}
        for column, key, name in ((RECON, "recon", "reconstruction"), (SPARSITY, "sparsity", "sparsity (weighted)"),
                                  (TOTAL, "total", "total")):
            color = pg.mkColor(COLORS[key])
            faint = pg.mkColor(color)
            faint.setAlpha(60)
            self.raw[column] = self.plot(pen=pg.mkPen(faint, width=1), antialias=False)  # faint: AA buys nothing
            self.smooth[column] = self.plot(pen=pg.mkPen(color, width=2), name=name)
            csv_name(self.raw[column], f"{name} (per report)")
            csv_name(self.smooth[column], f"{name} (smoothed)")
        self.test = self.plot(pen=pg.mkPen(COLORS["test"], width=2), symbol="o", symbolSize=7,
                              symbolBrush=COLORS["test"], name="test MSE (per epoch)")
        self.dirty = False
        self._ema = np.zeros(3)  # bias-corrected like TensorBoard's, so the start does not lag
        self._ema_weight = 0.0
        empty_ranges(self, (0.0, 4690.0), (0.0, 0.1))

    def clear_data(self) -> None:
        self._ema[:] = 0.0
        self._ema_weight = 0.0
        self.steps.clear()
        self.epochs.clear()
        self.dirty = True
        self.refresh()

    def set_sparsity_visible(self, visible: bool) -> None:
        """Top-k has no penalty term: a curve of zeros would only break the log scale."""
        self.raw[SPARSITY].setVisible(visible)
        self.smooth[SPARSITY].setVisible(visible)

    def add_step(self, out: StepOutput) -> None:
        raw = np.array([out.recon_loss, out.total_loss - out.recon_loss, out.total_loss])
        self._ema = SMOOTHING * self._ema + (1 - SMOOTHING) * raw
        self._ema_weight = SMOOTHING * self._ema_weight + (1 - SMOOTHING)
        self.steps.append(out.step, *raw, *(self._ema / self._ema_weight))
        self.dirty = True

    def add_epoch(self, step: int, test_mse: float) -> None:
        self.epochs.append(step, test_mse)
        self.dirty = True

    def set_log_y(self, on: bool) -> None:
        self.setLogMode(y=on)

    def refresh(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        x = self.steps.view(STEP)
        for column in (RECON, SPARSITY, TOTAL):
            self.raw[column].setData(x, np.maximum(self.steps.view(column), 1e-12), skipFiniteCheck=True)
            self.smooth[column].setData(x, np.maximum(self.steps.view(column + 3), 1e-12), skipFiniteCheck=True)
        self.test.setData(self.epochs.view(0), self.epochs.view(1))
        if self.steps.size:
            self.enableAutoRange()
