"""ρ̂ per latent as bars, with the target ρ as a line: a live view of the KL penalty at work."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from sae_desktop.qt.plot_style import COLORS, corner_note, csv_companion, empty_ranges, style_plot

BATCH_SMOOTHING = 0.8


class RhoHatPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        style_plot(self, "Mean activation per latent", "mean activation", "latent")
        self.note = corner_note(self)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=COLORS["bars"])
        self.addItem(self.bars)
        self.values_for_csv = csv_companion(self, "mean activation")
        self.target = pg.InfiniteLine(angle=0, pen=pg.mkPen(COLORS["target"], width=2, style=pg.QtCore.Qt.DashLine),
                                      label="target ρ = {value:.3g}",
                                      labelOpts={"position": 0.97, "color": COLORS["target"],
                                                 "anchors": [(1, 1), (1, 1)], "fill": (255, 255, 255, 210)})
        self.target.setZValue(10)  # the line and its label stay in front of the bars
        self.addItem(self.target)
        self.values: np.ndarray | None = None
        self.dirty = False
        self._note_text = ""
        self.clear_data()

    def set_target(self, rho: float | None) -> None:
        self.target.setVisible(rho is not None)
        if rho is not None:
            self.target.setValue(rho)

    def add_batch_estimate(self, rho_hat: np.ndarray) -> None:
        """Cheap update during an epoch: a smoothed batch mean (the test ρ̂ replaces it per epoch)."""
        if self.values is None or self.values.shape != rho_hat.shape:
            self.values = rho_hat.astype(float)
        else:
            self.values = BATCH_SMOOTHING * self.values + (1 - BATCH_SMOOTHING) * rho_hat
        self._renote("training batches (smoothed)")
        self.dirty = True

    def set_test_values(self, rho_hat: np.ndarray, when: str) -> None:
        """The test set's ρ̂ for the weights of ``when`` ("epoch 3", or "step 533" for a stopped run)."""
        self.values = rho_hat.astype(float)
        self._renote(f"test set, {when}")
        self.dirty = True

    def _renote(self, text: str) -> None:
        if text != self._note_text:  # set only on change: new text means a repaint
            self._note_text = text
            self.note.setText(text)

    def clear_data(self, d_latent: int = 32) -> None:
        self.values = None
        self.bars.setOpts(x=[], height=[])
        empty_ranges(self, (-0.5, d_latent - 0.5), (0.0, 0.2))

    def refresh(self) -> None:
        if not self.dirty or self.values is None:
            return
        self.dirty = False
        n = len(self.values)
        self.bars.setOpts(x=np.arange(n), height=self.values, width=0.8)
        self.values_for_csv.setData(np.arange(n), self.values)
        self.setXRange(-0.6, n - 0.4, padding=0)  # every latent visible
        self.enableAutoRange(axis="y")

