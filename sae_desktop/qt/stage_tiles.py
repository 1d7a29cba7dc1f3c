"""The Probe's "What the model sees": each stage of the MNIST preprocessing, a picture each."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from sae_desktop.preprocess import Preprocessed
from sae_desktop.qt.image_tile import ImageTile

CAPTIONS = ("paper removed", "ink box", "stroke width", "20 px box", "centred 28×28")


class StageTiles(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tiles = [ImageTile(caption, 48, parent=self) for caption in CAPTIONS]
        for tile in self.tiles:
            tile.hide()  # emptied by place_in, it still goes with the view (and its theme callback)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(2)  # the tiles have margins of their own; five fit a 1024-px projector
        heading = QLabel("What the model sees (MNIST preprocessing):")
        heading.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
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

    def show_stages(self, stages: Preprocessed, model_input: np.ndarray | None) -> None:
        for tile, image in zip(self.tiles, (stages.levelled, stages.crop, stages.reshaped, stages.scaled,
                                            model_input)):
            tile.set_grey(image)
