"""A plot as a file: PNG (2× for print), SVG (vector paths, markers included), CSV (named columns).

pyqtgraph's own exporters, which the plots' right-click Export… uses, are made to write as these
do in plot_exporters.py.
"""

from __future__ import annotations

import csv
import html
import itertools
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from pyqtgraph.exporters import ImageExporter, SVGExporter

from sae_desktop.qt.hidden_layout import lay_out_hidden
from sae_desktop.qt.plot_caption import captioned, svg_caption
from sae_desktop.qt.plot_exporters import patch_svg_exporter
from sae_desktop.qt.right_axis import plot_items

PLOT_FILTER = "PNG image (*.png);;SVG drawing (*.svg);;CSV data (*.csv)"
TITLE_ROW_PX = 30  # pyqtgraph's title row (PlotItem.setTitle)


@contextmanager
def export_title(plot: pg.PlotWidget):
    """A plot's on-screen title may carry a hint for the mouse ("click or drag a bar…"):
    files get ``plot.export_title`` instead, when it has one; and its ``screen_only`` items (the
    latent bars' keyboard frame) are left out of them."""
    title = getattr(plot, "export_title", None)
    label = plot.getPlotItem().titleLabel
    shown = label.text
    hidden = [item for item in getattr(plot, "screen_only", ()) if item.isVisible()]
    if title is not None:
        label.setText(html.escape(title))
        _wrap_title(plot)
    for item in hidden:
        item.hide()
    try:
        yield
    finally:
        if title is not None:
            _wrap_title(plot, unwrap=True)
            label.setText(shown)
        for item in hidden:
            item.show()


def _wrap_title(plot: pg.PlotWidget, unwrap: bool = False) -> None:
    """A title wider than its column (the data area's) broken into centred lines, its row as tall as
    they are (pyqtgraph's title row is one line, 30 px: "…code of file cloth_003_5096.png (the sheet
    alone, cut ou…" was cut at both ends of an exported PNG); ``unwrap``: one line again."""
    item = plot.getPlotItem()
    label, room = item.titleLabel, item.getViewBox().width()
    text = label.item
    if unwrap or text.boundingRect().width() <= room:
        if text.textWidth() >= 0:
            text.setTextWidth(-1)
            label.setMaximumHeight(TITLE_ROW_PX)
            item.layout.setRowFixedHeight(0, TITLE_ROW_PX)
        return
    text.setTextWidth(room)
    option = text.document().defaultTextOption()
    option.setAlignment(Qt.AlignmentFlag.AlignHCenter)
    text.document().setDefaultTextOption(option)
    height = max(TITLE_ROW_PX, text.boundingRect().height())
    label.setMaximumHeight(height)
    item.layout.setRowFixedHeight(0, height)
    label.updateMin()
    item.layout.activate()
    label.resizeEvent(None)


@contextmanager
def legends_scaled(plot: pg.PlotWidget):
    """pyqtgraph's legends ignore transformations (a constant size on screen), so a 2× PNG drew
    them at half the size of everything else: while exporting they follow the scale."""
    flag = pg.QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
    legends = [item for item in plot.scene().items() if isinstance(item, pg.LegendItem) and item.flags() & flag]
    for legend in legends:
        legend.setFlag(flag, False)
    try:
        yield
    finally:
        for legend in legends:
            legend.setFlag(flag, True)


def export_plot(plot: pg.PlotWidget, path: str | Path, caption: str | None = None) -> Path:
    """By suffix: .png (ImageExporter, 2× for print), .svg (SVGExporter), .csv (named columns).
    ``caption``: a line above the plot in a PNG or SVG, saying whose it is (the run's or model's
    name: a slide of two runs' loss curves could not tell them apart but by the file's name)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg", ".csv"):
        raise ValueError(f"choose a .png, .svg or .csv file name, not {path.name}")
    lay_out_hidden(plot)  # a tab never shown: at the size it will show it (it was 640×480)
    if callable(refresh := getattr(plot, "refresh", None)):
        refresh()  # its news, if its tab is hidden (a hidden tab's plots wait for a visit)
    if suffix == ".csv":
        header, rows = csv_table(plot)
        if not rows:  # (three histograms wrote a file of one empty line, and said it was exported)
            raise ValueError("the plot shows no data to write as CSV yet")
        write_csv(path, header, rows)
        return path
    if not has_content(plot):  # (it was written as bare axes, and said to be exported)
        raise ValueError("the plot shows no data to export yet")
    item = plot.getPlotItem()
    plot.scene().prepareForPaint()  # a plot in a hidden tab has deferred its range and transform
    with export_title(plot):
        if suffix == ".png":
            exporter = ImageExporter(item)
            exporter.parameters()["width"] = int(item.sceneBoundingRect().width() * 2)
        else:
            patch_svg_exporter()
            exporter = SVGExporter(item)
        with legends_scaled(plot):
            if suffix == ".png" and caption:
                image = exporter.export(toBytes=True)
            else:
                exporter.export(str(path))
    if suffix == ".png" and caption:
        if not captioned(image, caption, plot.font()).save(str(path)):
            raise OSError(f"{path}: the image could not be written")
    if suffix == ".svg" and (caption or data_inside_view(plot)):
        edit_svg(path, drop_clips=data_inside_view(plot), caption=caption, font=plot.font())
    return path


def has_content(plot: pg.PlotWidget) -> bool:
    """Whether the plot has something to export: data, or a title of its own for files that says
    why it has none ("Latent 7: never active on the test set")."""
    return shows_data(plot) or getattr(plot, "export_title", None) is not None


def shows_data(plot: pg.PlotWidget) -> bool:
    """Whether any visible item of the plot draws data: points or a curve, bars, an image (not
    only lines of reference, such as a target ρ)."""
    for item, _ in plot_items(plot):
        if not item.isVisible():
            continue
        if isinstance(item, (pg.PlotDataItem, pg.PlotCurveItem, pg.ScatterPlotItem)):
            x = item.getData()[0]
            if x is not None and len(x):
                return True
        elif isinstance(item, pg.BarGraphItem):
            if any(item.opts.get(k) is not None and len(np.atleast_1d(item.opts[k])) for k in ("height", "y1")):
                return True
        elif isinstance(item, pg.ImageItem) and item.image is not None and item.image.size:
            return True
    return False


def data_inside_view(plot: pg.PlotWidget) -> bool:
    """Whether every data item lies within the visible range of its view box (no zoom cuts
    anything off)."""
    for item, box in plot_items(plot):
        if not (item.isVisible() and hasattr(item, "implements") and item.implements("plotData")):
            continue
        (x0, x1), (y0, y1) = box.viewRange()
        for axis, (low, high) in ((0, (x0, x1)), (1, (y0, y1))):
            bounds = item.dataBounds(axis)
            if bounds is not None and bounds[0] is not None and (bounds[0] < low or bounds[1] > high):
                return False
    return True


def edit_svg(path: Path, drop_clips: bool, caption: str | None = None, font=None) -> None:
    """``drop_clips``: the plot area's clip is then a no-op, and ImageMagick's own SVG renderer
    applies clip paths inverted (it drew only what lies outside), so the file goes without.
    ``caption``: a line of text in a band above the plot (see :func:`export_plot`)."""
    from xml.dom import minidom

    doc = minidom.parse(str(path))
    if drop_clips:
        for clip in list(doc.getElementsByTagName("clipPath")):
            clip.parentNode.removeChild(clip)
        for element in doc.getElementsByTagName("*"):
            if element.hasAttribute("clip-path"):
                element.removeAttribute("clip-path")
    if caption:
        svg_caption(doc, caption, font)
    path.write_text(doc.toxml(), encoding="utf-8")


def csv_table(plot: pg.PlotWidget) -> tuple[list[str], list[list]]:
    """The plot's own table where it has one (``plot.csv_table()``), else :func:`plot_table`'s."""
    return plot.csv_table() if hasattr(plot, "csv_table") else plot_table(plot)


def plot_table(plot: pg.PlotWidget) -> tuple[list[str], list[list]]:
    """Every named data item (visible or not) as columns: items on the same x values share
    one x column, named after the bottom axis ("training step,reconstruction,total,…", then
    "training step for test MSE (per epoch),test MSE (per epoch)"); a histogram (one more x
    than y: bin edges) as its bins' two edges and its values ("activation from,activation
    to,share of activations (%)"). An item's ``csv_y``, where set, are its true values (a
    log-scale histogram draws its empty bins at 0.5)."""
    x_name = getattr(plot, "x_name", None) or plot.getAxis("bottom").labelText or "x"  # without a note
    groups: list[tuple[np.ndarray, list[str], list[np.ndarray]]] = []
    histograms: list[tuple[np.ndarray, str, np.ndarray]] = []
    for item, _ in plot_items(plot):
        if not (hasattr(item, "implements") and item.implements("plotData")):
            continue  # bars, lines, a Reserve: no columns
        name = getattr(item, "csv_name", None) or item.name()
        if not name or getattr(item, "csv_skip", False):  # (a curve the plot leaves out for this run)
            continue
        x, y = item.getOriginalDataset() if hasattr(item, "getOriginalDataset") else item.getData()
        if x is None or not len(x):
            continue
        y = getattr(item, "csv_y", y)
        if len(x) == len(y) + 1:  # (stepMode "center": the edges of the bins)
            histograms.append((np.asarray(x), name, np.asarray(y)))
            continue
        for gx, names, columns in groups:
            if len(gx) == len(x) and np.array_equal(gx, x):
                names.append(name)
                columns.append(np.asarray(y))
                break
        else:
            groups.append((np.asarray(x), [name], [np.asarray(y)]))
    # one name per column: the x of each group after the first says whose it is (losses.csv had two
    # "training step" columns, the reports' and the test MSE's)
    header = [name for i, (_, names, _) in enumerate(groups)
              for name in [x_name if i == 0 else f"{x_name} for {names[0]}", *names]]
    columns = [column for x, _, ys in groups for column in [x, *ys]]
    for edges, name, values in histograms:
        header += [f"{x_name} from", f"{x_name} to", name]
        columns += [edges[:-1], edges[1:], values]
    rows = [list(row) for row in itertools.zip_longest(*columns, fillvalue="")]
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",") -> None:
    def cell(value):
        """The shortest text that reads back as the same number, in the data's own precision: a
        float32 bin edge 0.025 is "0.025" (ten digits of its float64 value wrote "0.02500000037")."""
        if isinstance(value, str):
            return value
        number = value if isinstance(value, np.floating) else np.float64(value)
        if np.isfinite(number) and float(number).is_integer() and abs(number) < 1e15:
            return str(int(number))
        return str(number)

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows([cell(v) for v in row] for row in rows)


def csv_name(item: pg.PlotDataItem, name: str) -> pg.PlotDataItem:
    """The item's column in a CSV (default: its legend name; items without one are left out)."""
    item.csv_name = name
    return item

