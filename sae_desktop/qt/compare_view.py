"""Two models side by side on the same test digits: their reconstructions and codes, and
their latents matched one to one by what they draw."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (QBoxLayout, QGridLayout, QHBoxLayout, QLabel, QPushButton, QTabBar, QTabWidget,
                               QVBoxLayout, QWidget)

from sae_desktop.architecture import active
from sae_desktop.atlas import mosaic
from sae_desktop.qt import theme
from sae_desktop.qt.match_view import MatchView
from sae_desktop.qt.picture_plot import PicturePlot
from sae_desktop.qt.plot_style import fit_axis_label, follow_theme, style_plot
from sae_desktop.qt.test_set import TestImages, TestSetProvider
from sae_desktop.snapshot import ModelSnapshot

N_DIGITS = 8
STRIP_ASPECT = 3 * 30 / (N_DIGITS * 30)  # the strip's picture: 3 rows of 8 digits, 28 px and a 2-px gap each
SIDE_BY_SIDE = 600  # px (at the normal text size): the codes side by side from this width (narrower, their
# titles and scales were cut)
CODES_HEIGHT = (170, 200)  # px (at the normal text size): least and most for each model's codes
BUSY = "Comparing the two runs…"  # the title while the models are loaded and evaluated
ALL_COLUMNS = 64  # latents a code shows every one of; a wider dictionary's shows those active on the digits
# (1024 columns in a ~300-px plot were a third of a pixel each: a digit's 16 active latents were specks)
TICKS = 6  # latent numbers on such a code's axis (each names its column: they are no longer in steps)


def shown_latents(active_on_digits: np.ndarray) -> np.ndarray:
    """The latents a code's heatmap shows, from ``active_on_digits`` [digits, latents] (bool):
    every one of a small dictionary; of a wider one, those active on any of the digits, in
    index order (every one where none is)."""
    width = active_on_digits.shape[1]
    lit = np.flatnonzero(active_on_digits.any(axis=0))
    return np.arange(width) if width <= ALL_COLUMNS or not lit.size else lit


def row_ticks(labels: list[str], row_px: float, line_px: float) -> list[tuple[float, str]]:
    """A tick at each row's centre, named every so many rows that the names are a text line apart."""
    step = max(1, math.ceil(line_px / max(row_px, 1e-6)))
    return [(r + 0.5, text if r % step == 0 else "") for r, text in enumerate(labels)]


def column_ticks(columns: np.ndarray) -> list[tuple[float, str]]:
    """``columns``' latent numbers, each at its column's centre (pyqtgraph's own ticks sat on the
    columns' left edges): every 5th (10th past 40 columns) of a whole small dictionary's, else
    about :data:`TICKS` of those shown."""
    if np.array_equal(columns, np.arange(len(columns))) and len(columns) <= ALL_COLUMNS:
        picks = np.arange(0, len(columns), 5 if len(columns) <= 40 else 10)
    else:
        picks = np.unique(np.linspace(0, len(columns) - 1, min(TICKS, len(columns))).round().astype(int))
    return [(i + 0.5, str(int(columns[i]))) for i in picks]


class _TabsTheWheelPasses(QTabBar):
    """The mouse wheel scrolls the panel: over the tabs, Qt's switched between the codes and the
    matched latents as the panel scrolled past them (at 1024×768 the panel scrolls)."""

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        event.ignore()


class CompareView(QWidget):
    modelsShown = Signal()  # two models are shown (no longer only the hint): the view wants its room

    def __init__(self, test_set: TestSetProvider, parent: QWidget | None = None):
        super().__init__(parent)
        self.test_set = test_set
        self.models: tuple[ModelSnapshot, ModelSnapshot] | None = None
        self.indices = np.arange(0)
        self._rng = np.random.default_rng(0)
        self.title = QLabel("Select two runs above and press Compare: the same test digits, both models.")
        self._before_busy = self.title.text()
        self.title.setWordWrap(True)  # beside the frontier it must not set the tab's minimum width
        self.shuffle = QPushButton("Other digits")
        self.shuffle.clicked.connect(self.pick_digits)
        self.shuffle.hide()  # until there are digits to change (greyed out beside the hint, it read as broken)
        self.strip = PicturePlot()  # originals, reconstruction A, reconstruction B, as one image
        follow_theme(self.strip)
        self.strip.hideAxis("bottom")
        self.strip.setAspectLocked(True)
        self.strip.invertY(True)
        self.strip.setMinimumHeight(150)  # the digits are the point: give them room (150 fits a 1024×768 screen)
        self.strip_image = pg.ImageItem(axisOrder="row-major")
        self.strip.addItem(self.strip_image)
        self.strip.getAxis("left").setTicks([[(16, "digits"), (46, "model A"), (76, "model B")]])
        self.codes, self.bars, self.plots = [], [], [self.strip]
        self._tables: tuple | None = None  # the digits shown and both codes, for the codes' CSV (csv_table)
        self._row_labels: list[list[str]] = [[], []]  # each code's rows, by their digits' labels
        self.summaries = [QLabel(), QLabel()]
        grid, codes_page, code_plots = QGridLayout(), QWidget(), QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.code_plots = code_plots
        page = QVBoxLayout(codes_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addLayout(code_plots)
        page.addStretch(1)  # a taller page leaves its room below the codes, not around them
        for i, name in enumerate(("A", "B")):
            plot = PicturePlot()
            plot.invertY(True)
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            # the scale beside each: the two models' codes may span different ranges (a sigmoid's
            # 0-1, a ReLU's up to its largest activation), so one colour is not one value across them
            bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12,
                                  label="activation")
            bar.setImageItem(image, insert_in=plot.getPlotItem())
            style_plot(plot, f"Model {name}: latent codes", "test digit (its label)", "latent")  # (bar included)
            # (at its least height, ~100 px of rows, it read "est digit (its label)")
            fit_axis_label(plot, "left", "test digit (its label)", "digit (its label)", "digit")
            plot.getViewBox().sigResized.connect(lambda *_, i=i: self._label_rows(i))
            self.codes.append(image)
            self.bars.append(bar)
            self.plots.append(plot)
            self.summaries[i].setWordWrap(True)
            grid.addWidget(self.summaries[i], 0, i)
            code_plots.addWidget(plot)
        # the codes and the matched latents share the space below the digits (a 1024×768 screen has no more)
        for i, plot in enumerate(self.plots[1:]):  # (their CSV: plot_files.csv_table reads a plot's own table)
            plot.csv_table = lambda i=i: self.csv_table(i)
        self.matches = MatchView()
        self.below = QTabWidget()
        self.below.setTabBar(_TabsTheWheelPasses())
        self.below.addTab(codes_page, "Latent codes")
        self.below.addTab(self.matches, "Matched latents")
        self.below.setTabToolTip(1, "Each latent of A paired with the latent of B that draws most alike")
        self.below.hide()
        self.elsewhere = QLabel("Not the runs selected above: Compare compares those.")  # (mark_selection)
        self.elsewhere.setWordWrap(True)
        self.elsewhere.hide()
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.shuffle)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.elsewhere)
        layout.addWidget(self.strip, 3)
        layout.addLayout(grid)
        layout.addWidget(self.below, 2)
        layout.addStretch(1)  # holds the space while the plots are hidden (stretch 0 once they show)
        for plot in self.plots:  # empty axes until there are two models: they would read as a broken plot
            plot.hide()
        test_set.ready.connect(lambda _: self.pick_digits() if self.models and not self.indices.size else None)
        theme.follow(self._on_theme)

    def _on_theme(self, _theme) -> None:
        """The codes' heights follow the text (in presentation mode at 170 px their eight row labels
        ran together, and their axis label was cut); the rest of the height goes to the digits."""
        for plot in self.plots[1:]:
            plot.setMinimumHeight(round(CODES_HEIGHT[0] * theme.scale()))  # a row per digit, its label readable
            plot.setMaximumHeight(round(CODES_HEIGHT[1] * theme.scale()))
        self._fit_to_width()  # side by side or not, at this text size

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """The digits' strip no taller than its picture at this width: it is 3 rows of 8 digits
        (aspect locked), and the height beyond was an empty frame that pushed the captions and
        the codes below the fold."""
        super().resizeEvent(event)
        self._fit_to_width()

    def _fit_to_width(self) -> None:
        axis = self.strip.getAxis("left").width()
        # the two codes side by side where each has room for its axes and colour scale, else one above the other
        wide = self.width() >= SIDE_BY_SIDE * theme.scale()
        flow = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        self.code_plots.setDirection(flow)
        self.strip.setMaximumHeight(max(self.strip.minimumHeight(), int((self.width() - axis) * STRIP_ASPECT) + 24))

    def _label_rows(self, i: int) -> None:
        """Code ``i``'s rows named by their digits' labels, the plot grown to a text line a row (every other one
        named, "4 5 0 1" beside eight rows read as theirs); until it is, as many as have a line's room."""
        plot = self.plots[1 + i]
        labels, axis, rows = self._row_labels[i], plot.getAxis("left"), plot.getViewBox().height()
        if labels:
            line = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
            need = math.ceil(plot.height() - rows + len(labels) * line)
            if 0 < rows < len(labels) * line and need > plot.minimumHeight():
                plot.setMaximumHeight(max(plot.maximumHeight(), need))
                plot.setMinimumHeight(need)
            axis.setTicks([row_ticks(labels, rows / len(labels), line), []])

    def csv_table(self, i: int) -> tuple[list[str], list[list]]:
        """Model ``i``'s code as a table (File ▸ Export ▸ Plot as CSV): a row per digit shown, its
        test index, label and every latent's value (not only those drawn)."""
        if self.models is None or self._tables is None:
            return [], []
        indices, labels, codes = self._tables
        z = codes[i]
        return (["test digit", "label", *(f"latent {j}" for j in range(z.shape[1]))],
                [[int(index), label, *map(float, row)] for index, label, row in zip(indices, labels, z)])

    def whose(self) -> tuple[str, str] | None:
        """Whose models an exported plot compares (the tab's others are of every run): a name for
        its file ("<A>_vs_<B>") and its caption."""
        if self.models is None:
            return None
        a, b = self.models
        return f"{a.short_name}_vs_{b.short_name}", f"A: {a.name}; B: {b.name}"

    def _test(self) -> TestImages | None:
        return None if self.models is None else self.test_set.get(self.models[0].dataset)

    def set_models(self, a: ModelSnapshot, b: ModelSnapshot, same_digits: bool = False) -> None:
        """Compare ``a`` and ``b`` on new random test digits (``same_digits``: those shown)."""
        self.models = (a, b)
        self.modelsShown.emit()
        self.title.setText(self._names())
        self.shuffle.show()
        for plot in self.plots:
            plot.show()
        self.layout().setStretch(self.layout().count() - 1, 0)  # the space goes to the plots now
        test = self._test()
        self.matches.set_models(a, b, test.images if test is not None else None)
        self.below.show()
        if same_digits and self.indices.size:
            self.render()
        else:
            self.pick_digits()

    def mark_selection(self, other: bool) -> None:
        """Whether a run selected in the table is ``other`` than the two compared: said under the names
        (two other runs selected, the comparison below them still showed the first pair; one of the two
        alone selected is no other)."""
        self.elsewhere.setVisible(other and self.models is not None)

    def mark_busy(self, busy: bool = True) -> None:
        """Two models are being loaded and evaluated (in a worker): said in the title until they are
        shown (``busy`` False: they could not be, and the title is what it was)."""
        if busy and self.title.text() != BUSY:  # (not when asked again meanwhile: the title before stays)
            self._before_busy = self.title.text()
        self.title.setText(BUSY if busy else self._before_busy)

    def mark_training(self, which: str) -> None:
        """Run ``which`` ("A", "B" or "A and B") is training: its figures are as they were when
        compared (comparing again takes ~0.6 s of CPU, in a worker: at every epoch it would slow
        the training)."""
        self.title.setText(f"{self._names()}    ({which} is training: compared again when it ends)")

    def mark_gone(self, which: str) -> None:
        """Run ``which`` ("A", "B" or "A and B") is no longer in the runs folder (moved to the trash,
        or deleted): its model is shown as it was when compared, and the header says so."""
        self.title.setText(f"{self._names()}    ({which}: no longer in the runs folder)")

    def _names(self) -> str:
        """The two runs by name alone: their status is in the captions under the digits (written
        here too, the header wrapped at 1440 px)."""
        a, b = self.models
        # never "B:" alone at a line's end, nor a name cut at a hyphen ("…-mnist-" / "topk"): it wraps between them
        a_name, b_name = (m.short_name.replace("-", "\u2011") for m in (a, b))
        return f"A:\u00a0{a_name}    B:\u00a0{b_name}"

    def pick_digits(self) -> None:
        test = self._test()
        if test is None:
            self.title.setText("Comparing needs the test set, which is not available yet.")
            return
        self.indices = self._rng.choice(len(test.images), size=min(N_DIGITS, len(test.images)), replace=False)
        self.render()

    def render(self) -> None:
        test = self._test()
        if self.models is None or test is None or not self.indices.size:
            return
        x = test.images[self.indices].reshape(len(self.indices), -1).astype(np.float32) / 255.0
        rows = [x]
        codes = [model.encode(x) for model in self.models]
        # one scale for both where neither is a sigmoid's 0-1 (A's 0-17 beside B's 0-27 gave one colour
        # two values, compared side by side); a sigmoid's beside a ReLU's range keeps its own
        unbounded = all(model.config.latent != "sigmoid" for model in self.models)
        shared = max(max(float(z.max()) for z in codes), 1e-6) if unbounded else None
        for i, (model, z) in enumerate(zip(self.models, codes)):
            recon = model.decode(z)
            rows.append(recon)
            mse = float(np.square(recon - x).mean())
            l0 = float(active(z, model.config.active_threshold).sum(axis=1).mean())
            whole = (f"; whole test set {model.evaluation.test_mse:.4f}, L0 {model.evaluation.l0:.2f}"
                     if model.evaluation is not None else "")
            self.summaries[i].setText(f"<b>{'AB'[i]}</b>: {model.name}<br>MSE on these digits {mse:.4f}, "
                                      f"L0 {l0:.2f}{whole}")
            top = 1.0 if model.config.latent == "sigmoid" else shared or max(float(z.max()), 1e-6)
            columns = shown_latents(active(z, model.config.active_threshold))
            self.codes[i].setImage(z[:, columns])
            self.bars[i].setLevels((0.0, top))  # (the bar sets the image's levels)
            bottom = self.plots[1 + i].getAxis("bottom")
            bottom.setTicks([column_ticks(columns), []])
            if len(columns) < z.shape[1]:
                bottom.setLabel(f"latent (the {len(columns)} of {z.shape[1]} active on these digits)")
            else:
                bottom.setLabel("latent")
            # a row per digit shown above, named by its label (the rows are these digits, not the classes 0-9)
            self._row_labels[i] = [str(int(test.labels[j])) for j in self.indices]
            self._label_rows(i)
        self._tables = (self.indices.copy(), [int(test.labels[j]) for j in self.indices], codes)
        tiles = np.concatenate([r.reshape(-1, 28, 28) for r in rows])
        self.strip_image.setImage(mosaic(tiles, pad=2, fill=0.6, columns=len(self.indices)), levels=(0.0, 1.0))
