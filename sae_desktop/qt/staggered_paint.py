"""Painting a tab's plots over several frames instead of one.

A pyqtgraph plot whose data or range changed since it was last painted rebuilds its axes and
curves when painted: 5-17 ms each here, idle. A tab shown during training painted all of its
plots in one frame while the training thread competed for the interpreter: the Training tab's
four stalled the window 55-60 ms (``benchmarks/tab_switch.py``). Held plots paint one per turn
of the event loop instead, after the tab's first frame, so input and timers run in between.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from sae_desktop.qt.plot_style import settle


class StaggeredPaint(QObject):
    """After :meth:`hold`, ``plots`` show their background only until the frame before has been
    painted, then paint one per event-loop turn, in order (a plot's ``refresh()``, if it has one,
    runs just before)."""

    def __init__(self, plots: list, parent: QObject):
        super().__init__(parent)
        self.plots = plots
        self.viewports = [plot.viewport() for plot in plots]
        self.held: list[QWidget] = []
        self._scheduled = False
        for viewport in self.viewports:
            viewport.installEventFilter(self)
        parent.installEventFilter(self)

    def hold(self) -> None:
        self.held = list(self.viewports)

    def _release_next(self) -> None:
        self._scheduled = False
        if self.held:
            viewport = self.held.pop(0)
            plot = self.plots[self.viewports.index(viewport)]
            refresh = getattr(plot, "refresh", None)
            if refresh is not None:
                refresh()
            settle(plot)
            viewport.update()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() != QEvent.Type.Paint or not self.held:
            return False
        if obj in self.held:
            brush = obj.parent().backgroundBrush()
            painter = QPainter(obj)
            try:
                painter.fillRect(obj.rect(), brush)
            finally:
                painter.end()
            held = True
        else:
            held = False
        if not self._scheduled:  # something was painted this frame: the next plot in the next turn
            self._scheduled = True
            QTimer.singleShot(0, self._release_next)
        return held
