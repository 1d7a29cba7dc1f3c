"""The sparse code as bars, and the place to steer it.

Click or drag a bar to clamp that latent to the height under the mouse; right-click sets it to 0 (ablation);
double-click releases it (the keyboard: bar_keys.py). Clamped bars are orange, with a tick at the encoder's own
value. Bars can be sorted by activation; clamping never reorders them. Resting the mouse on a bar names it and its
value (where the labels thin out, not every bar has its number). The clamps are not kept here: gestures *request*
a clamp (signals), the probe's state holds them, and the bars draw what they are given (:meth:`set_latents`).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QToolTip

from sae_desktop.architecture import active as is_active, clamped_code
from sae_desktop.config import ModelConfig
from sae_desktop.qt import theme
from sae_desktop.qt.bar_keys import BarKeys
from sae_desktop.qt.latent_axes import CappedAxis, bar_ticks, line_names
from sae_desktop.qt.plot_legend import fit_entries
from sae_desktop.qt.plot_style import COLORS, add_legend, csv_companion, fit_axis_label, recolour_dotted, style_plot
from sae_desktop.qt.steering_box import SteeringViewBox

INACTIVE_ON_DARK = "#4d535c"  # between the dark plot (#1e1f22) and the active blue, nearer the plot
SORTED_LEAST = 32  # bars in view, at the least, when a wide dictionary's code is sorted (see LatentBars._leading)


class LatentBars(pg.PlotWidget):
    clampRequested = Signal(int, float)  # latent, value (already within the axis)
    releaseRequested = Signal(int)
    described = Signal(str)  # the bar the keys act on, in words (for the status bar)

    def __init__(self, parent=None):
        box = SteeringViewBox()
        self.activation_axis = CappedAxis("left")
        super().__init__(parent, viewBox=box, axisItems={"left": self.activation_axis})
        box.owner = self
        style_plot(self, "Latent code: click or drag a bar to steer it", "activation", "latent")
        self.export_title = self.export_name = None  # files: no hint for the mouse; named by the input (ProbeView)
        self.x_name = "latent"  # the CSV's x column (the axis's label counts the active ones: "latent (8 of 32 …")
        self.setMenuEnabled(False)
        self.hideButtons()  # no zooming here: the mouse steers
        # the first bar's label may reach past the axis's end (pyqtgraph hid it: sorted, the most active went unnamed)
        self.getAxis("bottom").setStyle(hideOverlappingLabels=12)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.marks = pg.ScatterPlotItem(symbol="t1", size=10, brush=pg.mkBrush("#222222"), pen=None)
        target_pen = pg.mkPen(COLORS["target"], width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine)
        threshold_pen = pg.mkPen("#888888", width=1, style=pg.QtCore.Qt.PenStyle.DotLine)
        self.target = pg.InfiniteLine(angle=0, pen=target_pen)
        self.threshold = pg.InfiniteLine(angle=0, pen=threshold_pen)
        self.theta_marks = pg.ScatterPlotItem(symbol="_", size=12, pen=pg.mkPen("#888888", width=2), brush=None)
        self.thetas: np.ndarray | None = None  # JumpReLU's learned thresholds, a tick across each bar (set_model)
        for item in (self.bars, self.marks, self.target, self.threshold, self.theta_marks):
            self.addItem(item)
        self._brushes = {key: pg.mkBrush(COLORS[key]) for key in ("clamped", "active", "inactive")}
        self._pens = self._outlines()
        theme.follow(self._on_theme)
        # the lines are named in a band above the bars (their labels sat behind the bars)
        self.legend = add_legend(self, offset=(-10, 2), colCount=2, horSpacing=12)
        self.legend_forms: list[list[tuple[object, str]]] = []  # its entries, then with shorter names
        self.samples = {"threshold": pg.PlotDataItem([], [], pen=threshold_pen),
                        "target": pg.PlotDataItem([], [], pen=target_pen),
                        "theta": pg.PlotDataItem([], [], pen=None, symbol="_", symbolSize=12,
                                                 symbolPen=pg.mkPen("#888888", width=2))}
        self.code_for_csv = csv_companion(self, "decoded code")  # …and the encoder's own beside it (a latent
        self.latents_for_csv = csv_companion(self, "encoder's code")  # clamped, the CSV held only the steered value)
        self.target.setZValue(5)
        self.latents: np.ndarray | None = None
        self._clamps: dict[int, float] = {}  # what is drawn; the probe's state owns them
        self.sorted, self.order = False, np.arange(0)
        self.shown_count = 0  # bars in view (see _leading)
        self.drag_latent: int | None = None
        self.top = self.least_top = 1.0  # the activation axis's top, and the least it may be
        self.config = ModelConfig()
        self._ranges: tuple[int, float] | None = None
        self._ticks_for: tuple[int, list[tuple[int, str]]] | None = None  # (step, ticks) on the axis
        self.keys = BarKeys(self)  # …and the keyboard (Tab to them: a dashed frame marks the bar the keys steer)
        self.screen_only = [self.keys.frame]  # (not in exported files)
        self.getViewBox().sigResized.connect(self._fit_to_box)

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt naming)
        """Every bar is named on hover (Qt's tooltip event, where the mouse rests: pyqtgraph drops moves that come
        fast). Where the labels thin out, a clamped bar had no number anywhere ("5 latents clamped", the header)."""
        if event.type() != QEvent.Type.ToolTip:
            return super().viewportEvent(event)
        box = self.getViewBox()
        scene_point = self.mapToScene(event.pos())
        inside = box.sceneBoundingRect().contains(scene_point)
        latent = self.latent_at(box.mapSceneToView(scene_point).x()) if inside else None
        if latent is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPos(), self.describe(latent), self.viewport())
        return True

    def describe(self, latent: int) -> str:
        """One bar in words: "Latent 14: 0.82 (active)", "Latent 3: clamped to 1.00 (the encoder's
        0.04)"."""
        own = float(self.latents[latent])
        if latent in self._clamps:
            return f"Latent {latent}: clamped to {self._clamps[latent]:.2f} (the encoder's {own:.2f})"
        state = "active" if is_active(own, self.config.active_threshold) else "inactive"
        theta = f"; fires above θ {self.thetas[latent]:.3g}" if self.thetas is not None else ""
        return f"Latent {latent}: {own:.2f} ({state}{theta})"

    def mouseReleaseEvent(self, ev) -> None:  # noqa: N802 (Qt naming)
        box = self.getViewBox()
        box.released_at = self.mapToScene(ev.position().toPoint())  # (the click it ends reads it)
        try:
            super().mouseReleaseEvent(ev)
        finally:
            box.released_at = None

    # -- model and data -------------------------------------------------------------------
    def _on_theme(self, t: theme.Theme) -> None:
        self.marks.setBrush(pg.mkBrush(t.ink))  # the clamp marks
        recolour_dotted([self.threshold, getattr(self, "samples", {}).get("threshold")], t)
        self.theta_marks.setPen(pg.mkPen(t.ink, width=2))  # (the ticks across the bars: the theme's ink)
        if "theta" in getattr(self, "samples", {}):
            self.samples["theta"].setSymbolPen(pg.mkPen(t.ink, width=2))
        # inactive latents recede into the plot: light grey on a dark plot outshone the active blue
        self._brushes["inactive"] = pg.mkBrush(INACTIVE_ON_DARK if t.dark else COLORS["inactive"])
        self._pens = self._outlines()
        if getattr(self, "latents", None) is not None and self.plotItem is not None:  # (not once closed)
            self._redraw()

    def _outlines(self) -> dict:
        """Each kind of bar outlined a pixel in its own colour, whatever the zoom (made once, not per bar at each
        stroke: with 512 latents a bar is under a pixel, and unoutlined most were not drawn)."""
        return {key: pg.mkPen(brush.color(), width=1, cosmetic=True) for key, brush in self._brushes.items()}

    def set_model(self, config: ModelConfig, rho: float | None, thresholds: np.ndarray | None = None) -> None:
        """A model's bars: its "active" line (sigmoid latents), the learned thresholds its latents fire above
        (``architecture.learned_thresholds``: BatchTopK's one line, JumpReLU's tick per bar), the KL target ``rho``."""
        self.config = config
        shared = float(thresholds[0]) if config.latent == "batchtopk" and thresholds is not None else None
        self.thetas = thresholds if config.latent == "jumprelu" else None
        self.least_top = max(1.0, 1.15 * shared) if shared else 1.0  # the line in view with no bar above it
        self.threshold.setValue(shared if shared else config.active_threshold)
        self.threshold.setVisible(config.latent == "sigmoid" or bool(shared))
        self.target.setVisible(rho is not None)
        if rho is not None:
            self.target.setValue(rho)
        named = line_names(config, shared, self.thetas is not None, rho)  # (shorter where narrow: _fit_to_box)
        self.legend_forms = [[(self.samples[key], names[i]) for key, *names in named] for i in (0, 1)]
        fit_entries(self.legend, self.legend_forms, self.getViewBox().width() - 12)  # (shown with room: _set_ranges)
        self.top = self.least_top
        self._ranges = None
        self._set_ranges(config.d_latent)
        self.shown_count = config.d_latent  # (no code yet: every bar's place, and the axis says so)
        fit_axis_label(self, "bottom", "latent")
        if self.latents is None or self.latents.size != config.d_latent:  # the places, numbered as they will be
            self.order = np.arange(config.d_latent)  # (pyqtgraph's own 0, 5, 10 became 0, 2, 4 at the first stroke)
            self._update_ticks()

    def _set_ranges(self, n: int) -> None:
        height = self.getViewBox().height()
        band = (self.legend.boundingRect().height() + 6) / max(height, 1.0) if self.legend.items else 0.0
        self.legend.setVisible(bool(self.legend.items) and band <= 0.4)  # too short a plot: no legend over the
        band = band if band <= 0.4 else 0.0  # bars (at the window's least size it hid all above 0.15)
        if (n, self.top, round(band, 3)) != self._ranges:  # a range change regenerates the axes: only when needed
            self._ranges = (n, self.top, round(band, 3))
            self.activation_axis.cap = self.top  # (the legend's band above: no values there)
            self.setYRange(0, self.top * 1.02 / (1 - band), padding=0)
            self.setXRange(-0.6, n - 0.4, padding=0)

    def set_latents(self, latents: np.ndarray | None, clamps: dict[int, float] | None = None,
                    reorder: bool = True, refit: bool = False) -> None:
        """Draw the encoder's ``latents`` with ``clamps`` applied; bars are re-sorted only
        when ``reorder`` (a new input), never because of a clamp. Unbounded latents' axis only
        grows (steady while a drawing's strokes come), except with ``refit`` (another input: a
        digit's bars up to 13 stood under an axis to 20, the last digit's)."""
        if refit:
            self.top = self.least_top  # (grown to the code again by _redraw)
        self.latents = None if latents is None else np.asarray(latents, dtype=np.float32)
        self._clamps = dict(clamps or {})
        if self.latents is not None and (reorder or self.order.size != self.latents.size):
            self.order = np.argsort(-self.latents, kind="stable") if self.sorted else np.arange(self.latents.size)
        self._redraw()

    def set_sorted(self, on: bool) -> None:
        self.sorted = on
        self.set_latents(self.latents, self._clamps)

    # -- steering -----------------------------------------------------------------------
    def latent_at(self, x: float) -> int | None:
        position = int(round(x))
        if self.latents is None or not 0 <= position < self.order.size or abs(x - position) > 0.45:
            return None
        return int(self.order[position])

    def set_clamp(self, latent: int, value: float) -> None:
        self.keys.follow(latent)
        self.clampRequested.emit(int(latent), float(np.clip(value, 0.0, self.top)))
        self.described.emit(self.describe(latent))  # (by mouse or key: the status bar names the bar steered)

    def release(self, latent: int) -> None:
        self.keys.follow(latent)
        self.releaseRequested.emit(int(latent))
        self.described.emit(self.describe(latent))

    def value_of(self, latent: int) -> float:
        return float(self._clamps.get(latent, self.latents[latent]))  # its clamp, or the encoder's value

    def is_clamped(self, latent: int) -> bool:
        return latent in self._clamps

    def _redraw(self) -> None:
        if self.latents is None:  # (a CSV after Clear held the last input's code)
            for item in (self.marks, self.code_for_csv, self.latents_for_csv, self.theta_marks):
                item.setData([], [])
            self._draw_waiting()
            self.keys.place()
            return
        code = clamped_code(self.latents, self._clamps, self.config)  # what the probe decodes
        shown, positions = code[self.order], np.arange(self.order.size)
        active = is_active(self.latents[self.order], self.config.active_threshold)
        clamped = np.isin(self.order, list(self._clamps))
        kinds = np.where(clamped, "clamped", np.where(active, "active", "inactive"))
        # each bar outlined in its own colour, a pixel whatever the zoom (with 512 latents a bar is under a
        # pixel: test #8130 showed 2 of its 4 live latents); zeros not drawn (their outline is a line on the axis)
        drawn = np.flatnonzero(shown)
        if drawn.size:
            self.bars.setOpts(x=positions[drawn], height=shown[drawn], width=0.8,
                              brushes=[self._brushes[k] for k in kinds[drawn]],
                              pens=[self._pens[k] for k in kinds[drawn]])
        else:  # a code of zeros (no latent fires): no bars (pyqtgraph 0.14 fails on empty lists of pens)
            self.bars.setOpts(x=[], height=[], brushes=None, pens=None)
        self.marks.setData(positions[clamped], self.latents[self.order][clamped])
        self.code_for_csv.setData(self.order.astype(float), shown)  # x = latent index
        self.latents_for_csv.setData(self.order.astype(float), self.latents[self.order])
        if self.thetas is not None and self.thetas.size == self.order.size:
            self.theta_marks.setData(positions, self.thetas[self.order])
        else:
            self.theta_marks.setData([], [])
        if self.config.latent != "sigmoid":
            self.top = max(self.top, float(code.max(initial=0.0)) * 1.2, self.least_top)
        self.shown_count = self._leading(np.flatnonzero((shown != 0) | clamped), int(active.sum()))
        self._set_ranges(self.shown_count)
        self._update_ticks()
        self.keys.place()

    def _draw_waiting(self) -> None:
        """No input: the clamps waiting for one drawn at their values, where they will be, their places numbered
        (the header said "latent 30 will be clamped" over no bar); the axis counts no input's latents."""
        waiting = sorted(j for j in self._clamps if j < self.config.d_latent)
        kinds = {"brushes": [self._brushes["clamped"]] * len(waiting), "pens": [self._pens["clamped"]] * len(waiting)}
        self.bars.setOpts(x=waiting, height=[self._clamps[j] for j in waiting], width=0.8, **(kinds if waiting else {}))
        fit_axis_label(self, "bottom", *(["latent (no input: clamps waiting)", "latent"] if waiting else ["latent"]))
        if waiting:  # (every place in view: a wide dictionary's sorted code showed its leading bars alone)
            self.order, self.shown_count = np.arange(self.config.d_latent), self.config.d_latent
            self._set_ranges(self.shown_count)
            self._update_ticks()

    def _leading(self, lit: np.ndarray, active: int) -> int:
        """How many bars are in view: all, except a wide dictionary's sorted code, which shows its
        leading bars (the lit ones, clamped included, and a quarter more; at least SORTED_LEAST):
        1024 latents' 16 active bars shared ~10 px. The axis's title says so, and how many of the
        encoder's latents are active on the input (its L0: the bars had to be counted)."""
        n = self.order.size
        count = n if not self.sorted or n <= 2 * SORTED_LEAST else \
            int(min(n, max(SORTED_LEAST, math.ceil((lit[-1] + 1 if lit.size else 0) * 1.25))))
        on = " on the input" if self._clamps else ""  # (beside a clamped bar above the line: the encoder's count)
        titles = (f"latent ({active} of {n} active{on})", f"latent ({active} active{on})", "latent") if count == n \
            else (f"latent (sorted: the first {count} of {n}; {active} active{on})", f"latent (first {count} of "
                  f"{n}; {active} active{on})", f"first {count} of {n}, {active} active", f"first {count} of {n}")
        fit_axis_label(self, "bottom", *titles)  # (the longest that fits the plot's width)
        return count

    def _update_ticks(self) -> None:
        """A label per bar where there is room (the width of "31" and a gap, 18 px at the normal
        size), else every 2nd, 5th… bar (``latent_axes.bar_ticks``). New labels regenerate the axis:
        only when they change."""
        if self.order is None or not self.order.size:
            return
        n = min(self.shown_count, self.order.size) or self.order.size  # the bars in view
        pixels_per_bar = self.getViewBox().width() / n
        font = self.getAxis("bottom").style.get("tickFont") or self.font()
        room = QFontMetrics(font).horizontalAdvance(str(self.order.size - 1)) + 5  # a gap that reads as one
        step, ticks = bar_ticks(self.order, n, pixels_per_bar, room, self._clamps)
        if self._ticks_for != (step, ticks):
            self._ticks_for = (step, ticks)
            self.getAxis("bottom").setTicks([ticks, []])

    def _fit_to_box(self, _box=None) -> None:
        """The labels' and the legend's room follow the plot area, settled after the widget's own resize (one label
        per bar was kept leaving presentation mode; at 1024 px the legend's names ran over the activation axis)."""
        self._update_ticks()
        fit_entries(self.legend, self.legend_forms, self.getViewBox().width() - 12)  # (its offset, a gap)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if getattr(self, "order", None) is not None and self.plotItem is not None:  # not in __init__ or close()
            self._update_ticks()
            self._set_ranges(self.shown_count if self.order.size else self.config.d_latent)  # the band's share
