"""The dock on the left: the training settings, the run buttons and the run's progress.

The settings scroll when the screen is short (a 1280×720 or 1024×768 projector); the run
buttons and the progress below them stay in view.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QStyle, QVBoxLayout, QWidget

from sae_desktop.qt import theme
from sae_desktop.qt.run_progress import RunProgress
from sae_desktop.qt.training_panel import TrainingPanel
from sae_desktop.run_state import RunState


class TrainingDock(QDockWidget):
    def __init__(self, run: RunState, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self.setObjectName("training_dock")  # saveState/restoreState find it by name
        # Closable: View ▸ Training panel hides and shows it (Qt greys that action out otherwise)
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                         QDockWidget.DockWidgetFeature.DockWidgetFloatable |
                         QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.toggleViewAction().setText("Training pa&nel")  # (P: Presentation)
        self.toggleViewAction().setStatusTip("Show or hide the training settings and progress")
        self.panel, self.progress = TrainingPanel(), RunProgress(run)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a Tab stop that showed nothing (its fields scroll it into view)
        scroll.setMinimumWidth(280)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.panel.run_bar)
        layout.addWidget(self.progress)
        self.setWidget(content)
        self.visibilityChanged.connect(lambda shown: QTimer.singleShot(0, self, self.fit_width) if shown else None)

    def content_width(self) -> int:
        """The width its contents ask for, in the text size they have now (the scroll area asks
        for its least width only)."""
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)  # (the settings scroll)
        frame = self.width() - self.widget().width()  # (the dock's own margins)
        return max(self.panel.sizeHint().width() + scroll_bar, self.widget().sizeHint().width()) + frame

    def fit_width(self) -> None:
        """Shown narrower than its contents ask (presentation mode's larger text, in the width of the
        normal one: "Quality p", "…03021…ist-kl", "95,278 images/" and the run bar's "epoch 10 of 10 –
        100%" wrapped inside it): as wide as they ask, up to half the window."""
        window = self.parentWidget()
        if theme.scale() <= 1.0 or not isinstance(window, QMainWindow) or self.isFloating() or not self.isVisible():
            return  # (the normal text's width is the user's: at 1024×768 a panel widened to its wish cut the tabs)
        wanted = min(self.content_width(), window.width() // 2)
        if self.width() < wanted:
            window.resizeDocks([self], [wanted], Qt.Orientation.Horizontal)
