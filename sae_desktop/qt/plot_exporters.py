"""pyqtgraph's own exporters (a plot's right-click Export…) made to write as File ▸ Export does.

pyqtgraph 0.14's SVG exporter fails on the path data Qt ≥ 6.10 writes (pyqtgraph issue #3485:
a closing ``Z`` has no coordinates); :func:`patch_svg_exporter` makes it skip those tokens,
which fixes File ▸ Export and the plots' own right-click Export… alike. Its output has every
marker as a vector path (Qt's own SVG generator drew the scatter's whole marker sheet as one
squeezed bitmap, with scaled strokes that ImageMagick could not render). Its CSV gets named
columns (:func:`patch_csv_exporter`), and its list and file dialog only what works
(:func:`offer_working_exporters`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import SVGExporter


def patch_svg_exporter() -> None:
    """Once per process: wrap pyqtgraph's ``correctCoordinates`` so it never sees ``Z``."""
    module = sys.modules[SVGExporter.__module__]  # the module: the package's attribute is the class
    original = module.correctCoordinates
    if getattr(original, "skips_close_path", False):
        return

    def correct_coordinates(node, defs, item, options):
        rects_in_place(node)
        closed = [p for p in node.getElementsByTagName("path") if "Z" in p.getAttribute("d")]
        for path in closed:
            path.setAttribute("d", path.getAttribute("d").replace("Z", " ").strip())
        original(node, defs, item, options)
        for path in closed:
            if path.getAttribute("d").strip():
                path.setAttribute("d", path.getAttribute("d").strip() + " Z")

    correct_coordinates.skips_close_path = True
    module.correctCoordinates = correct_coordinates


SCALED = re.compile(r"matrix\(([-+\d.e]+),0,0,([-+\d.e]+),([-+\d.e]+),([-+\d.e]+)\)")


def rects_in_place(node) -> None:
    """Bars (a group of ``rect``s under a scale and offset, data to screen: pyqtgraph moves paths and lines into
    place itself, not rects) in screen coordinates, the group's transform gone: ImageMagick's SVG renderer scaled
    their strokes with it (×90 across, a bar of the Sparsity plot's dead latents a dark octagon reaching below 0)."""
    for group in node.getElementsByTagName("g"):
        scaled = SCALED.fullmatch(group.getAttribute("transform").replace(" ", ""))
        rects = [child for child in group.childNodes if child.nodeType == child.ELEMENT_NODE]
        if scaled is None or not rects or any(r.tagName != "rect" or r.hasAttribute("transform") for r in rects):
            continue
        a, d, e, f = (float(v) for v in scaled.groups())
        for rect in rects:
            x, y, w, h = (float(rect.getAttribute(k) or 0) for k in ("x", "y", "width", "height"))
            x, w, y, h = a * x + e, a * w, d * y + f, d * h
            x, w = (x + w, -w) if w < 0 else (x, w)
            y, h = (y + h, -h) if h < 0 else (y, h)
            for key, value in zip(("x", "y", "width", "height"), (x, y, w, h)):
                rect.setAttribute(key, f"{value:.6g}")
        group.removeAttribute("transform")


def patch_csv_exporter() -> None:
    """Once per process: the plots' own right-click Export… writes CSV as File ▸ Export does
    (named columns, a right axis's curves included; pyqtgraph's wrote "x0000,y0000" or
    "<legend name>_x" columns of the plot item's own curves only)."""
    from pyqtgraph.exporters import CSVExporter

    original = CSVExporter.export
    if getattr(original, "named_columns", False):
        return

    def export(self, fileName=None):  # noqa: N803 (pyqtgraph's name)
        view = self.item.getViewWidget() if isinstance(self.item, pg.PlotItem) else None
        if fileName is None or not isinstance(view, pg.PlotWidget):
            return original(self, fileName)
        from sae_desktop.qt.plot_files import csv_table, write_csv

        write_csv(Path(fileName), *csv_table(view), "\t" if self.params["separator"] == "tab" else ",")

    export.named_columns = True
    CSVExporter.export = export


def offer_working_exporters() -> None:
    """The plots' right-click Export…: "Matplotlib Window" listed only where matplotlib is installed
    (it is not a dependency: chosen, Export did nothing but print ModuleNotFoundError); its file
    dialog opens where File ▸ Export's last wrote, the plot's title suggested as the name (after the run
    or model it shows, as File ▸ Export names it), and remembers its folder for them (it opened in the
    home folder with no name)."""
    import importlib.util

    from pyqtgraph.exporters import Exporter

    module = sys.modules[Exporter.__module__]  # (the package's attribute is the class: its global is the module's)

    from sae_desktop.qt.settings import last_folder, remember_folder

    if importlib.util.find_spec("matplotlib") is None:
        Exporter.Exporters[:] = [e for e in Exporter.Exporters if e.__name__ != "MatplotlibExporter"]
    if getattr(Exporter.fileSaveDialog, "in_exports_folder", False):
        return
    dialog, finished = Exporter.fileSaveDialog, Exporter.fileSaveFinished

    def save_dialog(self, filter=None, opts=None):  # noqa: A002 (pyqtgraph's names)
        module.LastExportDirectory = last_folder("exports")
        dialog(self, filter, opts)
        view = self.item.getViewWidget() if isinstance(self.item, pg.PlotItem) else None
        if isinstance(view, pg.PlotWidget):
            from sae_desktop.qt.exporting import file_stem, name_stem

            title = re.sub(r"<[^>]*>", "", view.getPlotItem().titleLabel.text or "")  # (ρ̂ is markup)
            # the title before its note ("Losses (bold: smoothed; …)" made a 55-letter name)
            shows = title.split(" (")[0].split(":")[0] or "plot"
            exports = getattr(view.window(), "exports", None)  # (the main window's File ▸ Export: whose plot it is)
            self.fileDialog.selectFile(name_stem(exports.depicted(view) if exports is not None else None)
                                       + file_stem(shows))

    def save_finished(self, fileName):  # noqa: N803
        remember_folder("exports", fileName)
        finished(self, fileName)

    save_dialog.in_exports_folder = True
    Exporter.fileSaveDialog, Exporter.fileSaveFinished = save_dialog, save_finished
