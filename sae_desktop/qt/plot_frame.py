"""How the training plots frame their data: auto-range once per run, labels where data is not.

pyqtgraph's auto-range follows new data until the user pans or zooms (which switches it off
for that axis) and comes back with the plot's "A" button. So a plot only switches it on when
a run starts, and never sets ranges while it refreshes; what it wants inside the auto range
(an empty run's axes, room above the data for its legend) it says through a :class:`Reserve`,
an item that draws nothing but has data bounds. The legend then sits in a band above the
data, never over it, whatever the data, the scale or the window size.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QPointF, QRectF

from sae_desktop.qt.plot_legend import legend_width
from sae_desktop.qt.plot_style import add_legend

LEGEND_MARGIN_PX = 12  # between the legend's lower edge and the highest data
LEGEND_INSET_PX = 10  # between the legend and the data area's right edge, where there is room
MAX_SHARE = 0.6  # of the plot's height: a legend band taller than this is laid out in more columns, if they fit
LAST_SHARE = 0.85  # …and the band takes this much at most (the data squeezed under it, never covered)
LINE_GAP_PX = 4  # between a vertical line's end and the legend it stops under


class Reserve(pg.GraphicsObject):
    """Invisible; auto-range includes its bounds (x and y ranges, in view units)."""

    def __init__(self):
        super().__init__()
        self._bounds: list[tuple[float, float] | None] = [None, None]

    def set_bounds(self, x: tuple[float, float] | None, y: tuple[float, float] | None) -> None:
        if [x, y] != self._bounds:
            self._bounds = [x, y]
            self.informViewBoundsChanged()

    def dataBounds(self, axis, frac=1.0, orthoRange=None):  # noqa: N802 (pyqtgraph API)
        return self._bounds[axis]

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF()

    def paint(self, *args) -> None:
        pass


class TopLegend:
    """A legend in a band above the data: ``fit`` makes the reserve leave that band free."""

    def __init__(self, plot: pg.PlotWidget, columns: int = 1):
        self.plot = plot
        self.legend = add_legend(plot, offset=(-LEGEND_INSET_PX, 4), colCount=columns)
        self.reserve = Reserve()
        plot.addItem(self.reserve)
        self._samples: list[pg.PlotDataItem] = []
        self._centred = False
        self.columns = columns
        self._fitted: tuple | None = None  # fit's last arguments: fitted again when the plot or legend resizes
        self._placing = False
        self._lines: list[pg.InfiniteLine] = []  # vertical lines that stop under the legend (keep_clear)
        plot.getViewBox().sigResized.connect(self._place)
        self.legend.geometryChanged.connect(self._place)  # (its size: entries, text size)
        plot.getViewBox().sigTransformChanged.connect(self._clear_lines)  # (a zoom, a pan, new data)
        for moved in (self.legend.xChanged, self.legend.yChanged, self.legend.visibleChanged):
            moved.connect(self._clear_lines)

    def keep_clear(self, line: pg.InfiniteLine) -> None:
        """The vertical ``line`` (in the plot: forgotten once removed from it) stops a few px under the
        legend where the legend is across it, and spans the plot elsewhere, its label with it
        (BatchTopK's θ ran through the centred legend of a narrow plot)."""
        self._lines.append(line)
        line.sigPositionChanged.connect(self._clear_lines)
        line.visibleChanged.connect(self._clear_lines)
        self._clear_lines()

    def _clear_lines(self, *_) -> None:
        if not self._lines or not (shiboken6.isValid(self.plot) and shiboken6.isValid(self.legend)):
            return
        self._lines = [line for line in self._lines if shiboken6.isValid(line) and line.scene() is not None]
        view = self.plot.getViewBox()
        low, high = view.viewRange()[1]
        box = self.legend.sceneBoundingRect()
        for line in self._lines:
            span = (0.0, 1.0)
            if self.legend.isVisible() and line.isVisible() and high > low and view.height() > 0:
                x = view.mapViewToScene(QPointF(line.value(), low)).x()
                if box.left() - LINE_GAP_PX <= x <= box.right() + LINE_GAP_PX:
                    under = view.mapSceneToView(QPointF(x, box.bottom() + LINE_GAP_PX)).y()
                    span = (0.0, min(1.0, max(0.0, (under - low) / (high - low))))
            if line.span != span:
                line.setSpan(*span)
                line.viewTransformChanged()  # (setSpan alone kept the old extent until the view moved: pyqtgraph 0.14)

    def _place(self, *_) -> None:
        """At the data area's right, inset, where there is room; else centred on it. With less
        room than the inset (a narrow plot, 1024×768), the right-anchored legend ran over the
        left axis, its markers on the tick labels. In as many columns as it needs to leave the data
        room, and its band reserved again for its new size (presentation mode's larger text in a
        smaller window, after a run had ended: its three rows lay over the L0 curve)."""
        if self._placing or not (shiboken6.isValid(self.plot) and shiboken6.isValid(self.legend)):  # (a window
            return  # being deleted)
        view = self.plot.plotItem.vb if self.plot.plotItem is not None else None
        if view is None or not shiboken6.isValid(view) or self.legend.parentItem() is None:
            return
        self._placing = True
        try:
            self._fit_columns(view)
            if self._fitted is not None:
                self.fit(*self._fitted)
        finally:
            self._placing = False
        centred = self.legend.boundingRect().width() + LEGEND_INSET_PX > view.width() > 0
        if centred != self._centred:
            self._centred = centred
            if centred:
                self.legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 4))
            else:
                self.legend.setOffset((-LEGEND_INSET_PX, 4))
        self._clear_lines()

    def _fit_columns(self, view) -> None:
        """The plot's own columns where the band takes at most :data:`MAX_SHARE` of the height;
        more, up to one row, where it would take more and they fit the data area's width. Judged
        from the entries' sizes: the legend is laid out again only when its columns change (at
        every resize, trying each layout cost main-thread time while switching tabs)."""
        n = len(self.legend.items)
        if n < 2 or view.height() <= 0:
            return
        row = self.legend.boundingRect().height() / math.ceil(n / self.legend.columnCount)

        def too_tall(columns: int) -> bool:
            return row * math.ceil(n / columns) + LEGEND_MARGIN_PX > MAX_SHARE * view.height()

        chosen = self.columns
        while too_tall(chosen) and chosen < n and legend_width(self.legend, chosen + 1) <= view.width():
            chosen += 1
        if chosen != self.legend.columnCount:
            self.legend.setColumnCount(chosen)

    def add_line(self, pen, name: str) -> pg.PlotDataItem:
        """An entry for something that is not a data item (a reference line)."""
        sample = pg.PlotDataItem([], [], pen=pen)  # never added to the plot: only its look is used
        self._samples.append(sample)
        self.legend.addItem(sample, name)
        return sample

    def share(self) -> float:
        """The fraction of the plot's height the legend band takes (none while it is hidden)."""
        if not self.legend.isVisible():
            return 0.0
        view_height = self.plot.getViewBox().height()
        if view_height <= 0 or not self.legend.items:
            return 0.25 if self.legend.items else 0.0
        return min((self.legend.boundingRect().height() + LEGEND_MARGIN_PX) / view_height, LAST_SHARE)

    def fit(self, x: tuple[float, float] | None, low: float, high: float) -> None:
        """Data spans ``low``..``high`` (view units, log10 in log mode): reserve x and the band above."""
        self._fitted = (x, low, high)
        share = self.share()
        span = high - low if high > low else max(abs(high), 1.0) * 0.1
        self.reserve.set_bounds(x, (low, high + span * share / (1 - share)))


def finite_range(*arrays) -> tuple[float, float] | None:
    values = [a[np.isfinite(a)] for a in (np.asarray(a, dtype=float) for a in arrays) if len(a)]
    values = [v for v in values if len(v)]
    if not values:
        return None
    return float(min(v.min() for v in values)), float(max(v.max() for v in values))


# Axes that move at every refresh redraw their ticks every time: during training that was a fifth
# of the window's work (profiled: AxisItem.generateDrawSpecs and paint, Training tab shown). The
# live plots' extents move in steps instead, a few times a run.
EXTENT_STEPS = 8
NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def stepped(value: float, whole: float, parts: int = EXTENT_STEPS) -> float:
    """``value`` rounded up to a multiple of ``whole / parts`` (``value`` itself without a whole)."""
    step = whole / parts
    return math.ceil(value / step) * step if step > 0 and value > 0 else value


def nice_ceiling(value: float) -> float:
    """The least 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k at or above ``value`` (> 0)."""
    if not value > 0 or not math.isfinite(value):
        return value
    scale = 10.0 ** math.floor(math.log10(value))
    return next(n * scale for n in NICE if n * scale >= value * (1 - 1e-12))

