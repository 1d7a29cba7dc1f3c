"""The Runs tab's frontier: test MSE against L0, one point per run in its penalty's colour, the
shipped reference runs faint beneath them, the runs selected in the table aglow."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QRect, QSize, QTimer, Signal
from PySide6.QtWidgets import QToolTip

from sae_desktop.config import SIGMOID_ACTIVE_THRESHOLD
from sae_desktop.json_values import is_int
from sae_desktop.qt import theme
from sae_desktop.qt.plot_legend import legend_entries, legend_width, set_legend_entries
from sae_desktop.qt.plot_style import add_legend, settle, style_plot
from sae_desktop.run_list import RunSummary, reference_frontier, reference_settings, settings_text
from sae_desktop.words import counted

PENALTY_COLOURS = {"kl": "#4c72b0", "l1": "#dd8452", "topk": "#55a868", "batchtopk": "#c44e52",
                   "jumprelu": "#8172b3"}
REFERENCE_LABEL = "reference (faint)"  # shipped runs, each in its penalty's colour (the plot's tooltip)
UNFINISHED_LABEL = "not completed (hollow)"  # stopped, diverged or still training: not where the run would end
SELECTED_LABEL = "selected in the table"
HIGHLIGHT = (255, 196, 0, 120)  # the selected runs' glow: a colour no penalty has, in either theme
GLOW_ALPHA_ON_DARK = 190  # (at 120, a dull olive on the dark plot)
MIN_WIDTH = 280  # px, or its legend's width in one column and the y axis, if more
OUTLINE = (200, 200, 200)  # a completed run's point: filled, with pyqtgraph's light outline
LEGEND_OFFSET_PX = 10  # the legend's distance from the plot's top and right edges
LEGEND_GAP_PX = 6  # between the legend and the highest point beneath it
LEGEND_SPARE_PX = 8  # room kept beyond the legend's width when the plot is sized for it
GLOW_PX = 18  # a selected point's glow, across (24, 36 in presentation mode, hid 3-4 neighbours)
POINT_PX = 11  # a completed run's point, across
RING_PX, RING_PEN_PX = 16, 2  # a run not completed: a ring around where a point of its size would be (the
# same size, a continued run stopped early sat on its completed run's point, a ring in the point's colour: unseen)
POINT_RADIUS_PX = GLOW_PX // 2


def legend_top(legend: pg.LegendItem, box: pg.ViewBox, x: tuple[float, float], y: tuple[float, float],
               xs: np.ndarray, ys: np.ndarray) -> float:
    """The y axis's top that keeps the legend (in the top right corner) clear of every point:
    ``y``'s top, raised only as far as the points beneath the legend's width need. (Raised for a
    band over all of them, a legend in one column had stretched the axis to 0.20 over points
    below 0.07: the points' own range went to the bottom third.)"""
    (left, right), (low, high) = x, y
    width, height = box.width(), box.height()
    if width <= 0 or height <= 0:  # not laid out yet: a band a row high per two entries
        share = min(0.12 * -(-len(legend.items) // max(legend.columnCount, 1)), 0.4)
        return high + (high - low) * share / (1 - share)
    beside = right - (legend.width() + LEGEND_OFFSET_PX + POINT_RADIUS_PX) / width * (right - left)
    under = ys[xs >= beside]
    if not under.size:
        return high
    # (uncapped but for a legend taller than the plot: capped at 60 %, a legend of 78 % covered points)
    share = min((legend.height() + LEGEND_OFFSET_PX + LEGEND_GAP_PX + POINT_RADIUS_PX) / height, 0.9)
    # the legend's lower edge, (top - low) · (1 - share) above low, clears the highest point beneath it
    return max(high, low + (float(under.max()) - low) / (1 - share))


class FrontierPlot(pg.PlotWidget):
    runClicked = Signal(int)  # the index of a run's point clicked, in the list given to set_runs

    def __init__(self, parent=None):
        super().__init__(parent)
        self.runs: list[RunSummary] = []
        # a short title: pyqtgraph never shrinks a plot below its title's width (it would be cut off)
        style_plot(self, "Test MSE vs L0 per run", "test MSE", "L0 (active latents per image)")
        self.setMinimumWidth(MIN_WIDTH)
        self.setToolTip("Your runs, and faintly the reference runs shipped with the app (32 latents, "
                        "10 epochs), each in its penalty's colour; hover a point to name it. L0 counts a kl run's "
                        f"latents above {SIGMOID_ACTIVE_THRESHOLD:g} (a sigmoid is never 0), the others' above 0: "
                        "kl's L0 is the kinder count. "
                        "A frontier of MSE against L0 is a proxy: it says nothing of what the latents mean")
        # framed: its symbols would otherwise read as two more runs
        self.legend = add_legend(self, offset=(-LEGEND_OFFSET_PX, LEGEND_OFFSET_PX), pen="#c8c8c8",
                                 brush=(255, 255, 255, 220))
        self.reference = reference_frontier()
        self.reference_scatter = pg.ScatterPlotItem(  # faint, under the user's points, for judging a run at a glance
            [r["l0"] for r in self.reference], [r["test_mse"] for r in self.reference], size=8, pen=None,
            data=list(range(len(self.reference))))  # brushes: _on_theme; named on hover (viewportEvent)
        self.reference_scatter.setZValue(-10)
        self.addItem(self.reference_scatter)
        # its legend swatch: neutral (the points take their penalty's colour, faint)
        self.reference_sample = pg.ScatterPlotItem(size=8, pen=None, brush=pg.mkBrush(160, 160, 160, 115))
        self.unfinished_sample = pg.ScatterPlotItem(size=RING_PX, pen=pg.mkPen("#888888", width=RING_PEN_PX),
                                                    brush=pg.mkBrush(None))
        self.scatter = {p: self.plot([], [], pen=None, symbol="o", symbolSize=POINT_PX, symbolBrush=c, name=p)
                        for p, c in PENALTY_COLOURS.items()}  # the completed runs
        # the runs not completed, of every penalty: hollow rings above every filled point (drawn in
        # their penalty's item, one could hide behind another penalty's point, drawn later)
        self.unfinished = self.plot([], [], pen=None, symbol="o", symbolSize=RING_PX, symbolBrush=None)
        self.unfinished.setZValue(1)
        # each penalty's swatch (an empty item's own sample is drawn as a grey dot)
        self.samples = {p: pg.ScatterPlotItem(size=POINT_PX, pen=None, brush=c) for p, c in PENALTY_COLOURS.items()}
        # the runs selected in the table, in a glow (a black ring read as "not completed"); in the legend, not the CSV
        self.selected_marks = self.plot([], [], pen=None, symbol="o", symbolSize=GLOW_PX, symbolPen=None,
                                        symbolBrush=pg.mkBrush(HIGHLIGHT))
        self.selected_marks.setZValue(-1)  # behind the points: clicks still reach them
        # …and its ring above all points (a glow in a cluster hid under its neighbours'), clicks let through
        self.selected_rings = _Rings(size=GLOW_PX, pen=pg.mkPen(HIGHLIGHT[:3], width=RING_PEN_PX), brush=None)
        self.selected_rings.setZValue(2)
        self.addItem(self.selected_rings)
        self.selected_sample = pg.ScatterPlotItem(size=16, pen=None, brush=pg.mkBrush(HIGHLIGHT))
        self._frame()  # the legend as it will be (pyqtgraph named all five penalties, none with points)
        self.getViewBox().sigResized.connect(lambda _box: self._frame())  # its columns, and room above for it
        # and again once the legend is laid out at its new size (its size is stale until then: the
        # points beneath it were judged by its old width, and it covered them)
        self._reframe_pending = False
        self.legend.geometryChanged.connect(self._reframe_later)
        theme.follow(self._on_theme)
        for item in [*self.scatter.values(), self.unfinished]:
            item.sigPointsClicked.connect(self._point_clicked)

    def set_runs(self, runs: list[RunSummary]) -> None:
        """A point per run with results, in its penalty's colour: filled for a completed run, hollow
        (above the filled points) for one stopped, diverged or still training (its figures are of an
        early step; drawn alike, a run stopped after its first epoch read as a point of the frontier)."""
        self.runs = runs
        shown = [i for i, r in enumerate(runs) if r.l0 is not None and r.test_mse is not None]
        for penalty, item in self.scatter.items():
            done = [i for i in shown if runs[i].config.get("penalty") == penalty and runs[i].status == "completed"]
            item.setData([runs[i].l0 for i in done], [runs[i].test_mse for i in done], data=done,
                         symbolPen=pg.mkPen(OUTLINE))
        left = [i for i in shown if runs[i].status != "completed" and runs[i].config.get("penalty") in self.scatter]
        self.unfinished.setData([runs[i].l0 for i in left], [runs[i].test_mse for i in left], data=left,
                                symbolPen=[pg.mkPen(PENALTY_COLOURS[runs[i].config["penalty"]], width=RING_PEN_PX)
                                           for i in left])
        self._frame()
        settle(self)

    def mark(self, runs: list[RunSummary]) -> None:
        """Highlight these runs' points (those with results)."""
        marked = [r for r in runs if r.l0 is not None and r.test_mse is not None]
        for item in (self.selected_marks, self.selected_rings):
            item.setData([r.l0 for r in marked], [r.test_mse for r in marked])
        self._frame()  # (the legend names the glow while there is one)
        settle(self)

    def csv_table(self) -> tuple[list[str], list[list]]:
        """File ▸ Export as CSV: the points as a table, one named row per run (runs without results left
        out), then the faint reference runs drawn beneath them (left out, the file held half the plot)."""
        rows = [[r.name, r.config.get("penalty", ""), settings_text(r.config), r.l0, r.test_mse, "run"]
                for r in self.runs if r.l0 is not None and r.test_mse is not None]
        rows += [[f"reference {r['mechanism']} {reference_settings(r)}", r["mechanism"], reference_settings(r),
                  r["l0"], r["test_mse"], "reference (shipped)"] for r in self.reference]
        return ["run", "penalty", "settings", "L0", "test MSE", "source"], rows

    def _frame(self) -> None:
        """Axes around the points with a margin, MSE from 0 up (auto-range around one point, or
        none, spans ±0.5, negative MSE included), and room at the top for the legend, which
        names the penalties that have points, a run's or faintly a reference run's (the faint
        points came in five colours that only one or two names explained)."""
        if getattr(self, "plotItem", None) is None:  # closed (pyqtgraph drops its plot item), then resized
            return
        referenced = {r["mechanism"] for r in self.reference}
        with_results = [r for r in self.runs if r.l0 is not None and r.test_mse is not None]
        # the axes frame the runs with a model to speak of: a run stopped before its first epoch ended
        # (at step 32: test MSE 0.18) stretched them to 0.20, every other run in the bottom tenth
        framed = [r for r in with_results if r.status == "completed" or r.epochs_done > 0]
        runs = [(r.l0, r.test_mse) for r in framed]
        points = runs + [(r["l0"], r["test_mse"]) for r in self.reference]  # a new run is judged against them
        l0s, mses = np.array([p[0] for p in points] or [0.0, 8.0]), np.array([p[1] for p in points] or [0.0, 0.05])
        l0_pad = max(0.1 * float(np.ptp(l0s)), 0.5)
        mse_pad = max(0.1 * float(np.ptp(mses)), 0.2 * float(mses.max()), 1e-3)
        low, high = max(0.0, float(mses.min()) - mse_pad), float(mses.max()) + mse_pad
        left, right = float(l0s.min()) - l0_pad, float(l0s.max()) + l0_pad

        framed_ids = {id(r) for r in framed}

        def in_view(r: RunSummary) -> bool:
            return id(r) in framed_ids or (left <= r.l0 <= right and low <= r.test_mse <= high)

        pointed = {r.config.get("penalty") for r in with_results if in_view(r)}
        named = [(self.samples[penalty], penalty) for penalty in self.scatter if penalty in referenced | pointed]
        named += [(self.reference_sample, REFERENCE_LABEL)] if self.reference else []
        unfinished = any(r.status != "completed" and in_view(r) for r in with_results)
        named += [(self.unfinished_sample, UNFINISHED_LABEL)] if unfinished else []
        marked = self.selected_marks.getData()[0]
        named += [(self.selected_sample, SELECTED_LABEL)] if marked is not None and len(marked) else []
        if [name for _, name in legend_entries(self.legend)] != [name for _, name in named]:  # rebuilt only on change
            set_legend_entries(self.legend, named)
        self._fit_legend()
        # the legend may cover the faint reference points, never a run's (keeping them all clear
        # squashed a narrow plot's points into its bottom quarter)
        clear = np.array([(r.l0, r.test_mse) for r in with_results if in_view(r)], dtype=float).reshape(-1, 2)
        left = left if left >= 0 else -0.03 * right  # L0 from 0, but a point at 0 shown whole, not half under the axis
        self.setXRange(left, right, padding=0)
        self.setYRange(low, legend_top(self.legend, self.getViewBox(), (left, right), (low, high), clear[:, 0],
                                       clear[:, 1]), padding=0)

    def _reframe_later(self) -> None:
        if not self._reframe_pending:
            self._reframe_pending = True
            QTimer.singleShot(0, self, self._reframe)

    def _reframe(self) -> None:
        self._reframe_pending = False
        self._frame()

    def _fit_legend(self) -> None:
        """Rows of three or two where they fit within the plot (fewer rows: less of its height
        above the points), else one column: in presentation mode's larger text two columns ran
        over the y axis. The plot is never narrower than its legend in one column: at the Runs
        tab's first width in presentation mode, it covered the y axis and its swatches were cut.
        (The widths come from the texts: ``legend_width``.)"""
        room, n, legend = self.getViewBox().width() - 16, len(self.legend.items), self.legend
        fits = [c for c in (1, 2, 3) if c == 1 or n > 3 and (c == 2 if room <= 0 else legend_width(legend, c) <= room)]
        columns = min(fits, key=lambda c: (-(-n // c), c))  # the fewest rows (the band above the points), then columns
        if columns != self.legend.columnCount:  # laid out afresh, at its new width
            self.legend.columnCount = columns
            set_legend_entries(self.legend, legend_entries(self.legend), again=True)
        if room > 0:  # (the axes and margins: the widget less its view box)
            self.setMinimumWidth(max(MIN_WIDTH, math.ceil(legend_width(self.legend, 1) + self.width() - room)))

    def wanted_width(self, columns: int = 2) -> int:
        """The width at which its legend takes this many columns (in one, beside a comparison in
        presentation mode at 1024 px, it filled two thirds of the height); with a few px to spare
        (given exactly, the splitter's rounding left it one column: 7 rows over 85 % of the plot)."""
        margins = self.width() - self.getViewBox().width() if self.getViewBox().width() > 0 else 70
        return math.ceil(legend_width(self.legend, columns) + margins + 16 + LEGEND_SPARE_PX)

    def legend_share(self, columns: int) -> float:
        """The share of the plot's height its legend would take in this many columns (0 unknown)."""
        n, now, height = len(self.legend.items), max(self.legend.columnCount, 1), self.getViewBox().height()
        if not n or height <= 0:
            return 0.0
        row = self.legend.height() / -(-n // now)
        return (row * -(-n // columns) + LEGEND_OFFSET_PX) / height

    def _on_theme(self, t: theme.Theme) -> None:
        """The reference points faint against the theme's plot; framed again once the legend is laid
        out in the theme's text size (presentation mode)."""
        QTimer.singleShot(0, self, self._frame)
        self.reference_scatter.setBrush([pg.mkBrush(theme.faint(PENALTY_COLOURS.get(r["mechanism"], "#888888"),
                                                           t.plot_background, t.dark)) for r in self.reference])
        self.reference_sample.setBrush(pg.mkBrush(theme.faint("#888888", t.plot_background, t.dark)))  # as faint
        glow = pg.mkBrush(*HIGHLIGHT[:3], GLOW_ALPHA_ON_DARK if t.dark else HIGHLIGHT[3])  # (dull olive on dark)
        self.selected_marks.setSymbolBrush(glow)
        self.selected_sample.setBrush(glow)

    def reference_tip(self, x: float, y: float, data: int) -> str:
        r = self.reference[data]
        # (a reference with every latent dead sits alone at L0 0, high up: it says why)
        collapsed = "\nevery latent dead: it draws the mean digit" if r.get("l0") == 0 else ""
        trained = "".join(f", {counted(r[key], noun)}" for key, noun in (("latents", "latent"), ("epochs", "epoch"))
                          if is_int(r.get(key)))  # (beside a run of 128 latents or 2 epochs: told apart)
        return (f"reference: {r['mechanism']} {reference_settings(r)}{trained}\n"
                f"test MSE {y:.5f}, FVU {r.get('fvu', float('nan')):.3f}, L0 {x:.2f}, "
                f"dead {r.get('dead_latents', '?')}{collapsed}")

    def point_tip(self, x: float, y: float, data: int) -> str:
        run, epochs = self.runs[data], counted(self.runs[data].epochs_done, "epoch")
        stop = f"stopped at step {run.step}, {epochs} done" if run.status == "stopped" and run.step is not None else ""
        status = "" if run.status == "completed" else f" ({stop or f'{run.status} after {epochs}'})"  # (the table's)
        return f"{run.name}{status}\n{settings_text(run.config)}\ntest MSE {y:.5f}, L0 {x:.2f} (click: select)"

    def tip_at(self, x: float, y: float) -> str:
        """Every point drawn under the view position (x, y): the runs', nearest first, then the
        reference runs'. (Each scatter named its own points in the view box's one tooltip, the last
        to hear of the hover winning: a run's ring over a reference point, hovered, named the
        reference run, and a ring over a completed run's point its own run alone.)"""
        px, py = self.getViewBox().viewPixelSize()
        if not (px > 0 and py > 0):
            return ""

        def away(l0: float, mse: float) -> float:  # in pixels
            return math.hypot((l0 - x) / px, (mse - y) / py)

        runs = sorted((away(r.l0, r.test_mse), i) for i, r in enumerate(self.runs)
                      if r.l0 is not None and r.test_mse is not None and away(r.l0, r.test_mse) <= RING_PX / 2 + 1)
        size = self.reference_scatter.opts["size"]
        references = sorted((away(r["l0"], r["test_mse"]), i) for i, r in enumerate(self.reference)
                            if away(r["l0"], r["test_mse"]) <= size / 2 + 1)
        return "\n\n".join([self.point_tip(self.runs[i].l0, self.runs[i].test_mse, i) for _, i in runs]
                             + [self.reference_tip(self.reference[i]["l0"], self.reference[i]["test_mse"], i)
                                for _, i in references])

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt naming)
        """Points are named where the mouse rests (Qt's tooltip event); elsewhere, the plot's own tooltip."""
        if event.type() == QEvent.Type.ToolTip:
            box, scene_point = self.getViewBox(), self.mapToScene(event.pos())
            if box.sceneBoundingRect().contains(scene_point):
                at = box.mapSceneToView(scene_point)
                if text := self.tip_at(at.x(), at.y()):  # (shown while the mouse stays over the points)
                    area = QRect(event.pos() - QPoint(RING_PX // 2, RING_PX // 2), QSize(RING_PX, RING_PX))
                    QToolTip.showText(event.globalPos(), text, self.viewport(), area)
                    return True
        return super().viewportEvent(event)

    def _point_clicked(self, item, points, *_) -> None:
        if len(points):
            self.runClicked.emit(int(points[0].data()))


class _Rings(pg.ScatterPlotItem):
    """Points a click goes through (the scene offers it topmost first; a scatter takes any on its points)."""

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()
