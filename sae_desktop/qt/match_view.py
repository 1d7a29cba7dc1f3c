"""Matched latents of two models, side by side: each pair's decoder tiles (A above B), its
cosine similarity under it, best pairs first, and the mean matched similarity."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from sae_desktop.atlas import DEAD_FADE, decoder_tiles, grid_shape, mosaic, normalise_tiles
from sae_desktop.colour import diverging_rgb
from sae_desktop.qt import theme
from sae_desktop.qt.picture_plot import PicturePlot
from sae_desktop.snapshot import ModelSnapshot
from sae_desktop.words import counted

COLUMNS = 32  # pairs per band (a row of A's tiles above a row of B's) before the view has a size
TILE, PAD = 28, 2
STRONG = 0.7  # a pair this similar (as its caption shows it, two decimals) counts as the same feature
LABELLED = 64  # similarities are written under the pairs up to this many (more would be unreadable)


def pair_mosaic(tiles_a: np.ndarray, tiles_b: np.ndarray, columns: int = COLUMNS) -> np.ndarray:
    """Bands of ``columns`` pairs: A's tiles in one row, their partners below, then a blank row
    (for the similarities); NaN gaps."""
    n = len(tiles_a)
    blank = np.full((1, TILE, TILE), np.nan, np.float32)
    stack = np.concatenate([tiles_a, tiles_b, blank]).astype(np.float32)
    order: list[int] = []
    for start in range(0, n, columns):
        count = min(columns, n - start)
        filler = [2 * n] * (columns - count)
        order += list(range(start, start + count)) + filler + list(range(n + start, n + start + count)) + filler
        order += [2 * n] * columns
    return mosaic(stack, np.array(order), PAD, columns=min(columns, max(n, 1)))


def best_columns(n: int, width: float, height: float) -> int:
    """Pairs per band that draw the tiles largest in a ``width`` × ``height`` view (32 pairs in
    one band drew 18-px tiles over a mostly empty panel; atlas.grid_shape, a pair being three
    tiles high); the fewer bands of equal size."""
    if n < 1 or width <= 0 or height <= 0:
        return max(1, min(n, COLUMNS))
    best = grid_shape(n, 3 * width / height)[1]
    return -(-n // -(-n // best))  # as many bands, of equal length (not 15, 15 and 2)


def unpaired(a: ModelSnapshot, b: ModelSnapshot, pairs: int) -> str:
    """What a matching of two dictionaries of different sizes leaves out: " (B's other 992 latents
    unpaired)" ("" for equal sizes)."""
    left = [(name, s.config.d_latent - pairs) for name, s in (("A", a), ("B", b)) if s.config.d_latent > pairs]
    return "".join(f" ({name}'s other {counted(n, 'latent')} unpaired)" for name, n in left)


class MatchView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.plot = PicturePlot()  # the wheel scrolls the panel, not zooms the tiles out of sight
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.hideAxis("bottom")
        self.plot.hideAxis("left")
        self.plot.setMinimumHeight(110)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.labels: list[pg.TextItem] = []
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.matching = None
        self.dead: tuple[np.ndarray, np.ndarray] = (np.zeros(0, bool), np.zeros(0, bool))  # per pair, A's and B's
        self.columns = COLUMNS
        self.tiles: tuple[np.ndarray, np.ndarray] | None = None  # A's and B's, best pairs first
        self.mosaic_image: np.ndarray | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        theme.follow(self._on_theme)
        self.plot.getViewBox().sigTransformChanged.connect(self._fit_labels)  # resized or zoomed

    def _fit_labels(self, *_) -> None:
        """The similarities are written only where a tile is wider on screen than "0.00": narrower,
        they ran together ("1.000.990.99…"); the tooltip still gives each pair's."""
        if not self.labels:
            return
        pixel = self.plot.getViewBox().viewPixelSize()[0]  # data units per screen pixel
        wide = pixel > 0 and (TILE + PAD) / pixel >= self.fontMetrics().horizontalAdvance("0.00") + 4
        for label in self.labels:
            label.setVisible(wide)

    def _on_theme(self, t: theme.Theme) -> None:
        """The mosaic's background, its tiles' colour map and the similarities' text follow the theme."""
        self.plot.setBackground(t.plot_background)
        for label in self.labels:
            label.setColor(t.ink)
        if self.mosaic_image is not None:
            self.image.setImage(diverging_rgb(self.mosaic_image, dark=t.dark), autoLevels=False)

    def set_models(self, a: ModelSnapshot, b: ModelSnapshot, test_images: np.ndarray | None = None) -> None:
        """Match and show; ``test_images`` (uint8) give ReLU latents their typical "on" value
        for the tiles, as in the atlas (a model loaded from a file has no test statistics)."""
        from sae_desktop.matching import match_models  # scipy: loaded when first needed, not at start-up

        if test_images is not None:
            a, b = (m if m.evaluation is not None else m.with_evaluation(m.evaluate(test_images)) for m in (a, b))
        m = self.matching = match_models(a, b)
        self.tiles = (normalise_tiles(decoder_tiles(a, a.evaluation))[m.a],
                      normalise_tiles(decoder_tiles(b, b.evaluation))[m.b])
        # counted as the captions show them (a pair captioned "0.70" beside "0 pairs at 0.7 or more")
        strong = int((np.round(m.similarity, 2) >= STRONG).sum())
        # dead latents never show in a reconstruction: their pairs pulled the mean down unsaid (0.250 over 32
        # pairs, 24 of A's and 23 of B's latents dead, read as "the models learned different features")
        self.dead = tuple(np.zeros(len(ix), bool) if s.evaluation is None else np.asarray(s.evaluation.dead, bool)[ix]
                          for s, ix in ((a, m.a), (b, m.b)))
        live = ~(self.dead[0] | self.dead[1])
        for tiles, dead in zip(self.tiles, self.dead):  # faded, as in the Atlas (at full strength a dead latent's
            tiles[dead] *= DEAD_FADE  # noise read as a feature, its pair as a poor match of two features)
        # "in the pairs": of a 1024-latent B only 32 are paired with a 32-latent A ("B 2" read as B's dead
        # count, beside the table's 22)
        dead = (f" Dead latents in the pairs: A {int(self.dead[0].sum())}, B {int(self.dead[1].sum())}; "
                f"the {int(live.sum())} live pairs: mean "
                f"<b>{float(m.similarity[live].mean()) if live.any() else float('nan'):.3f}</b>."
                if not live.all() else "")
        self.summary.setText(
            f"<b>Matched latents</b> (decoder tiles, cosine similarity, Hungarian matching): mean "
            f"<b>{m.mean:.3f}</b> over {len(m.similarity)} pairs{unpaired(a, b, len(m.similarity))}, against a "
            f"median of {m.chance:.2f} for any latent of A with any of B; {counted(strong, 'pair')} at "
            f"{STRONG:.2f} or more.{dead} "
            f"Each column: A's latent above B's, best pairs first (hover a pair for its latents).")
        self._lay_out(self._columns_for_view())

    def _columns_for_view(self) -> int:
        view = self.plot.viewport()  # (no axes: the mosaic has all of it)
        return best_columns(len(self.matching.similarity), view.width(), view.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._fit_columns)  # once the plot has its new size

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        QTimer.singleShot(0, self, self._fit_columns)

    def _fit_columns(self) -> None:
        """Resized: bands of as many pairs as draw the tiles largest now, the mosaic filling the view
        (a comparison made while the tab was hidden kept its first, tiny range)."""
        if self.matching is None:
            return
        if (columns := self._columns_for_view()) != self.columns:
            self._lay_out(columns)
        else:
            self.plot.autoRange(padding=0.02)

    def _lay_out(self, columns: int) -> None:
        m = self.matching
        self.columns = columns
        self.mosaic_image = pair_mosaic(*self.tiles, columns)
        self.image.setImage(diverging_rgb(self.mosaic_image, dark=theme.current().dark), autoLevels=False)
        for item in self.labels:
            self.plot.removeItem(item)
        self.labels = []
        if len(m.similarity) <= LABELLED:
            for position, sim in enumerate(m.similarity):
                band, column = divmod(position, columns)
                text = pg.TextItem(f"{sim:.2f}", color=theme.current().ink, anchor=(0.5, 0.0))
                text.setPos(PAD + column * (TILE + PAD) + TILE / 2, (3 * band + 2) * (TILE + PAD))
                self.plot.addItem(text)
                self.labels.append(text)
        self.plot.autoRange(padding=0.02)
        self._fit_labels()

    def pair_at(self, x: float, y: float) -> tuple[int, int, float] | None:
        """(latent of A, latent of B, similarity) of the pair under a point of the mosaic."""
        if self.matching is None:
            return None
        column, row = int((x - PAD) // (TILE + PAD)), int((y - PAD) // (TILE + PAD))
        position = (row // 3) * self.columns + column
        if not 0 <= column < self.columns or row % 3 == 2 or x < PAD or y < PAD or position >= len(self.matching.a):
            return None
        m = self.matching
        return int(m.a[position]), int(m.b[position]), float(m.similarity[position])

    def _hover(self, scene_pos) -> None:
        point = self.image.mapFromScene(scene_pos)
        pair = self.pair_at(point.x(), point.y())
        self.plot.setToolTip("" if pair is None else self.pair_text(*pair))

    def pair_text(self, a: int, b: int, similarity: float) -> str:
        """A pair, each latent marked "(dead)" where it never fired on the test set."""
        position = int(np.flatnonzero((self.matching.a == a) & (self.matching.b == b))[0])
        marks = [" (dead)" if dead[position] else "" for dead in self.dead]
        return f"A latent {a}{marks[0]} ↔ B latent {b}{marks[1]}: cosine similarity {similarity:.3f}"
