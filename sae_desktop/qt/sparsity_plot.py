"""Per-epoch sparsity: L0 (active latents per image, the left axis), the number of dead latents
(the right axis, from 0 to the dictionary's size), and when dead latents were revived: by
resampling, a dashed line labelled with how many; with AuxK, how many came back in each epoch
(a third curve on the right axis, in the legend once there is one). On one axis, a TopK run of
512 latents drew L0 (~4) flat on 0 under its ~500 dead latents."""

from __future__ import annotations

import math

import pyqtgraph as pg
import shiboken6
from PySide6.QtGui import QColor, QFontMetrics

from sae_desktop.config import AUXK_DEAD_AFTER
from sae_desktop.qt import theme
from sae_desktop.qt.buffers import SeriesBuffer
from sae_desktop.qt.plot_frame import TopLegend
from sae_desktop.qt.plot_style import COLORS, style_plot
from sae_desktop.qt.right_axis import RightAxis

BACK_LABEL = "came back (right)"
BAR_WIDTH = 0.5  # epochs
STOP_WIDTH = 0.2  # epochs: the stop's bar, narrower (it may stand next to its last epoch's)
NONE_SILENT = ("Resampling checked at {:.2f} epochs and resampled none: no latent was silent on every training "
               "image of the half epoch before (a latent dead on the test set may still fire on a few of them)")
LABEL_AT = (0.62, 0.25)  # where along a revival's line its label sits, in turn
DEAD_ON_DARK = "#b4b9c2"  # the dead bars' grey on the dark plot (#1e1f22)


class SparsityPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        style_plot(self, "Sparsity per epoch", "L0 (per image)", "epoch")
        self.latents: int | None = None  # the dictionary's size (the right axis's top), once a run says it
        self.right_axis = RightAxis(self, self._right_label())
        self.top_legend = TopLegend(self)  # in a band above the curves
        self.legend = self.top_legend.legend
        self.series = SeriesBuffer(3)
        self.l0 = self.plot(pen=pg.mkPen(COLORS["l0"], width=2), symbol="o", symbolSize=6,
                            symbolBrush=COLORS["l0"], name="L0 (left)")
        # bars: a line of ~480 dead of 512 lay on the line of L0 4 (k = 4), each at its axis's top
        self.dead = self.right_axis.add(pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH))
        self.legend.addItem(self.dead, "dead (right)")  # (short: at 1024×768 the plot is ~150 px wide)
        # a run stopped inside an epoch: its figures there (the header's), hollow, at the epochs it had come
        self.stop_l0 = self.plot(pen=None, symbol="o", symbolSize=8, symbolBrush=None,
                                 symbolPen=pg.mkPen(COLORS["l0"], width=2))
        self.stop_dead = self.right_axis.add(pg.BarGraphItem(
            x=[], height=[], width=STOP_WIDTH, brush=None,
            pen=pg.mkPen(COLORS["dead"], width=1, style=pg.QtCore.Qt.PenStyle.DashLine)))
        self.stopped_at: tuple[float, float, int, int] | None = None  # (epochs in, L0, dead, step)
        self.revivals: list[tuple[float, int]] = []  # (epochs in, latents revived)
        self._revival_items: list[pg.GraphicsObject] = []
        self.back = self.right_axis.add(pg.PlotDataItem(
            pen=pg.mkPen(COLORS["back"], width=2, style=pg.QtCore.Qt.PenStyle.DashLine), symbol="t", symbolSize=7,
            symbolBrush=COLORS["back"], name=BACK_LABEL))
        self.back_per_epoch: dict[int, int] = {}  # epoch → dead latents that fired again in it (AuxK)
        self.planned_epochs = 1
        self.clear_data()
        theme.follow(self._on_theme)

    def _on_theme(self, t: theme.Theme) -> None:
        """The dead latents' bars: mid grey, translucent, on the light plot; lighter on the dark one, where that grey
        all but vanished (a projector showed no bars)."""
        if self.plotItem is None or not shiboken6.isValid(self.dead):
            return  # (closed: pyqtgraph has let its items go)
        colour = DEAD_ON_DARK if t.dark else COLORS["dead"]
        fill = QColor(colour)
        fill.setAlpha(90)
        self.dead.setOpts(brush=fill, pen=pg.mkPen(colour, width=1))
        self.stop_dead.setOpts(pen=pg.mkPen(colour, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.legend.update()

    def _tip(self) -> str:
        """(two definitions of "dead" on one axis: the tip says which is which)"""
        stop = self.stopped_at
        return "\n".join(["L0 (left axis): latents active per image, on average over the test set.",
                          "Dead (right axis, bars): latents active on no test image, of the dictionary's size.",
                          f"Came back (right axis, with AuxK): revivals in each epoch, in training: a latent silent "
                          f"for {AUXK_DEAD_AFTER:,} training images (AuxK's \"dead\", not the test set's) that fired "
                          "again; one that falls silent and comes back twice counts twice.",
                          *(["Vertical lines: resampling's checks, dashed with how many it revived, dotted where it "
                             "found no latent silent for the whole half epoch before."] if self.revivals else []),
                          *([f"Hollow circle and dashed bar: at step {stop[3]}, where the run was stopped inside "
                             f"epoch {math.floor(stop[0]) + 1}."] if stop else [])])

    def empty(self) -> bool:
        """Nothing of a run drawn: no epoch, revival or stop."""
        return not len(self.series.view(0)) and not self.revivals and self.stopped_at is None \
            and not self.back_per_epoch

    def set_stop(self, position: float, l0: float, dead: int, step: int) -> None:
        """The run was stopped ``position`` epochs in (e.g. 1.14), at ``step``, with these figures."""
        self.stopped_at = (position, l0, dead, step)
        self.dirty = True

    def _right_label(self) -> str:
        return f"dead (of {self.latents})" if self.latents else "dead latents"

    def csv_table(self) -> tuple[list[str], list[list]]:
        """epoch, L0, dead latents (and, with AuxK, how many came back), one row per epoch."""
        epochs = [int(e) for e in self.series.view(0)]
        header = ["epoch", "L0: active per image", "dead latents"]
        rows = [[e, l0, int(d)] for e, l0, d in zip(epochs, self.series.view(1), self.series.view(2))]
        if self.back_per_epoch:
            header.append("came back (AuxK), per epoch")
            rows = [row + [self.back_per_epoch.get(row[0], 0)] for row in rows]
        if self.stopped_at:  # (its epoch a fraction: "1.14", the step it stands for in a column of its own)
            position, l0, dead, step = self.stopped_at
            header.append("stopped at step")
            rows = [row + [""] for row in rows] + [[round(position, 3), l0, dead] + [""] * (len(header) - 4) + [step]]
        return header, rows

    def add_revival(self, epoch_position: float, count: int, kind: str = "resampled") -> None:
        """Resampling re-initialised ``count`` dead latents at ``epoch_position`` (e.g. 2.5), or
        (``kind`` "auxk") that many dead latents fired again since the previous report."""
        if kind == "auxk":
            epoch = max(1, math.ceil(epoch_position - 1e-9))  # an epoch's last report belongs to it
            if not self.back_per_epoch:
                self.legend.addItem(self.back, BACK_LABEL)
            self.back_per_epoch[epoch] = self.back_per_epoch.get(epoch, 0) + count
            self.dirty = True
            return
        self.revivals.append((epoch_position, count))
        if count:  # (labels up and down the lines in turn: half an epoch apart, "6 revived" ran into "4 revived")
            pen = pg.mkPen(COLORS["dead"], style=pg.QtCore.Qt.PenStyle.DashLine)
            labelled = sum(1 for _, n in self.revivals[:-1] if n)
            line = pg.InfiniteLine(epoch_position, angle=90, pen=pen, label=f"{count} revived",
                                   labelOpts={"position": LABEL_AT[labelled % 2], "color": COLORS["dead"],
                                              "rotateAxis": (1, 0)})
            line.setToolTip(f"{count} dead latents resampled at {epoch_position:.2f} epochs (not active on any "
                            "training image of the half epoch before: not the test set's dead)")
        else:  # a check that found none: "Resample dead" on beside 19 dead latents, and nothing said it had looked
            line = pg.InfiniteLine(epoch_position, angle=90, pen=pg.mkPen(COLORS["dead"], width=1,
                                                                         style=pg.QtCore.Qt.PenStyle.DotLine))
            line.setToolTip(NONE_SILENT.format(epoch_position))
        self.addItem(line)
        self.top_legend.keep_clear(line)  # (its label too)
        self._revival_items.append(line)
        self.dirty = True

    def add_epoch(self, epoch: int, l0: float, dead: int) -> None:
        self.series.append(epoch, l0, dead)
        self.dirty = True

    def refresh(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        stop = self.stopped_at
        self.stop_l0.setData(*([[stop[0]], [stop[1]]] if stop else ([], [])))
        epochs = self.series.view(0)
        # the stop's bar clear of its last epoch's (at 2.07 epochs it stood inside epoch 2's bar, hard to read):
        # just after it, where the stop came that soon after (a bar spans a quarter epoch each side anyway)
        clear = epochs[-1] + (BAR_WIDTH + STOP_WIDTH) / 2 + 0.02 if len(epochs) else -math.inf
        self.stop_dead.setOpts(x=[max(stop[0], clear)] if stop else [], height=[stop[2]] if stop else [],
                               width=STOP_WIDTH)
        self.setToolTip(self._tip())
        if not len(epochs):  # only revivals (or a stop) so far (the first epoch has not ended): frame them
            self._frame()
            return
        self.l0.setData(epochs, self.series.view(1))
        self.dead.setOpts(x=epochs, height=self.series.view(2), width=BAR_WIDTH)
        self._set_back()
        self._frame()

    def _set_back(self) -> None:
        """The AuxK curve, once a latent came back, over every epoch that has ended (0 where
        none did; an epoch still running is not complete yet)."""
        epochs = self.series.view(0)
        shown = [int(e) for e in epochs] if self.back_per_epoch else []
        self.back.setData(shown, [self.back_per_epoch.get(e, 0) for e in shown])

    def _frame(self) -> None:
        """Whole epochs from the first shown to the run's planned last (so a short run's empty
        plot has no ticks it will never reach), from 0 up, with the legend's band on top."""
        epochs = self.series.view(0)
        stop = self.stopped_at
        # revival marks and a stop, possibly before the first epoch's end
        marks = [p for p, _ in self.revivals] + ([stop[0]] if stop else [])
        first = min([float(epochs[0]) if len(epochs) else 1.0] + marks)
        last = max([float(epochs[-1]) if len(epochs) else 1.0, float(self.planned_epochs), first] + marks)
        top = max(float(self.series.view(1).max()) if len(epochs) else 1.0, stop[1] if stop else 0.0, 1.0)
        pad = 0.3 + 0.04 * (last - first)  # room for half of the last epoch's label: pyqtgraph hides a clipped one
        self.top_legend.fit((first - pad, last + pad), 0.0, top)
        # the right axis's top where the left one has its data's: the whole dictionary
        right = max(float(self.latents or 1), float(self.series.view(2).max()) if len(epochs) else 0.0,
                    max((self.back_per_epoch.get(int(e), 0) for e in epochs), default=0),  # those drawn
                    stop[2] if stop else 0)
        self.right_axis.set_scale(right / top, cap=right)  # (no ticks above it: "800" of 512 dead)
        self.getAxis("bottom").setTickSpacing(*[self._epoch_step(first - pad, last + pad)] * 2)

    def _epoch_step(self, low: float, high: float) -> int:
        """Whole epochs between ticks: at most 10 ticks, and as many as their labels fit side by
        side (at 1024×768, 20 epochs read "0 2 4 6 8 10121416 1820"), in steps of 1, 2 or 5 × 10ⁿ."""
        axis = self.getAxis("bottom")
        label = QFontMetrics(axis.style.get("tickFont") or axis.font()).horizontalAdvance(str(int(high))) + 10
        per_epoch = axis.width() / max(high - low, 1e-9)  # px
        least = max((high - low) / 10, label / per_epoch if per_epoch > 0 else 1.0, 1.0)
        exponent = 10 ** math.floor(math.log10(least))
        return int(next(m * exponent for m in (1, 2, 5, 10) if m * exponent >= least))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if getattr(self, "top_legend", None) is not None and self.plotItem is not None:  # not in __init__ or close()
            self._frame()  # the legend's share changed

    def clear_data(self, planned_epochs: int | None = None, latents: int | None = None) -> None:
        """A new run (its planned last epoch, its latents): no data, auto-range on again, once."""
        if planned_epochs:
            self.planned_epochs = planned_epochs
        if latents and latents != self.latents:
            self.latents = latents
            self.setLabel("right", self._right_label())
        self.dirty = False
        for item in getattr(self, "_revival_items", []):
            self.removeItem(item)
        self._revival_items, self.revivals = [], []
        if self.back_per_epoch:
            self.legend.removeItem(self.back)
        self.back_per_epoch = {}
        self.back.setData([], [])
        self.stopped_at = None
        self.stop_l0.setData([], [])
        self.stop_dead.setOpts(x=[], height=[])
        self.setToolTip(self._tip())
        self.series.clear()
        self.l0.setData([], [])
        self.dead.setOpts(x=[], height=[])
        self._frame()
        self.enableAutoRange()
