"""Histogram of all latent activations on the test set (the tutorial's "skewed toward 0" plot)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from sae_desktop.qt import theme
from sae_desktop.qt.plot_frame import TopLegend
from sae_desktop.qt.plot_files import csv_name
from sae_desktop.qt.plot_style import COLORS, fit_axis_label, recolour_dotted, style_plot


class _ShareAxis(pg.AxisItem):
    """A share is at most 100 %: where the legend's band reaches past it (a TopK model's zeros are
    most of its activations), no tick above 100 ("110", "120" read as shares)."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph naming)
        return [(spacing, [v for v in values if v <= 100 + 1e-9])
                for spacing, values in super().tickValues(minVal, maxVal, size)]


class ActivationHistogram(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"left": _ShareAxis("left")})
        self.x_name = "activation"  # the CSV's x column (the axis label also names the epoch)
        style_plot(self, "Test-set activations", "share of activations (%)", "activation")
        self.curve = csv_name(self.plot(stepMode="center", fillLevel=0, brush=pg.mkBrush(COLORS["hist"] + "99"),
                                        pen=pg.mkPen(COLORS["hist"], width=1)), "share of activations (%)")
        dotted = pg.mkPen(style=pg.QtCore.Qt.PenStyle.DotLine)  # (its colour: the theme's, _on_theme)
        self.threshold = pg.InfiniteLine(angle=90, pen=dotted)
        self.addItem(self.threshold)
        self.top_legend = TopLegend(self)  # names the line above the bars, never over them
        self._threshold_sample = self.top_legend.add_line(dotted, "active above")
        self.top_legend.keep_clear(self.threshold)
        theme.follow(self._on_theme)
        self._top = 100.0
        self._pending = None
        self.clear_data()

    def _on_theme(self, t: theme.Theme) -> None:
        """The threshold dotted in the plot's text colour (a fixed dark grey all but vanished on
        the dark theme's plot)."""
        recolour_dotted([self.threshold, self._threshold_sample], t)

    def set_histogram(self, counts: np.ndarray, edges: np.ndarray, threshold: float, when: str = "",
                      fires_above: float | None = None) -> None:
        """Activations of the weights of ``when`` ("epoch 3", or "step 533" for a stopped run), active above
        ``threshold``; ``fires_above``: BatchTopK's inference threshold θ (nothing lies between 0 and it)."""
        self._pending = (counts, edges, threshold, when, fires_above)

    @property
    def dirty(self) -> bool:
        return self._pending is not None

    def refresh(self) -> None:
        if self._pending is None:
            return
        counts, edges, threshold, when, fires_above = self._pending
        self._pending = None
        shares = 100.0 * counts / max(counts.sum(), 1)
        self.curve.setData(edges, shares)
        self.threshold.setValue(threshold if fires_above is None else fires_above)
        self.threshold.setVisible(True)
        self.top_legend.legend.setVisible(True)
        label = self.top_legend.legend.items[0][1]
        # the value too, in the probe's legend's words
        text = f"active above {threshold:g}" if fires_above is None else f"fires above θ = {fires_above:.3g}"
        if label.text != text:
            label.setText(text)
        # the epoch under the axis, not in the title: a third of the tab is ~230 px wide on a
        # 1024×768 screen, where a longer title is cut ("epoch 1" for epoch 10)
        fit_axis_label(self, "bottom", *([f"activation, {when}", when] if when else ["activation"]))
        self._top = float(shares.max()) if shares.size else 100.0
        self.top_legend.fit(None, 0.0, self._top)


    def clear_data(self) -> None:
        """A new run: an empty 0-1 × 0-100 % frame, auto-range on again (once per run); no
        threshold line until the first histogram says where it is (a line at 0 read as one)."""
        fit_axis_label(self, "bottom", "activation")
        self.threshold.setVisible(False)
        self.top_legend.legend.setVisible(False)
        self.curve.clear()  # empty axes: a flat line at 0 % read as data
        self._top = 100.0
        self.top_legend.fit((0.0, 1.0), 0.0, self._top)
        self.enableAutoRange()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if getattr(self, "top_legend", None) is not None and self.plotItem is not None:
            self.top_legend.fit(self.top_legend.reserve.dataBounds(0), 0.0, self._top)
