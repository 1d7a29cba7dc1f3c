"""The Probe's "What the model sees": each stage of the MNIST preprocessing, a picture each."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from sae_desktop.preprocess import Preprocessed
from sae_desktop.qt.image_tile import ImageTile
from sae_desktop.qt.labels import WrappedLabel

CAPTIONS = ("paper removed", "ink box", "stroke width", "20 px box", "centred 28×28")
HEADING = "What the model sees (MNIST preprocessing):"
# A test digit is probed as the data set stores it: its stages are MNIST's own, not shown (preprocessed
# again, the stroke-width and box tiles showed a bold digit thinned, which the model never saw)
AS_STORED = "What the model sees: a test digit, as MNIST preprocessed and stored it"


MARGIN = 1 / 12  # of a cropped stage's longer side, paper around it in its tile


def with_margin(image: np.ndarray | None) -> np.ndarray | None:
    """A stage cut to its ink's box, with paper around it: its ink touches every edge, and white ink at
    the tile's edge ran into the page (a drawn box's "ink box" read as a plain black square)."""
    if image is None:
        return None
    pad = max(1, round(MARGIN * max(image.shape)))
    return np.pad(image, pad)


class StageTiles(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tiles = [ImageTile(caption, 48, parent=self) for caption in CAPTIONS]
        for tile in self.tiles:
            tile.hide()  # emptied by place_in, it still goes with the view (and its theme callback)
            for part in (tile.pixels, tile.caption):  # hidden for a test digit, their room kept: the pictures
                policy = part.sizePolicy()  # below had jumped up and grown on R, and back on drawing
                policy.setRetainSizeWhenHidden(True)
                part.setSizePolicy(policy)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(2)  # the tiles have margins of their own; five fit a 1024-px projector
        self.heading = WrappedLabel(2)  # two lines for either heading: the tiles below never move
        self.heading.fit_text(HEADING)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(self.grid)
        self.columns = 3
        self.set_columns(3)  # two rows: one row of five is too wide for a 1024-px window with the panel

    def set_columns(self, columns: int) -> None:
        """The stages in rows of ``columns`` (presentation mode: one row, so the code below gets
        the height)."""
        for i, tile in enumerate(self.tiles):  # a row of pictures, then a row of their captions
            tile.place_in(self.grid, 2 * (i // columns), i % columns)
        self.columns = columns
        self.equalise()

    def equalise(self) -> None:
        """Tiles of one size, whatever their captions' widths (in the current font)."""
        width = max(tile.minimum_width() for tile in self.tiles)
        for column in range(len(self.tiles)):
            used = column < self.columns
            self.grid.setColumnMinimumWidth(column, width if used else 0)
            self.grid.setColumnStretch(column, 1 if used else 0)

    def show_stages(self, stages: Preprocessed, model_input: np.ndarray | None, as_stored: bool = False) -> None:
        """Each stage of ``stages``, and the ``model_input``; ``as_stored``: a test digit, probed as
        stored (only the model input shown, the heading says why)."""
        images = ((None,) * 4 if as_stored else (stages.levelled, *map(with_margin, (stages.crop, stages.reshaped,
                                                                                     stages.scaled))))
        for tile, image in zip(self.tiles, (*images, model_input)):
            tile.set_grey(image)
        for tile in self.tiles[:-1]:  # (four empty squares captioned with stages it never went through)
            tile.pixels.setVisible(not as_stored)
            tile.caption.setVisible(not as_stored)
        self.heading.fit_text(AS_STORED if as_stored else HEADING)
