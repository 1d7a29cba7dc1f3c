"""Shared look of the plots, in the light or the dark theme.

pyqtgraph ignores the Qt palette, so every plot styled here is remembered (weakly) and
recoloured when the theme changes: background, axes, ticks, labels, title, legend.
"""

import weakref

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication

from sae_desktop.qt import theme
from sae_desktop.qt.plot_legend import anchor_ignores_a_deleted_parent, legend_entries, set_legend_entries
from sae_desktop.qt.right_axis import plot_items

TITLE_POINTS = 11  # pyqtgraph's title size
LEGEND_POINTS = 9  # pyqtgraph's legend text size

COLORS = {"recon": "#1f77b4", "sparsity": "#ff7f0e", "total": "#333333", "test": "#d62728",
          "bars": "#4c72b0", "target": "#d62728", "hist": "#55a868", "l0": "#8172b3", "dead": "#7f7f7f",
          "back": "#55a868", "top": "#2e6b3d", "top_on_dark": "#a8dfb4",
          "clamped": "#dd8452", "active": "#4c72b0", "inactive": "#b0b7c3"}


_plots: "weakref.WeakSet[pg.PlotWidget]" = weakref.WeakSet()


def _live_plots() -> list[pg.PlotWidget]:
    """The styled plots whose Qt objects still exist (a closed window's may linger in Python)."""
    return [plot for plot in list(_plots)  # pyqtgraph's close() drops the plot item before Qt deletes the widget
            if shiboken6.isValid(plot) and getattr(plot, "plotItem", None) is not None]


def configure() -> None:
    """pyqtgraph's options, and the plots following the theme: done when this module is first
    imported (with the first plot; pyqtgraph is imported after the window's first paint)."""
    pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")
    theme.follow(apply_theme)
    anchor_ignores_a_deleted_parent()
    from sae_desktop.qt.plot_exporters import offer_working_exporters, patch_csv_exporter, patch_svg_exporter

    patch_svg_exporter()  # the plots' own right-click Export… as File ▸ Export (it was patched only once
    patch_csv_exporter()  # File ▸ Export had written an SVG)
    offer_working_exporters()


_scale = [1.0]  # the text scale the plots are drawn at


def apply_theme(t: theme.Theme) -> None:
    """New plots take the theme's colours from pyqtgraph's options; the existing ones are
    recoloured, and resized if the text scale changed (presentation mode)."""
    pg.setConfigOptions(background=t.plot_background, foreground=t.plot_foreground)
    rescale = theme.scale() != _scale[0]
    _scale[0] = theme.scale()
    for plot in _live_plots():
        colour_plot(plot, t)
        if rescale:
            scale_plot(plot, _scale[0])


def recolour_dotted(lines, t: theme.Theme) -> None:
    """Threshold lines (and their legend samples; None skipped) in the plot's text colour, as wide
    as they are: a fixed grey all but vanished on the dark theme's plot."""
    for line in lines:
        if line is None:
            continue
        pen = pg.mkPen(line.pen if isinstance(line, pg.InfiniteLine) else line.opts["pen"])
        pen.setColor(pg.mkColor(t.plot_foreground))
        line.setPen(pen)


def rescale_plots() -> None:
    """Every plot drawn again for the display's scale (the window moved to another screen)."""
    for plot in _live_plots():
        scale_plot(plot, _scale[0])


def colour_plot(plot: pg.PlotWidget, t: theme.Theme) -> None:
    plot.setBackground(t.plot_background)
    item = plot.getPlotItem()
    for axis in [item.getAxis(name) for name in ("left", "bottom", "right", "top")] + colour_bar_axes(plot):
        axis.setPen(t.plot_foreground)
        axis.setTextPen(t.plot_foreground)  # tick labels and the axis label
    title = item.titleLabel
    title.setText(title.text, color=t.plot_foreground)  # kept in its options for later titles
    if item.legend is not None:
        if item.legend.opts.get("brush") is not None:  # a framed legend (others stay transparent)
            item.legend.setPen(t.legend_pen)
            item.legend.setBrush(t.legend_brush)
        item.legend.setLabelTextColor(t.plot_foreground)  # for labels added from now on…
        for _, label in item.legend.items:  # …and those already drawn (setLabelTextColor does not redraw them)
            label.setText(label.text, color=t.plot_foreground)


def colour_bar_axes(plot: pg.PlotWidget) -> list[pg.AxisItem]:
    """The axes of the colour bars set beside the plot (``ColorBarItem.setImageItem(insert_in=…)``)."""
    layout = plot.getPlotItem().layout
    items = [layout.itemAt(i) for i in range(layout.count())]
    return [bar.getAxis(side) for bar in items if isinstance(bar, pg.ColorBarItem)  # (its label on one side,
            for side in ("left", "bottom", "right", "top")]  # its ticks on another)


def add_legend(plot: pg.PlotWidget, **options) -> pg.LegendItem:
    """``plot.addLegend(**options)`` in the theme's colours (a legend added after the plot was
    styled would keep pyqtgraph's default text colour: dark on a dark plot)."""
    legend = plot.addLegend(**options)
    colour_plot(plot, theme.current())
    _scale_legend(legend, _scale[0])
    return legend


def settle(plot: pg.PlotWidget) -> None:
    """Bring the plot's auto range, and the axes that follow it, up to date now that its data
    changed, not at the start of its next paint: pyqtgraph does it there (its paintEvent calls
    ``prepareForPaint``), and the items that changes then marks dirty ask for a second paint of
    the whole plot straight after the first (during training, the loss plot was painted 78 times
    where 56 do: 647 → 332 ms of the main thread, benchmarks/tab_switch.py)."""
    plot.scene().prepareForPaint()


def follow_theme(plot: pg.PlotWidget) -> None:
    """The plot in the theme's colours, now and at every change (a plot left out kept the
    background it was made with: white in the dark theme)."""
    _plots.add(plot)
    colour_plot(plot, theme.current())


def style_plot(plot: pg.PlotWidget, title: str, left: str, bottom: str) -> pg.PlotWidget:
    """Title and axis labels, in the theme's colours (and again when it changes). No grid by
    default: pyqtgraph repaints grid lines with every redraw (measured: 11-20 ms of main-thread
    CPU per refresh, taken from training); users can turn it on from the right-click menu,
    which also has Export… (PNG, SVG, CSV)."""
    follow_theme(plot)
    set_title(plot, title)
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    for axis in ("left", "bottom"):
        plot.getAxis(axis).enableAutoSIPrefix(False)  # "×0.001" scaling confuses more than it helps
    # the bottom axis's ticks outward, toward its labels: pyqtgraph's point into the plot, where bars and
    # histograms stand on the axis (the Probe's code bars each had a dark stroke drawn up through them)
    plot.getAxis("bottom").setStyle(tickLength=5)
    if _scale[0] != 1.0 or plot.devicePixelRatioF() != 1.0:
        scale_plot(plot, _scale[0])
        # again once the caller has added its items (their lines were drawn at the unscaled width)
        QTimer.singleShot(0, plot, lambda: scale_plot(plot, _scale[0]) if plot.plotItem is not None else None)
    return plot


def fit_axis_label(plot: pg.PlotWidget, side: str, *texts: str) -> None:
    """An axis label that fits its axis: the first of ``texts`` (longest first) that does, else
    the last one cut with "…"; chosen again when the plot is resized or its text scaled. A label
    wider than a narrow plot ran past its edge ("latent (test set, epoch 2", "vation")."""
    labels = vars(plot).setdefault("_fitted_labels", {})
    if not labels:
        plot.getViewBox().sigResized.connect(lambda *_: _refit_labels(plot))
    if labels.get(side) == texts:  # the same again: nothing to do (a resize or a new text size refits)
        return
    labels[side] = texts
    _refit_labels(plot)


def _refit_labels(plot: pg.PlotWidget) -> None:
    for side, texts in vars(plot).get("_fitted_labels", {}).items():
        axis = plot.getAxis(side)
        length = axis.width() if side in ("bottom", "top") else axis.height()
        room = length - 8
        metrics = QFontMetrics(label_font(axis))
        chosen = next((t for t in texts if room <= 0 or metrics.horizontalAdvance(t) <= room), None)
        if chosen is None:
            chosen = metrics.elidedText(texts[-1], Qt.TextElideMode.ElideRight, room)
        if axis.labelText != chosen:  # set only on change: new text means a re-layout
            axis.setLabel(chosen, **axis.labelStyle)
        # The text as drawn, too: on some X servers it came out wider than the font's metrics
        # said, and "latent (training batches, smoothed)" was cut at the plot's edge
        later = list(texts[texts.index(chosen) + 1:]) if chosen in texts else []
        while room > 0 and later and axis.label.boundingRect().width() > length:
            chosen = later.pop(0)
            axis.setLabel(chosen, **axis.labelStyle)
        # pyqtgraph centres the label only when the axis is resized: a longer text set since began
        # where the shorter one had, and ran past the plot's edge ("latent (training batches, smoc")
        axis.resizeEvent(None)


def label_font(axis: pg.AxisItem) -> QFont:
    """The font an axis label is drawn in: its item's, at the size its style sets (pyqtgraph
    writes the size into the label's HTML, e.g. 13.5pt in presentation mode)."""
    font = QFont(axis.label.font())
    size = str(axis.labelStyle.get("font-size", ""))
    if size.endswith("pt"):
        font.setPointSizeF(float(size[:-2]))
    elif size.endswith("px"):
        font.setPixelSize(round(float(size[:-2])))
    return font


def set_title(plot: pg.PlotWidget, title: str) -> None:
    """A title that never widens the plot. pyqtgraph makes a title's width the plot's minimum
    (LabelItem.updateMin, on every text change and resize), which the Qt layout does not
    know, so in a narrow window (1024×768) the data area ran past the widget's right edge.
    Now only a too-long title is cut at its ends."""
    label = plot.getPlotItem().titleLabel
    if "updateMin" not in vars(label):  # once per plot: wrap pyqtgraph's method on this label only
        update_min = label.updateMin

        def update_min_any_width() -> None:
            update_min()
            label.setMinimumWidth(0)  # an explicit minimum: the layout no longer takes the text's width

        label.updateMin = update_min_any_width
    plot.setTitle(title)


def empty_ranges(plot: pg.PlotWidget, x: tuple[float, float], y: tuple[float, float]) -> None:
    """Sensible axes before any data; the first data switches auto-range back on."""
    plot.setXRange(*x, padding=0)
    plot.setYRange(*y, padding=0)


def csv_companion(plot: pg.PlotWidget, name: str) -> pg.PlotDataItem:
    """A hidden curve holding a bar chart's numbers: pyqtgraph's CSV exporter skips bar
    items but exports every plot-data item, visible or not (hidden ones do not auto-range)."""
    item = pg.PlotDataItem([], [], name=None)
    item.opts["name"] = name  # column header in the CSV, without adding a legend entry
    item.setVisible(False)
    plot.addItem(item)
    return item


def scale_plot(plot: pg.PlotWidget, scale: float) -> None:
    item = plot.getPlotItem()
    font = QFont(QApplication.font())  # the application's font (already scaled for presentation)
    points = f"{font.pointSizeF():.1f}pt"
    for axis in [item.getAxis(name) for name in ("left", "bottom", "right", "top")] + colour_bar_axes(plot):
        axis.setStyle(tickFont=font)
        # pyqtgraph replaces the label's whole style: keep its colour (the theme's), or it turned near-black
        axis.setLabel(axis.labelText, units=axis.labelUnits or None, **{**axis.labelStyle, "font-size": points})
        axis.resizeEvent()  # the label placed again for its new size, clear of the tick labels
    _refit_labels(plot)  # a larger text may no longer fit its axis
    item.titleLabel.setText(item.titleLabel.text, size=f"{TITLE_POINTS * scale:.1f}pt")
    if item.legend is not None:
        _scale_legend(item.legend, scale)
    lines = scale * (plot.devicePixelRatioF() or 1.0)  # Qt draws cosmetic pens (pyqtgraph's) in device pixels:
    # at 2× (a projector, a 4K laptop) every line was half as thick as beside text of the same size
    samples = [sample.item for sample, _ in item.legend.items] if item.legend is not None else []
    for child in [child for child, _ in plot_items(plot)] + samples:  # (a right axis's items, and legend
        _scale_pen(child, lines)  # samples of lines not in the plot, too)


def _scale_legend(legend: pg.LegendItem, scale: float) -> None:
    """Legend text ``scale`` times pyqtgraph's size, for entries added later and those drawn.
    The drawn ones are added again: a label given a new size in place keeps its old box in the
    legend's layout (cut text, a box too large after leaving presentation mode)."""
    size = f"{LEGEND_POINTS * scale:.1f}pt"
    if legend.opts["labelTextSize"] == size:
        return
    legend.setLabelTextSize(size)
    set_legend_entries(legend, legend_entries(legend), again=True)


def _scale_pen(item, scale: float) -> None:
    """Lines drawn ``scale`` times their own width (and symbols their size), from their first width."""
    if isinstance(item, pg.PlotDataItem):
        pen = pg.mkPen(item.opts["pen"]) if item.opts.get("pen") is not None else None
        symbol = item.opts.get("symbolSize")
    elif isinstance(item, (pg.PlotCurveItem, pg.InfiniteLine)):
        pen, symbol = pg.mkPen(item.opts["pen"] if isinstance(item, pg.PlotCurveItem) else item.pen), None
    else:
        return
    base = vars(item).setdefault("_base_size", (pen.widthF() if pen is not None else None, symbol))
    if pen is not None and base[0]:
        pen.setWidthF(base[0] * scale)
        item.setPen(pen)
    if base[1] and isinstance(item, pg.PlotDataItem):
        item.setSymbolSize(base[1] * scale)


configure()
