"""The dock on the left: the training settings, the run buttons and the run's progress.

The settings scroll when the screen is short (a 1280×720 or 1024×768 projector); the run
buttons and the progress below them stay in view.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractButton, QDockWidget, QFrame, QMainWindow, QScrollArea, QStyle, QVBoxLayout,
                               QWidget)

from sae_desktop.qt import theme
from sae_desktop.qt.run_progress import RunProgress
from sae_desktop.qt.training_panel import TrainingPanel
from sae_desktop.run_state import RunState


def title_icon(shape: str, ink: QColor, ratio: float = 1.0, side: int = 10) -> QIcon:
    """A dock title button's icon, ``shape`` "close" (a cross) or "float" (two windows), in ``ink``."""
    pixmap = QPixmap(round(side * ratio), round(side * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(ink, 1.3))
    if shape == "close":
        painter.drawLine(QPointF(1.5, 1.5), QPointF(side - 1.5, side - 1.5))
        painter.drawLine(QPointF(side - 1.5, 1.5), QPointF(1.5, side - 1.5))
    else:
        back = side - 0.5  # the window behind: its edges the front one leaves in view
        painter.drawPolyline([QPointF(3.5, 3.5), QPointF(3.5, 0.5), QPointF(back, 0.5), QPointF(back, side - 3.5),
                              QPointF(side - 3.5, side - 3.5)])
        painter.drawRect(QRectF(0.5, 3.5, side - 4.0, side - 4.0))
    painter.end()
    return QIcon(pixmap)


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
        theme.follow(self._on_theme)

    def _on_theme(self, t: theme.Theme) -> None:
        QTimer.singleShot(0, self, self.tint_title_buttons)  # (after Qt's own update of the buttons, if any)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.PaletteChange):  # (Qt sets its icons again)
            QTimer.singleShot(0, self, self.tint_title_buttons)

    def tint_title_buttons(self) -> None:
        """The title bar's float and close buttons drawn in the palette's text colour: Fusion's are dark
        grey whatever the palette, unseen on the dark theme's title bar."""
        ink = self.palette().color(QPalette.ColorRole.WindowText)
        for name, shape in (("qt_dockwidget_floatbutton", "float"), ("qt_dockwidget_closebutton", "close")):
            button = self.findChild(QAbstractButton, name)
            if button is not None:
                button.setIcon(title_icon(shape, ink, button.devicePixelRatioF()))

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
