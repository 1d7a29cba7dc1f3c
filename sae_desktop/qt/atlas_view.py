"""The "Atlas" tab: one tile per latent, the feature density histogram, a latent's dashboard.

The mosaic (atlas_mosaic.py) frames dead, over-active and the selected latent; arrows, Home
and End move the selection. Work is deferred while the tab is hidden, so training epochs only
mark it stale.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QSplitter, QVBoxLayout,
                               QWidget)

from sae_desktop.atlas import (DEAD_FADE, decoder_tiles, encoder_tiles, grid_shape, grid_step, mosaic, normalise_tiles,
                               over_active)
from sae_desktop.qt import theme
from sae_desktop.qt.atlas_mosaic import PAD, MosaicPlot
from sae_desktop.qt.atlas_words import KIND_TIPS, KINDS, SORTS, legend_texts, status_line, summary, tile_tip
from sae_desktop.qt.density_plot import DensityPlot
from sae_desktop.qt.hidden_layout import lay_out_hidden
from sae_desktop.qt.latent_dashboard import LatentDashboard
from sae_desktop.qt.labels import SteadyLabel
from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.qt.staggered_paint import StaggeredPaint
from sae_desktop.qt.test_set import TestSetProvider
from sae_desktop.snapshot import ModelSnapshot

KEY_MOVES = {Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right", Qt.Key.Key_Up: "up", Qt.Key.Key_Down: "down",
             Qt.Key.Key_Home: "home", Qt.Key.Key_End: "end"}  # the mosaic's keys (atlas.grid_step)


class AtlasView(QWidget):
    def __init__(self, shown: ShownModel, test_set: TestSetProvider, parent: QWidget | None = None):
        super().__init__(parent)
        self.shown, self.test_set = shown, test_set
        self.kind, self.sort = QComboBox(), QComboBox()
        self.kind.addItems(KINDS)
        for i, tip in enumerate(KIND_TIPS):  # (how each tile is made: the encoder's is an approximation)
            self.kind.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.sort.addItems(SORTS)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # a run's name is not markup
        self.summary = ""  # the status line in plain words, of the tiles alone: what an exported atlas says
        self.legend = legend = SteadyLabel()  # (its text: _legend)
        self.plot = MosaicPlot()
        self.plot.installEventFilter(self)  # the keyboard picks tiles too (arrows, Home, End; see eventFilter)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # (showing the tab: see focusInEvent)
        self.density_plot = DensityPlot()
        theme.follow(self._on_theme)
        self.dashboard = LatentDashboard()
        controls = QHBoxLayout()
        for combo in (self.kind, self.sort):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # every choice whole
            controls.addWidget(combo)
        controls.addStretch(1)
        for label in (legend, self.status):
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(controls)
        left_layout.addWidget(legend)
        left_layout.addWidget(self.status)
        # the tiles take 2/3 of the height the two share: on a projector (1280×720, large fonts) a
        # density plot at its full 220 px left the tiles ~45 px each
        left_layout.addWidget(self.plot, 2)
        left_layout.addWidget(self.density_plot, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        # Scrolls rather than setting the window's minimum height (~670 px): the app must fit a
        # 1280×720 or 1024×768 projector
        self.dashboard_scroll = dashboard_scroll = QScrollArea()
        dashboard_scroll.setWidget(self.dashboard)
        self.dashboard.installEventFilter(self)  # (its column's width: see eventFilter)
        dashboard_scroll.setWidgetResizable(True)
        dashboard_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # the tab's background, as on the left (setWidget turned the dashboard's fill on)
        dashboard_scroll.viewport().setAutoFillBackground(False)
        self.dashboard.setAutoFillBackground(False)
        # sideways too where the window is narrower than the dashboard's content (at 1024×768 its right
        # side was cut, with no scroll bar: "Latent 71 · many classe", the class chart's last bars)
        dashboard_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.fit_dashboard_width()  # never cut off
        splitter.addWidget(dashboard_scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        QVBoxLayout(self).addWidget(splitter)
        self.model: ModelSnapshot | None = None
        self.tiles: dict[str, np.ndarray] = {}
        self.selected: int | None = None
        self.mosaic_image: np.ndarray | None = None
        self.framed: dict[str, list[int]] = {"dead": [], "over": []}  # grid positions framed, by kind
        self._stale = True
        self.kind.currentIndexChanged.connect(lambda _: (self._legend(), self.render()))
        self._legend()
        self.sort.currentIndexChanged.connect(lambda _: self.render())
        self.plot.getViewBox().sigResized.connect(self._area_resized)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.plot.scene().sigMouseMoved.connect(self._hovered)
        shown.changed.connect(self._model_changed)
        shown.evaluated.connect(self._model_changed)
        self.staggered = StaggeredPaint([self.density_plot, self.dashboard.classes, self.dashboard.histogram], self)
        test_set.ready.connect(lambda _: self._model_changed(self.shown.snapshot))
        test_set.unavailable.connect(lambda _: self._model_changed(self.shown.snapshot))  # say why

    # -- updating ---------------------------------------------------------------------------
    def _legend(self) -> None:
        self.legend.show_one(legend_texts(theme.current().dark), self.kind.currentIndex())  # (as tall in
        # either: the tiles keep their grid)

    def _on_theme(self, t: theme.Theme) -> None:
        if hasattr(self, "legend"):
            self._legend()
        self.plot.set_theme(t)
        if getattr(self, "tiles", None):  # (set up after this first call)
            self.render()  # the tiles in the theme's colour map

    def _model_changed(self, snap: ModelSnapshot | None) -> None:
        self._stale = True
        if self.isVisible():  # (each epoch during training): the mosaic first, the other plots in later turns
            self.refresh()
            self.staggered.hold()

    def focusInEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Showing the tab (Ctrl+3) gives the mosaic the keyboard: the arrows did nothing until it
        was clicked, and Tab went through the training panel first."""
        super().focusInEvent(event)
        self.plot.setFocus(event.reason())

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """A visit paints the mosaic first, then the density and the dashboard's plots one per
        event-loop turn (staggered_paint.py)."""
        super().showEvent(event)
        if self._stale:
            self.refresh()
        self.staggered.hold()

    @property
    def stale(self) -> bool:
        """Whether it shows another model than the shown one (redrawn at the next visit)."""
        return self._stale

    def up_to_date(self) -> AtlasView:
        """Itself, redrawn for the shown model if that changed while the tab was hidden (an export
        from another tab drew the model shown when the Atlas was last visited), and laid out as
        the tab will show it (hidden_layout.py)."""
        lay_out_hidden(self)  # (its plot's new size lays the tiles out again: _area_resized)
        if self._stale:
            self.refresh()
        return self

    def refresh(self) -> None:
        """Recompute the tiles for the shown model, then render."""
        self._stale = False
        previous, self.model = self.model, self.shown.snapshot
        snap = self.model
        if previous is None or snap is None or previous.short_name != snap.short_name:  # another run's, not
            self.dashboard_scroll.verticalScrollBar().setValue(0)  # its next epoch: from the dashboard's title
        if snap is None:  # nothing left of the model before (its tiles, frames and numbers stayed)
            self.tiles, self.mosaic_image, self.framed = {}, None, {"dead": [], "over": []}
            self.plot.clear_tiles()
            self.density_plot.curve.clear()
            self.selected = None  # (and no latent's dashboard)
            self._show_dashboard()
            self.summary = "No model."
            self.status.setText(self.summary)
            return
        if self.selected is not None and self.selected >= snap.config.d_latent:
            self.selected = None
        self.tiles = {"decoder": normalise_tiles(decoder_tiles(snap, snap.evaluation)),
                      "encoder": normalise_tiles(encoder_tiles(snap))}
        self.render()

    def render(self) -> None:
        snap = self.model
        if snap is None or not self.tiles:
            return
        ev, n = snap.evaluation, snap.config.d_latent
        by_density = self.sort.currentIndex() == 1 and ev is not None
        order = np.argsort(-ev.density, kind="stable") if by_density else np.arange(n)
        self.framed = {"dead": [], "over": []}
        if ev is not None:
            position = {int(latent): p for p, latent in enumerate(order)}
            self.framed = {"dead": [position[j] for j in np.flatnonzero(ev.dead)],
                           "over": [position[j] for j in np.flatnonzero(over_active(ev))]}
            dead = self.density_plot.show_density(ev.density, len(ev.latents))
            self.summary = summary(snap.name, n, ev)
            self.status.setText(status_line(self.summary, dead))
        else:
            why = self.test_set.problem.get(snap.dataset)
            self.density_plot.show_missing("not found" if why else "loading…")
            self.summary = summary(snap.name, n, None, why)
            self.status.setText(self.summary)
        self.lay_out(order)
        self._show_dashboard()

    @property
    def order(self) -> np.ndarray:
        """The latents in the mosaic's order."""
        return self.plot.order

    @property
    def columns(self) -> int:
        """The mosaic's columns (grid_shape's, for the plot's shape)."""
        return self.plot.columns

    def _best_columns(self, tiles: int | None = None) -> int:
        """The columns that give the largest tiles (all the mosaic's, or ``tiles``) in the plot's area."""
        area = self.plot.getViewBox().size()
        aspect = area.width() / area.height() if area.height() > 0 else 1.0
        return grid_shape(len(self.order) if tiles is None else tiles, aspect)[1]

    def _area_resized(self, *_) -> None:
        if self.mosaic_image is not None and self._best_columns() != self.columns:
            self.lay_out()  # another shape: another grid

    def lay_out(self, order: np.ndarray | None = None) -> None:
        """The tiles (in ``order``, or as they were) in the grid that fits the plot's area best, and their frames."""
        if self.model is None or not self.tiles:
            return
        order = self.order if order is None else order
        columns = self._best_columns(len(order))
        tiles = self.tiles["decoder" if self.kind.currentIndex() == 0 else "encoder"]
        ev = self.model.evaluation
        if ev is not None and ev.dead.any():  # faded: at full strength 22 dead latents' noise looked as alive
            tiles = tiles.copy()  # as the 10 live ones from the back of a lecture hall, a thin grey frame apart
            tiles[np.asarray(ev.dead, bool)] *= DEAD_FADE
        self.mosaic_image = mosaic(tiles, order, PAD, columns=columns)
        self.plot.show_tiles(self.mosaic_image, order, columns, self.framed, self.selected)

    def _show_dashboard(self) -> None:
        j, snap = self.selected, self.model
        ev = snap.evaluation if snap else None
        self.density_plot.mark(float(ev.density[j]) if j is not None and ev is not None else None)
        test = self.test_set.get(snap.dataset) if snap else None
        self.dashboard.show_latent(j, snap, test, self.tiles["decoder"][j] if j is not None else None,
                                   self.tiles["encoder"][j] if j is not None else None)
        self.fit_dashboard_width()

    def fit_dashboard_width(self, again: bool = False) -> None:
        """The dashboard's column at least as wide as its content needs now (its captions' widths
        follow the latent's values): the mosaic gives way, the dashboard never scrolls sideways
        for lack of a few px. It only grows (no jitter from latent to latent), except ``again``,
        once the layouts have settled in a new text size (presentation mode's width, kept, held
        the normal window 30 px wider than a 1024-px screen)."""
        scroll = self.dashboard_scroll
        needed = self.dashboard.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        if needed > scroll.minimumWidth() or again:
            scroll.setMinimumWidth(needed)

    # -- mouse ------------------------------------------------------------------------------
    def latent_at_scene(self, scene_pos) -> int | None:
        return None if self.model is None else self.plot.latent_at_scene(scene_pos)

    def select(self, latent: int | None) -> None:
        self.selected = latent
        if self.model is not None:
            self.plot.frame_selected(latent)
            self._show_dashboard()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        """Arrows move the selection from tile to tile as the mosaic lays them out, Home and End go
        to its first and last (the atlas could be used only with the mouse). The dashboard's new
        content is laid out: its column fitted to it once it is (fitted before, at once, the
        column kept the last latent's width, and a fourth column of top digits was cut)."""
        if watched is self.dashboard and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self, self.fit_dashboard_width)
            return False
        if watched is not self.plot or event.type() != QEvent.Type.KeyPress or self.model is None:
            return super().eventFilter(watched, event)
        move = KEY_MOVES.get(event.key())
        if move is None:
            return super().eventFilter(watched, event)
        self.select(int(self.order[grid_step(self.plot.position_of(self.selected), move, len(self.order),
                                             self.columns)]))
        return True

    def _clicked(self, event) -> None:
        latent = self.latent_at_scene(event.scenePos())
        if latent is not None:
            self.select(latent)

    def _hovered(self, scene_pos) -> None:
        latent = self.latent_at_scene(scene_pos)
        self.plot.setToolTip("" if latent is None else tile_tip(latent, self.model.evaluation))
