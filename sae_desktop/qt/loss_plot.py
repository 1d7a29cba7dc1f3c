"""Per-step losses (raw, with a smoothed line over each) and the test MSE per epoch."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from sae_desktop.events import IntervalOutput
from sae_desktop.qt import theme
from sae_desktop.qt.buffers import SeriesBuffer
from sae_desktop.qt.log_axis import LogLabelsAxis
from sae_desktop.qt.plot_files import csv_name
from sae_desktop.qt.plot_frame import TopLegend, finite_range, stepped
from sae_desktop.qt.plot_legend import legend_entries, set_legend_entries
from sae_desktop.qt.plot_style import COLORS, fit_axis_label, style_plot

# The smoothed lines' memory, as a share of the steps so far: an exponential moving average over
# time in steps, not reports. 0.85 a report (~7 reports, 220 steps) ran 25-60 % above the reports
# it smooths while the losses fell, for a whole 1-epoch run; now it lags 1 % of the steps so far.
# (A share of the run's *planned* steps drew the same losses differently for another plan:
# continuing a run redrew its finished epochs, and a long plan stopped early lagged far above them.)
MEMORY = 0.01
RECON_NAME = "reconstruction"
SPARSITY_NAME, AUXK_NAME = "sparsity (weighted)", "AuxK (weighted)"  # the middle curve: total − reconstruction
STEP, RECON, SPARSITY, TOTAL = 0, 1, 2, 3  # raw columns; smoothed ones follow at +3


class LossPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"left": LogLabelsAxis("left")})  # (log scale: labels apart)
        # the faint lines (each report) have no legend entry of their own: the title says what they are
        # "where they differ": at the tutorial's settings a report (a mean of 32 steps) is already smooth and
        # its faint line hides under the bold one; the title promised lines an audience could not find
        style_plot(self, "Losses (bold: smoothed; faint, where they differ: each report)", "loss", "training step")
        self.setClipToView(True)  # only the visible part is drawn …
        self.setDownsampling(auto=True, mode="peak")  # … and thinned, so 100 epochs stay fast
        self.top_legend = TopLegend(self, columns=4)  # one row, in a band above the curves
        self.steps = SeriesBuffer(7)
        self.epochs = SeriesBuffer(2)
        self.raw, self.smooth = {}, {}
        for column, key, name in ((RECON, "recon", RECON_NAME), (SPARSITY, "sparsity", SPARSITY_NAME),
                                  (TOTAL, "total", "total")):
            color = pg.mkColor(COLORS[key])
            faint = pg.mkColor(color)
            faint.setAlpha(theme.current().faint_alpha)
            # Thinned to what a pixel shows: its extremes for the faint lines (every spike stays), a
            # point per 2 px for the smooth bold ones (their antialiased strokes took 12 of a paint's
            # 23 ms at 2300 reports; 5 points per pixel was pyqtgraph's default)
            self.raw[column] = self.plot(pen=pg.mkPen(faint, width=1), antialias=False,  # faint: AA buys nothing
                                         autoDownsampleFactor=1.0)
            self.smooth[column] = self.plot(pen=pg.mkPen(color, width=2), name=name, autoDownsampleFactor=0.5)
            self.smooth[column].setDownsampling(auto=True, method="mean")
            csv_name(self.raw[column], f"{name} (per report)")
            csv_name(self.smooth[column], f"{name} (smoothed)")
        # dashed between its points: measured at each epoch's end only, and the training loss it lies on (the test
        # error is about the training error here) shows through: solid, it hid that line from the first epoch on
        self.test = self.plot(pen=pg.mkPen(COLORS["test"], width=2, style=pg.QtCore.Qt.PenStyle.DashLine), symbol="o",
                              symbolSize=7, symbolBrush=COLORS["test"], name="test MSE (per epoch)")
        # its legend sample draws the symbol as the scatter holds it, set only with data: before a run it was
        # pyqtgraph's default, a grey-blue dot, beside the red one the run then drew
        self.test.scatter.setSize(7)
        self.test.scatter.setBrush(pg.mkBrush(COLORS["test"]))
        # a run stopped inside an epoch: its test MSE at the stop (the header's), hollow, after the epochs' dots
        self.stop = csv_name(self.plot(pen=None, symbol="o", symbolSize=9, symbolBrush=None,
                                       symbolPen=pg.mkPen(COLORS["test"], width=2)), "test MSE at the stop")
        self.stopped_at: tuple[int, float] | None = None  # (step, test MSE)
        self.dirty = False
        self._test_shown = -1  # epochs whose markers are set (rebuilt, they took ~1 ms of each refresh)
        self.log_y = False
        self.planned_steps = 4690.0  # the run's length when known (the x axis grows in eighths of it)
        self._ema = np.zeros(3)  # bias-corrected like TensorBoard's, so the start does not lag
        self._ema_weight = 0.0
        self.clear_data()
        theme.follow(self._on_theme)

    def _on_theme(self, t: theme.Theme) -> None:
        """The total is drawn in the theme's ink (dark grey on white, light grey on dark), at the
        width it has (presentation mode's is 1.5×: it stayed 2 px while the others grew); the
        faint lines as faint as the theme's plot allows."""
        for item, colour, alpha in ((self.smooth[TOTAL], t.ink, 255), (self.raw[TOTAL], t.ink, t.faint_alpha),
                                    (self.raw[RECON], COLORS["recon"], t.faint_alpha),
                                    (self.raw[SPARSITY], COLORS["sparsity"], t.faint_alpha)):
            pen, ink = pg.mkPen(item.opts["pen"]), pg.mkColor(colour)
            ink.setAlpha(alpha)
            pen.setColor(ink)
            item.setPen(pen)

    def clear_data(self, planned_steps: float | None = None) -> None:
        """A new run: no data, and auto-range on again (once: a user's zoom then stays until "A")."""
        if planned_steps:
            self.planned_steps = float(planned_steps)
        self._ema[:] = 0.0
        self._ema_weight = 0.0
        self._ema_step = 0
        self.steps.clear()
        self.epochs.clear()
        self.stopped_at = None
        self._test_shown = -1
        self.dirty = True
        self.refresh()
        self.enableAutoRange()

    def set_penalty_name(self, name: str | None) -> None:
        """The middle curve (total − reconstruction) named for what it is: the weighted sparsity
        penalty, or with top-k's AuxK its term; None for top-k without AuxK, which has no other
        term: a curve of zeros would only break the log scale (nor is it a column of the CSV)."""
        visible = name is not None
        for item in (self.raw[SPARSITY], self.smooth[SPARSITY]):
            item.setVisible(visible)
            item.csv_skip = not visible
        if visible:
            csv_name(self.raw[SPARSITY], f"{name} (per report)")
            csv_name(self.smooth[SPARSITY], f"{name} (smoothed)")
        legend = self.top_legend.legend  # nor a legend entry for a curve that is not drawn
        entries = [(item, text) for item, text in legend_entries(legend) if item is not self.smooth[SPARSITY]]
        if visible:  # in its place, after reconstruction
            entries = entries[:1] + [(self.smooth[SPARSITY], name)] + entries[1:]
        set_legend_entries(legend, entries)

    def set_total_visible(self, visible: bool) -> None:
        """Without a penalty term (TopK, BatchTopK without AuxK) the total is the reconstruction:
        drawn over it, the legend named a blue curve no one could see. One curve then, named so."""
        for item in (self.raw[TOTAL], self.smooth[TOTAL]):
            item.setVisible(visible)
            item.csv_skip = not visible
        legend = self.top_legend.legend
        entries = [(item, name) for item, name in legend_entries(legend) if item is not self.smooth[TOTAL]]
        entries = [(item, RECON_NAME if visible else f"{RECON_NAME} (= total)") if item is self.smooth[RECON]
                   else (item, name) for item, name in entries]
        if visible:  # back in its place, before the test MSE
            entries.insert(len(entries) - 1 if entries and entries[-1][0] is self.test else len(entries),
                           (self.smooth[TOTAL], "total"))
        set_legend_entries(legend, entries)

    def add_step(self, out: IntervalOutput) -> None:
        raw = np.array([out.recon_loss, out.total_loss - out.recon_loss, out.total_loss])
        keep = math.exp(-max(out.step - self._ema_step, 1) / max(MEMORY * out.step, 1.0))
        self._ema_step = out.step
        self._ema = keep * self._ema + (1 - keep) * raw
        self._ema_weight = keep * self._ema_weight + (1 - keep)
        self.steps.append(out.step, *raw, *(self._ema / self._ema_weight))
        self.dirty = True

    def add_epoch(self, step: int, test_mse: float) -> None:
        self.epochs.append(step, test_mse)
        self.dirty = True

    def set_stop(self, step: int, test_mse: float) -> None:
        """The run was stopped inside an epoch at ``step``, its test MSE then ``test_mse``."""
        self.stopped_at = (step, test_mse)
        self.dirty = True

    def set_log_y(self, on: bool) -> None:
        self.log_y = on
        self.setLogMode(y=on)
        # the axis says so (its ticks are powers of ten, but a grabbed or exported plot did not say it)
        fit_axis_label(self, "left", *(("loss (log scale)", "loss (log)") if on else ("loss",)))
        self.dirty = True
        self.refresh()
        self.enableAutoRange()  # a new scale: frame it (the old zoom means nothing in it)

    def refresh(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        x = self.steps.view(STEP)
        lone = len(x) == 1  # one report (a run paused or stopped at its first): a line of one point draws nothing
        for column in (RECON, SPARSITY, TOTAL):
            for item, values in ((self.raw[column], self.steps.view(column)),
                                 (self.smooth[column], self.steps.view(column + 3))):
                item.setData(x, np.maximum(values, 1e-12), skipFiniteCheck=True)  # (> 0 for the log scale)
                item.csv_y = values  # the CSV's, as they are (a top-k run's sparsity read 1e-12)
            if lone != (self.smooth[column].opts["symbol"] is not None):
                pen = self.smooth[column].opts["pen"]
                self.smooth[column].setSymbol("o" if lone else None)
                if lone:
                    self.smooth[column].setSymbolBrush(pg.mkPen(pen).color())
                    self.smooth[column].setSymbolPen(pen)
        if self._test_shown != len(self.epochs):  # the markers: only for a new epoch
            self._test_shown = len(self.epochs)
            self.test.setData(self.epochs.view(0), self.epochs.view(1))
        self.stop.setData(*([[v] for v in self.stopped_at] if self.stopped_at else ([], [])))
        self.setToolTip(f"Hollow circle: the test MSE at step {self.stopped_at[0]}, where the run was stopped "
                        "inside an epoch (the dots: at each epoch's end)" if self.stopped_at else "")
        self._frame()

    def _frame(self) -> None:
        """What auto-range must include: step 0 on, from 0 up (linear scale), and the legend's
        band; before any data the first eighth of the run's planned length, where its first
        reports will be (the whole planned length had shrunk to an eighth at the first report),
        so one report is never a lone point in an axis of ±500."""
        stop = [np.array([v]) for v in self.stopped_at] if self.stopped_at else [np.zeros(0)] * 2
        shown = [self.steps.view(c) for c in (RECON, TOTAL)] + [self.epochs.view(1), stop[1]]
        if self.raw[SPARSITY].isVisible():
            shown.append(self.steps.view(SPARSITY))
        xs = [self.steps.view(STEP), self.epochs.view(0), stop[0]]
        last = max((float(a.max()) for a in xs if len(a)), default=0.0)
        values = finite_range(*shown)
        # the run so far, in eighths of its planned length (plot_frame.stepped: the axis moves 8 times a run)
        x_extent = (0.0, stepped(max(last, 1.0), self.planned_steps))
        if self.log_y:
            low, high = (-3.0, -1.0) if values is None else (np.log10(max(values[0], 1e-12)),
                                                              np.log10(max(values[1], 1e-12)))
            if high - low < 0.5:
                low, high = low - 0.25, high + 0.25
        else:
            low, high = 0.0, (0.1 if values is None else max(values[1], 1e-6))
        self.top_legend.fit(x_extent, low, high)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if getattr(self, "top_legend", None) is not None and self.plotItem is not None:
            self._frame()  # the legend's share of the height changed
