"""Shared look of the plots: light background (exports well, readable on projectors)."""

import pyqtgraph as pg

COLORS = {"recon": "#1f77b4", "sparsity": "#ff7f0e", "total": "#333333", "test": "#d62728",
          "bars": "#4c72b0", "target": "#d62728", "hist": "#55a868", "l0": "#8172b3", "dead": "#c44e52",
          "clamped": "#dd8452", "active": "#4c72b0", "inactive": "#b0b7c3"}


def configure() -> None:
    pg.setConfigOptions(background="w", foreground="#333333", antialias=True, imageAxisOrder="row-major")


def style_plot(plot: pg.PlotWidget, title: str, left: str, bottom: str) -> pg.PlotWidget:
    """Title and axis labels. No grid by default: pyqtgraph repaints grid lines with every
    redraw (measured: 11-20 ms of main-thread CPU per refresh, taken from training);
    users can turn it on from the right-click menu, which also has Export… (PNG, SVG, CSV)."""
    set_title(plot, title)
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    for axis in ("left", "bottom"):
        plot.getAxis(axis).enableAutoSIPrefix(False)  # "×0.001" scaling confuses more than it helps
    return plot


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
