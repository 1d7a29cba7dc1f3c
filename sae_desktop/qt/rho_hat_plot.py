"""ρ̂ per latent as bars, with the target ρ as a line: a live view of the KL penalty at work."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from sae_desktop.qt.plot_frame import TopLegend, nice_ceiling
from sae_desktop.qt.rich_text import RHO_HAT
from sae_desktop.qt.plot_style import COLORS, csv_companion, fit_axis_label, style_plot

BATCH_SMOOTHING = 0.8


class RhoHatPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.x_name = "latent"  # the CSV's x column (the axis label also names the epoch)
        style_plot(self, f"Mean activation ({RHO_HAT})", "mean activation", "latent")
        # an outline of the bars' own colour, one pixel whatever the zoom: with 512 latents a bar is under a
        # pixel wide, and without one most live latents were not drawn at all (9 alive, 3 bars; the
        # tallest missing). (Not the theme's foreground: with 256 latents the bars are ~2 px, all outline,
        # dark grey, nearly invisible on the dark theme's plot.)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=COLORS["bars"],
                                    pen=pg.mkPen(COLORS["bars"], width=1, cosmetic=True))
        self.addItem(self.bars)
        self.values_for_csv = csv_companion(self, "mean activation")
        pen = pg.mkPen(COLORS["target"], width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
        self.target = pg.InfiniteLine(angle=0, pen=pen)
        self.target.setZValue(10)  # the line stays in front of the bars; its name is in the legend
        self.addItem(self.target)
        self.top_legend = TopLegend(self)  # above the bars, never over them
        self.target_sample = pg.PlotDataItem([], [], pen=pen)
        self.rho: float | None = None
        self.values: np.ndarray | None = None
        self.dirty = False
        self.n = 32
        self._note_text = ""
        self.clear_data()

    def set_target(self, rho: float | None) -> None:
        self.rho = rho
        self.target.setVisible(rho is not None)
        self.top_legend.legend.removeItem(self.target_sample)
        self.top_legend.legend.setVisible(rho is not None)  # its only entry: else an empty frame
        if rho is not None:
            self.target.setValue(rho)
            self.top_legend.legend.addItem(self.target_sample, f"target ρ = {rho:.3g}")
        self._frame()

    def add_batch_estimate(self, rho_hat: np.ndarray) -> None:
        """Cheap update during an epoch: a smoothed batch mean (the test ρ̂ replaces it per epoch)."""
        if self.values is None or self.values.shape != rho_hat.shape:
            self.values = rho_hat.astype(float)
        else:
            self.values = BATCH_SMOOTHING * self.values + (1 - BATCH_SMOOTHING) * rho_hat
        self._renote("training batches, smoothed")
        self.dirty = True

    def set_test_values(self, rho_hat: np.ndarray, when: str) -> None:
        """The test set's ρ̂ for the weights of ``when`` ("epoch 3", or "step 533" for a stopped run)."""
        self.values = rho_hat.astype(float)
        self._renote(f"test set, {when}")
        self.dirty = True

    def _renote(self, text: str) -> None:
        """Where the values come from, under the axis (in the plot it covered bars)."""
        if text != self._note_text:  # set only on change: new text means a re-layout
            self._note_text = text
            # shorter forms for a narrow plot (a third of the tab), not a label cut at the plot's edge
            # …always naming the axis: its last form, the note alone ("training batches, smoothed" under
            # latents 0-31 at 1024 px) read as the axis's quantity
            when = text.rpartition(", ")[2]
            fit_axis_label(self, "bottom", *(dict.fromkeys([f"latent ({text})", f"latent ({text.replace(' set', '')})",
                                                            f"latent ({when})", "latent"]) if text else ["latent"]))

    def clear_data(self, d_latent: int = 32) -> None:
        """A new run: no bars, auto-range on again (once: a user's zoom stays until "A")."""
        self.values = None
        self.n = d_latent
        self._renote("")
        self.bars.setOpts(x=[], height=[])
        self.values_for_csv.setData([], [])
        self._frame()
        self.enableAutoRange()

    def _frame(self) -> None:
        """Every latent, from 0 up to the highest bar or the target line, and the legend's band."""
        n = len(self.values) if self.values is not None else self.n
        high = max(float(self.values.max()) if self.values is not None and self.values.size else 0.0,
                   self.rho or 0.0)
        self.top_legend.fit((-0.6, n - 0.4), 0.0, nice_ceiling(high) if high > 0 else 0.2)  # moves in steps

    def refresh(self) -> None:
        if not self.dirty or self.values is None:
            return
        self.dirty = False
        n = len(self.values)
        drawn = np.flatnonzero(self.values)  # (a zero's outline is a line along the axis)
        self.bars.setOpts(x=drawn, height=self.values[drawn], width=0.8)
        self.values_for_csv.setData(np.arange(n), self.values)
        self._frame()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if getattr(self, "top_legend", None) is not None and self.plotItem is not None:
            self._frame()  # the legend's share of the height changed

