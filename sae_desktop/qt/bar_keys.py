"""The latent bars from the keyboard: Tab (or a click) gives them the keys, a dashed frame marks
the bar they act on (from Tab or the first key on: a click alone frames none, as a focus ring shows
for the keyboard only; after a double-click's release the frame round a grey bar read as a clamp's),
and the keys steer it as the mouse does (latent_bars.py).

← → Home End choose a bar (in the order shown), ↑ ↓ raise and lower its clamp by a twentieth of the
axis, 0 ablates it, Esc releases it. The bar is named in the status bar after each key.
The other keys (R, B, E, Delete …) stay the Probe's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt

from sae_desktop.qt import theme

if TYPE_CHECKING:
    from sae_desktop.qt.latent_bars import LatentBars

MOVES = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: +1}
NUDGES = {Qt.Key.Key_Up: +1, Qt.Key.Key_Down: -1}
KEYS = {*MOVES, *NUDGES, Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_0, Qt.Key.Key_Escape}
STEPS = 20  # a nudge: this share of the activation axis
PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)


class BarKeys(QObject):
    def __init__(self, bars: LatentBars):
        super().__init__(bars)
        self.bars, self.position = bars, 0  # the bar acted on: its place in the order shown
        self.keyboard = False  # the keys are in use (tabbed to, or a key pressed): the frame shows
        bars.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.frame = pg.BarGraphItem(x=[0], height=[1], width=0.96, brush=None)
        self.frame.setZValue(10)
        self.frame.hide()
        bars.addItem(self.frame)
        bars.installEventFilter(self)

    def follow(self, latent: int) -> None:
        """The mouse steered ``latent``: the keys go on from its bar."""
        where = np.flatnonzero(self.bars.order == latent)
        if where.size:
            self.position = int(where[0])
            self.place()

    def place(self, focused: bool | None = None) -> None:
        """The frame around the bar acted on, the axis's height, while the bars have the keys
        (``focused``: as a focus event says; while one is delivered, ``hasFocus`` may still say
        the focus it ends, and the frame stayed after the keys had gone)."""
        bars = self.bars
        count = self._count()
        self.position = min(self.position, max(count - 1, 0))
        shown = (bars.hasFocus() if focused is None else focused) and count > 0 and self.keyboard
        self.frame.setVisible(shown)
        if shown:
            pen = pg.mkPen(theme.current().ink, width=1.5, style=Qt.PenStyle.DashLine, cosmetic=True)
            self.frame.setOpts(x=[self.position], height=[bars.top], width=0.96, pen=pen, brush=None)

    def _count(self) -> int:
        bars = self.bars
        return 0 if bars.latents is None else min(bars.shown_count or bars.order.size, bars.order.size)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        kind = event.type()
        if kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.keyboard = kind == QEvent.Type.FocusIn and event.reason() in (
                Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason)
            self.place(kind == QEvent.Type.FocusIn)
        elif kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and event.key() in KEYS \
                and event.modifiers() in PLAIN and self._count():
            event.accept()  # (the override: these keys are the bars' while they have focus, not a shortcut's)
            if kind == QEvent.Type.KeyPress:
                self.press(event.key())
            return True
        return False

    def press(self, key: Qt.Key) -> None:
        bars, count = self.bars, self._count()
        self.keyboard = True
        if key in MOVES:
            self.position = int(np.clip(self.position + MOVES[key], 0, count - 1))
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_End):
            self.position = 0 if key == Qt.Key.Key_Home else count - 1
        latent = int(bars.order[self.position])
        if key in NUDGES:  # (a clamp or a release names its bar in the status bar itself)
            bars.set_clamp(latent, bars.value_of(latent) + NUDGES[key] * bars.top / STEPS)
        elif key == Qt.Key.Key_0:
            bars.set_clamp(latent, 0.0)
        elif key == Qt.Key.Key_Escape and bars.is_clamped(latent):
            bars.release(latent)
        else:  # moved: named in the status bar (a tooltip beside the bar covered the axis's labels)
            bars.described.emit(bars.describe(latent))
        self.place()
