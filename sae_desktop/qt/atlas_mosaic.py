"""The Atlas's mosaic: every latent's tile in one image, framed where a latent is dead (grey),
over-active (orange) or selected (the theme's ink), each numbered where tiles are large enough.

All tiles are one image (cheap at 512 latents too). The keyboard reaches it (Tab or a click),
and a focused mosaic says so with a frame in the theme's highlight; the Atlas moves the
selection (atlas.grid_step).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from sae_desktop.atlas import frame_segments, tile_at
from sae_desktop.colour import diverging_rgb
from sae_desktop.qt import theme
from sae_desktop.qt.plot_style import COLORS
from sae_desktop.qt.tile_numbers import TileNumbers

TILE, PAD = 28, 2


class MosaicPlot(pg.PlotWidget):
    def __init__(self):
        super().__init__()
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setAspectLocked(True)
        self.invertY(True)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStyleSheet("QGraphicsView { border: 2px solid transparent; }"
                           " QGraphicsView:focus { border: 2px solid palette(highlight); }")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.frames = {key: pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(color, width=width))
                       for key, color, width in (("dead", COLORS["dead"], 2), ("over", COLORS["clamped"], 2),
                                                 ("selected", "#000000", 3))}
        for item in self.frames.values():
            self.addItem(item)
        self.numbers = TileNumbers(TILE, PAD)  # each tile's latent, where tiles are large enough to read it
        self.addItem(self.numbers)
        self.order, self.columns = np.arange(0), 1  # the latents in the mosaic's order, and its columns

    def set_theme(self, t: theme.Theme) -> None:
        self.frames["selected"].setPen(pg.mkPen(t.ink, width=3))  # the chosen tile's frame
        paper = pg.mkColor(t.plot_background)
        paper.setAlpha(190)
        self.numbers.set_colours(pg.mkColor(t.ink), paper)
        self.setBackground(t.plot_background)  # (it has no axes for style_plot)

    def show_tiles(self, image: np.ndarray, order: np.ndarray, columns: int, framed: dict[str, list[int]],
                   selected: int | None) -> None:
        """``image`` (atlas.mosaic's, ``columns`` wide, tiles in ``order``) in the theme's colour map,
        the ``framed`` grid positions by kind, the ``selected`` latent's frame."""
        self.order, self.columns = order, columns
        self.image.setImage(diverging_rgb(image, dark=theme.current().dark), autoLevels=False)
        for key, positions in framed.items():
            self.frames[key].setData(*frame_segments(positions, columns, TILE, PAD))
        self.numbers.set_tiles(order, columns)
        self.frame_selected(selected)
        self.autoRange(padding=0.01)

    def clear_tiles(self) -> None:
        """No tiles, frames or numbers (no model: nothing of the last one stays)."""
        self.order = np.arange(0)
        self.image.clear()
        for frame in self.frames.values():
            frame.setData([], [])
        self.numbers.set_tiles(self.order, 1)

    def position_of(self, latent: int | None) -> int | None:
        """The grid position of ``latent``'s tile, None for none."""
        held = np.flatnonzero(self.order == latent) if latent is not None else []
        return int(held[0]) if len(held) else None

    def frame_selected(self, latent: int | None) -> None:
        position = self.position_of(latent)
        self.frames["selected"].setData(*frame_segments([] if position is None else [position],
                                                        self.columns, TILE, PAD))

    def latent_at_scene(self, scene_pos) -> int | None:
        """The latent whose tile is under ``scene_pos``, None between tiles or outside them."""
        point = self.image.mapFromScene(scene_pos)
        position = tile_at((point.x(), point.y()), len(self.order), TILE, PAD, self.columns)
        return None if position is None else int(self.order[position])
