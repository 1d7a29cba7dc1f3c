"""The Atlas's feature density: how many latents fire on what share of test digits (log10), the
selected latent's density marked, or why the plot is empty."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from sae_desktop.atlas import log_density_histogram
from sae_desktop.qt import theme
from sae_desktop.qt.plot_files import csv_name
from sae_desktop.qt.plot_style import COLORS, empty_ranges, set_title, style_plot

DENSITY_TITLE = "Feature density (latents that fire)"
NO_TEST_SET = "Needs the test set ({})"  # the empty plot's title: why it is empty


class DensityPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        style_plot(self, DENSITY_TITLE, "latents", "log10(density)")
        self.setMaximumHeight(220)
        self.curve = csv_name(self.plot(stepMode="center", fillLevel=0, pen=pg.mkPen(COLORS["bars"])), "latents")
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(COLORS["target"], width=2))
        self.addItem(self.marker)
        theme.follow(self._on_theme)  # (the bars' fill: the theme's)

    def show_density(self, density: np.ndarray, images: int) -> int:
        """The histogram of the latents' densities on ``images`` test digits; returns how many never
        fire (left out of it)."""
        counts, edges, dead = log_density_histogram(density, images)
        self.curve.setData(edges, counts)
        self.enableAutoRange()
        set_title(self, DENSITY_TITLE)
        return dead

    def show_missing(self, why: str) -> None:
        """Empty axes titled ``why`` ("not found", "loading…"), not a flat line at 0 that reads as data."""
        self.curve.clear()
        empty_ranges(self, (-5.0, 0.0), (0.0, 4.0))
        set_title(self, NO_TEST_SET.format(why))

    def mark(self, density: float | None) -> None:
        """A latent's density marked (one that never fires, or none: no marker)."""
        self.marker.setVisible(density is not None and density > 0)
        if density is not None and density > 0:
            self.marker.setValue(float(np.log10(density)))

    def _on_theme(self, t: theme.Theme) -> None:
        fill = pg.mkColor(COLORS["bars"])
        fill.setAlpha(t.fill_alpha)
        self.curve.setBrush(pg.mkBrush(fill))
