"""A second y axis, on a plot's right, for a quantity of another scale: the Sparsity plot's dead
latents (hundreds, of a 512-latent dictionary) beside L0 (a few latents per image), which on
one axis lay flat on 0.

Its items live in a view box of their own, laid over the plot's and sharing its x range. Its
y range is the plot's times a scale (right units per left unit), so both axes have their 0 on
one line, the legend's band above the data is the same on both, and a zoom or the "A" button
moves both. The box is a child of the plot item (so an SVG export, which walks the item's
children, has its items) and drawn beneath the plot's own box, so the mouse reaches the plot's.
"""

from __future__ import annotations

import pyqtgraph as pg


class CappedAxis(pg.AxisItem):
    """Whole numbers from 0 to ``cap`` only: above it the axis has room for the legend, not values
    (a right axis of dead latents read "800" over a dictionary of 512, and "0.4" latents)."""

    cap: float | None = None

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        top = float("inf") if self.cap is None else self.cap * (1 + 1e-9)
        return [(spacing, [v for v in values if -1e-9 <= v <= top and abs(v - round(v)) < 1e-9])
                for spacing, values in super().tickValues(minVal, maxVal, size)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return [str(round(v * scale)) for v in values]  # whole numbers ("1", not "1.0" of a finer level)


class RightAxis:
    def __init__(self, plot: pg.PlotWidget, label: str):
        item = plot.getPlotItem()
        self.plot = plot
        self.box = pg.ViewBox(enableMouse=False, enableMenu=False)
        self.box.setParentItem(item)
        self.box.setZValue(item.vb.zValue() - 1)
        self.box.setXLink(item.vb)
        item.setAxisItems({"right": CappedAxis("right")})
        item.showAxis("right")
        self.axis = item.getAxis("right")
        self.axis.linkToView(self.box)
        self.axis.enableAutoSIPrefix(False)
        plot.setLabel("right", label)
        self.items: list[pg.GraphicsObject] = []
        self.scale = 1.0
        item.vb.sigResized.connect(self._follow)
        item.vb.sigYRangeChanged.connect(self._follow_range)
        self._follow()

    def add(self, data_item: pg.GraphicsObject) -> pg.GraphicsObject:
        self.box.addItem(data_item)
        self.items.append(data_item)
        return data_item

    def set_scale(self, scale: float, cap: float | None = None) -> None:
        """Right-axis units per left-axis unit (e.g. the dictionary's size over the highest L0);
        ``cap``: the highest value the axis has a tick for."""
        if cap != self.axis.cap:
            self.axis.cap = cap
            self.axis.picture = None  # (its ticks drawn again)
            self.axis.update()
        if scale > 0 and scale != self.scale:
            self.scale = scale
            self._follow_range()

    def _follow_range(self, *_) -> None:
        low, high = self.plot.getPlotItem().vb.viewRange()[1]
        self.box.setYRange(low * self.scale, high * self.scale, padding=0)

    def _follow(self, *_) -> None:
        """Over the plot's view box, wherever the layout puts it."""
        self.box.setGeometry(self.plot.getPlotItem().vb.geometry())


def plot_items(plot: pg.PlotWidget) -> list[tuple[pg.GraphicsObject, pg.ViewBox]]:
    """Every item a plot draws data with, and the view box it is drawn in (its right axis's too)."""
    item = plot.getPlotItem()
    right = getattr(plot, "right_axis", None)
    return [(i, item.vb) for i in item.items] + ([(i, right.box) for i in right.items] if right else [])
