"""One latent up close: its tiles, its top activating test digits, its mean activation on each
class ("mostly 6s"), its activation histogram."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sae_desktop.architecture import active, learned_thresholds
from sae_desktop.atlas import (DEAD_FADE, OVER_ACTIVE_DENSITY, TOP_K, class_profile, class_verdict, top_activating,
                               top_labels)
from sae_desktop.evaluation import DENSE_DENSITY
from sae_desktop.data import CLASS_NAMES
from sae_desktop.qt.image_tile import ImageTile
from sae_desktop.qt.log_axis import LogLabelsAxis, SpacedAxis
from sae_desktop.qt import theme
from sae_desktop.qt.plot_files import csv_name
from sae_desktop.qt.plot_style import COLORS, empty_ranges, fit_axis_label, recolour_dotted, set_title, style_plot
from sae_desktop.qt.test_set import TestImages
from sae_desktop.snapshot import ModelSnapshot
from sae_desktop.words import counted


HISTOGRAM_TITLE = "Test-set activations"  # short: the dashboard is ~230 px wide at 1024×768
ACTIVE_TITLE = "Activations when on"  # a ReLU latent's: its zeros (off) left out
NEVER_ACTIVE = "Never active"  # (its caption says "on the test set": "Never active on the test" was cut)


class LatentDashboard(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Click a tile to inspect its latent")
        self.title.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.title.setWordWrap(True)
        self.stats = QLabel()
        self.stats.setWordWrap(True)
        self.stats.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.decoder_tile, self.encoder_tile = ImageTile("draws (decoder)", 90), ImageTile("looks for (encoder)", 90)
        self.top_tiles = [ImageTile("", 40) for _ in range(TOP_K)]
        self.histogram = _LowPlot(axisItems={"left": LogLabelsAxis("left")})  # (log counts: labels apart)
        style_plot(self.histogram, HISTOGRAM_TITLE, "test digits", "activation")
        self.histogram.setToolTip("How often this latent takes each activation on the test set (log scale;\n"
                                  "a ReLU latent's zeros, the digits it is off on, left out);\n"
                                  "the dotted line: where it counts as active (its learned threshold θ, if any).\n"
                                  "The wheel scrolls the panel; Ctrl+wheel zooms the plot, its \"A\" button undoes it.")
        self.histogram.setLogMode(y=True)
        # log-y: empty bins are drawn at 0.5, which is also where the fill starts, so they read as empty
        self.curve = csv_name(self.histogram.plot(stepMode="center", fillLevel=float(np.log10(0.5)), pen=pg.mkPen(
            COLORS["hist"]), brush=pg.mkBrush(COLORS["hist"] + "99")), "test digits")
        self.threshold = pg.InfiniteLine(angle=90, pen=pg.mkPen("#666666", style=pg.QtCore.Qt.PenStyle.DotLine))
        self.histogram.addItem(self.threshold)
        self.classes = _LowPlot(axisItems={"left": SpacedAxis("left")})  # (short: labels apart)
        style_plot(self.classes, "Activation by class", "mean activation", "class")
        fit_axis_label(self.classes, "left", "mean activation", "mean")  # ~90 px high: the long label ran off
        self.classes.setMenuEnabled(False)
        for plot in (self.classes, self.histogram):  # (why File ▸ Export finds nothing in them)
            plot.empty_hint = "It shows the latent selected in the Atlas: first click the tile of a live latent."
        self.classes.setMouseEnabled(x=False, y=False)
        self.class_bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7,
                                          brush=COLORS["hist"], pen=None)
        self.classes.addItem(self.class_bars)
        self.verdict = ""  # what the latent fires on, in words ("mostly 6s"); "" when unknown
        self._profile_key: tuple | None = None
        self._marked: tuple[int, int | None] = (10, None)  # the class chart's bars, and the highest one's
        self._profile: np.ndarray | None = None
        self.latent: int | None = None
        tiles = QHBoxLayout()
        tiles.addWidget(self.decoder_tile)
        tiles.addWidget(self.encoder_tile)
        grid = QGridLayout()
        for i, tile in enumerate(self.top_tiles):
            grid.addWidget(tile, i // 4, i % 4)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.stats)
        layout.addLayout(tiles)
        self.top_caption = QLabel(f"Top {TOP_K} activating test digits")
        self.top_caption.setWordWrap(True)  # a long caption must not widen the dashboard past its scroll area
        layout.addWidget(self.top_caption)
        layout.addLayout(grid)
        layout.addWidget(self.classes, 1)
        layout.addWidget(self.histogram, 1)
        layout.addStretch(1)
        theme.follow(self._on_theme)

    def _on_theme(self, _theme) -> None:
        """The two plots' heights, in proportion to the text (presentation mode's is 1.5× larger:
        at 130 px the by-class plot had ~40 px for its bars, and its ticks ran together). The
        histogram at most 240 px (its own wish, 480, made the dashboard scroll at 1440×900)."""
        recolour_dotted([self.threshold], _theme)  # (a fixed grey vanished on the dark plot)
        self.class_bars.setOpts(brushes=self._class_brushes())
        scale = theme.scale()
        for plot, least, most in ((self.classes, 130, 170), (self.histogram, 160, 240)):
            plot.setMinimumHeight(round(least * scale))
            plot.setMaximumHeight(round(most * scale))


    def show_latent(self, latent: int | None, model: ModelSnapshot | None, test: TestImages | None,
                    decoder: np.ndarray | None = None, encoder: np.ndarray | None = None) -> None:
        """``decoder``/``encoder``: this latent's normalised tiles (the atlas has them already)."""
        self.latent = latent
        self.stats.setToolTip("")  # (what density is common: once the test set's figures say it)
        self._show_examples(True)  # (hidden for a dead latent, or without the test set)
        if latent is None or model is None:
            self.title.setText("Click a tile to inspect its latent")
            self.stats.setText("")
            self._clear_examples()
            # (a model of fewer latents dropped the selection: its tiles and caption stayed, "Top 16
            # activating test digits, 13 are 9s" above empty squares)
            self.decoder_tile.set_diverging(None, 1.0)
            self.encoder_tile.set_diverging(None, 1.0)
            self.top_caption.setText("")
            self.histogram.export_title = None  # (no latent's name on an empty plot)
            return
        self.title.setText(f"Latent {latent}")
        ev = model.evaluation
        fade = DEAD_FADE if ev is not None and ev.dead[latent] else 1.0  # a dead one's, faded as in the mosaic
        self.decoder_tile.set_diverging(None if decoder is None else decoder * fade, 1.0)
        self.encoder_tile.set_diverging(None if encoder is None else encoder * fade, 1.0)
        if ev is None:
            self.stats.setText("Density, top digits and the histogram need the test set, "
                               "which is not available (see the Probe tab's browser for why).")
            self._clear_examples()
            self._histogram_title("Needs the test set")
            self._show_examples(False)  # (16 empty squares and two empty plots read as still loading)
            self.top_caption.setText("")
            return
        column = ev.latents[:, latent]
        density = float(ev.density[latent])
        # the words the rest of the window uses: "dense" as the runs table's Dense column counts it
        verdict = ("dead: never active on the test set" if ev.dead[latent] else
                   f"over-active: fires on more than {OVER_ACTIVE_DENSITY:.0%} of digits"
                   if density > OVER_ACTIVE_DENSITY else
                   f"dense: fires on more than {DENSE_DENSITY:.0%} of digits" if density > DENSE_DENSITY else
                   f"sparse: fires on at most {DENSE_DENSITY:.0%} of digits")
        # against what this code's L0 makes common, on hover (at L0 7.2 of 32 latents a latent fires on 22 % of
        # digits on average: "dense" is most of them; in the text, a third line pushed the histogram off screen)
        self.stats.setToolTip(f"With L0 {ev.l0:.2f} of {len(ev.density)} latents, a latent is active on "
                              f"{ev.l0 / max(len(ev.density), 1):.0%} of digits on average: dense (more than "
                              f"{DENSE_DENSITY:.0%}) is common here, and over-active means more than "
                              f"{OVER_ACTIVE_DENSITY:.0%}.")
        share = density_text(density)
        thresholds = learned_thresholds(model.weights, model.config)  # (JumpReLU's, BatchTopK's: shown)
        theta = float(thresholds[latent]) if thresholds is not None else None
        fires = f" · fires above θ = {theta:.3g}" if theta is not None else ""
        self.stats.setText(f"Density {share} · mean activation {figure(column.mean())} · max {figure(column.max())}"
                           f"{fires}<br><b>{verdict}</b>")
        if ev.dead[latent]:  # no top digits (16 arbitrary ones at 0.00) and no histogram (one block at 0)
            self._clear_examples()
            self._show_examples(False)  # (16 empty squares read as digits to come; empty plots contradicted it)
            self.top_caption.setText("Never active on the test set: no top digits, classes or histogram to show")
            self._histogram_title(NEVER_ACTIVE, "Never active on the test set")
            self.classes.export_title = f"Latent {latent}: never active on the test set"  # (as the histogram's)
            return
        zeros = model.config.latent != "sigmoid"  # its zeros: digits it is off on (a first bar of 1 117 read as weak)
        self._histogram_title(ACTIVE_TITLE if zeros else HISTOGRAM_TITLE)
        top = top_activating(ev.latents, latent)
        top = top[active(column[top], ev.threshold)]  # only digits it is active on (a rare latent had 12 at 0.00)
        for tile in self.top_tiles[len(top):]:
            tile.set_grey(None)
            tile.caption.setText("")
        for tile, index in zip(self.top_tiles, top):
            tile.set_grey(test.images[index] / 255.0 if test is not None else None)
            # narrow no-break spaces: never "0.43 ·" over "3" in a narrow window's tile
            label = f"\u202f·\u202f{int(test.labels[index])}" if test is not None else ""
            tile.caption.setText(f"{compact(column[index])}{label}")
        few = len(top) < len(self.top_tiles)
        kinds = "" if test is None else top_labels(test.labels[top], class_names(test))
        kinds = f", {kinds}" if kinds else ""  # "all 0s" beside "many classes" (a mean over every digit)
        self.top_caption.setText(
            "Top digits: the test images are not loaded" if test is None else
            f"The {counted(len(top), 'test digit')} it is active on{kinds} (activation · label)" if few
            else f"Top {len(top)} activating test digits{kinds} (activation · label)")
        self._show_classes(latent, model, test)
        top_value = 1.0 if model.config.latent == "sigmoid" else max(float(column.max()), 1e-6)
        counts, edges = np.histogram(column[column > 0] if zeros else column, bins=40, range=(0.0, top_value))
        last = int(np.flatnonzero(counts)[-1]) + 1 if counts.any() else 1  # no empty tail: it would read as data
        self.curve.setData(edges[:last + 1], np.maximum(counts[:last], 0.5))  # log scale: empty bins at 0.5
        self.curve.csv_y = counts[:last]  # (a CSV gives the true counts)
        self.histogram.enableAutoRange()
        self.threshold.setValue(ev.threshold if theta is None else theta)  # (its values are 0 or above θ)
        self.threshold.show()

    def _histogram_title(self, title: str, exported: str | None = None) -> None:
        """On screen, and in an exported file with the latent it is about (``exported``: the
        file's words, where they differ)."""
        set_title(self.histogram, title)
        exported = exported or title
        self.histogram.export_title = f"Latent {self.latent}: {exported[0].lower()}{exported[1:]}"

    def profile(self, model: ModelSnapshot, test: TestImages | None) -> np.ndarray | None:
        """Every latent's mean activation per class (computed once per model and test set)."""
        ev = model.evaluation
        if ev is None or test is None or len(test.labels) != len(ev.latents):
            return None
        key = (id(ev), id(test))
        if key != self._profile_key:
            self._profile_key, self._profile = key, class_profile(ev.latents, test.labels, len(class_names(test)))
        return self._profile

    def _show_classes(self, latent: int, model: ModelSnapshot, test: TestImages | None) -> None:
        profile = self.profile(model, test)
        if profile is None:
            self._clear_classes()
            return
        names = class_names(test)
        row = profile[latent]
        ev = model.evaluation
        self.verdict = class_verdict(row, names, int(active(ev.latents[:, latent], ev.threshold).sum()))
        self.title.setText(f"Latent {latent} · {self.verdict}")
        top = int(np.argmax(row)) if row.max() > 0 else None
        self._marked = (len(row), top)
        self.class_bars.setOpts(x=np.arange(len(row)), height=row, brushes=self._class_brushes())
        # File ▸ Export ▸ Plot has it too (it was the one plot no export reached), named and as a table
        self.classes.export_title = f"Latent {latent}: activation by class"
        self.classes.csv_table = lambda: (["class", "mean activation"], [[n, float(v)] for n, v in zip(names, row)])
        self.classes.getAxis("bottom").setTicks([[(c, name[:5]) for c, name in enumerate(names)]])
        self.classes.setXRange(-0.6, len(row) - 0.4, padding=0)
        self.classes.setYRange(0.0, max(float(row.max()), 1e-6) * 1.1, padding=0)

    def _class_brushes(self) -> list[str]:
        """The bars' green, the highest in a shade of it that stands out on this theme's plot (darker
        on the light, lighter on the dark: it was orange, a clamp in the Probe and an over-active frame
        here, and dark green vanished on the dark plot)."""
        count, top = self._marked
        marked = COLORS["top_on_dark"] if theme.current().dark else COLORS["top"]
        return [marked if c == top else COLORS["hist"] for c in range(count)]

    def _clear_classes(self) -> None:
        """No bars and empty axes over the ten classes (not pyqtgraph's ±0.5 around nothing)."""
        self.verdict = ""
        self._marked = (10, None)
        self.class_bars.setOpts(x=[], height=[], brushes=None)  # (no bars: nothing to export either)
        self.classes.export_title = None
        self.classes.csv_table = lambda: (["class", "mean activation"], [])
        self.classes.getAxis("bottom").setTicks([[(c, str(c)) for c in range(10)]])  # each class, as with a latent
        empty_ranges(self.classes, (-0.6, 9.6), (0.0, 1.0))  # (pyqtgraph's own ticks: 0 2 4 6 8)

    def _show_examples(self, on: bool) -> None:
        """The top digits' tiles, the by-class chart and the histogram shown or not."""
        for widget in [*self.top_tiles, self.classes, self.histogram]:
            widget.setVisible(on)

    def _clear_examples(self) -> None:
        self._clear_classes()
        for tile in self.top_tiles:
            tile.set_grey(None)
            tile.caption.setText("")
        self.curve.clear()  # an empty plot, not a flat line that reads as data
        self.threshold.hide()
        empty_ranges(self.histogram, (0.0, 1.0), (0.0, 3.0))  # log-y: 1 to 1000 digits


class _LowPlot(pg.PlotWidget):
    """A plot that asks for its least height, and takes more where there is room (its stretch):
    asking for its largest, the histogram's lower half was below the fold at 1440×900."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(super().sizeHint().width(), self.minimumHeight())

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """The wheel scrolls the dashboard; Ctrl+wheel zooms a plot that zooms. pyqtgraph took
        every turn of the wheel (even the by-class chart's, which does not zoom), so scrolling down
        stopped once a plot came under the mouse: the histogram's axis stayed below the fold, and
        the histogram was zoomed instead."""
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and any(self.getViewBox().state["mouseEnabled"]):
            super().wheelEvent(event)
        else:
            event.ignore()


def class_names(test: TestImages) -> tuple[str, ...]:
    """The test set's class names; a dataset without its own has digits."""
    return CLASS_NAMES.get(test.name, CLASS_NAMES["mnist"])


def density_text(density: float) -> str:
    """A latent's density in words and as the atlas's histogram plots it: "99.82% of test digits
    (log10 = 0.00)" (+ 0.0: a latent active on nearly every digit read "log10 = -0.00"); the bracket
    is one word for wrapping ("(log10 =" over "-0.02)" began a line with a stray minus)."""
    if density <= 0:
        return "0"
    return f"{density:.2%} of test digits (log10\u00a0=\u00a0{round(float(np.log10(density)), 2) + 0.0:.2f})"


def compact(value: float) -> str:
    """A top digit's activation in at most four figures: "0.43", "9.87", "30.7", "412" (a TopK
    latent's "30.73 · 0" widened the dashboard past a 1024-px window's, which then scrolled sideways)."""
    value = float(value) + 0.0
    return f"{value:.2f}" if abs(value) < 9.995 else f"{value:.1f}" if abs(value) < 99.95 else f"{value:.0f}"


def figure(value: float) -> str:
    """An activation in three decimals, or three significant figures where those would read 0:
    a rare live latent's mean read "0.000", as a dead one's (+ 0.0: a JumpReLU's dead latent
    read "-0.000")."""
    value = float(value) + 0.0
    return f"{value:.2e}" if 0 < abs(value) < 0.0005 else f"{value:.3f}"
