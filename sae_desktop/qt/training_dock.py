"""The dock on the left: the training settings, the run buttons and the run's progress.

The settings scroll when the screen is short (a 1280×720 or 1024×768 projector); the run
buttons and the progress below them stay in view.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QVBoxLayout, QWidget

from sae_desktop.qt.run_progress import RunProgress
from sae_desktop.qt.training_panel import TrainingPanel


class TrainingDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self.setObjectName("training_dock")  # saveState/restoreState find it by name
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                         QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.panel, self.progress = TrainingPanel(), RunProgress()
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(280)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.panel.run_bar)
        layout.addWidget(self.progress)
        self.setWidget(content)
