"""Which model Probe and Atlas show while a run trains: the policy, in one place.

A run is shown from its first completed epoch on (an untrained network's noise is never
put in front of an audience), and only while Train ▸ Follow training is checked (remembered
across launches). Turning it on shows the run's newest model at once. Choosing another model
while a run trains (Runs ▸ Show, File ▸ Open, Show bundled model) turns it off for this session:
the choice was replaced at the run's next epoch, with the status bar still naming it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSignalBlocker, QTimer, Signal
from PySide6.QtGui import QAction

from sae_desktop.events import RunEnd
from sae_desktop.qt.settings import app_settings
from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.run_state import RunState
from sae_desktop.snapshot import ModelSnapshot

SETTING = "training/follow"


class FollowTraining(QObject):
    stopped = Signal(str)  # following was turned off by a choice of model: what to tell the user

    def __init__(self, run: RunState, shown: ShownModel, parent: QObject):
        super().__init__(parent)
        self.run, self.shown = run, shown
        self.action = QAction("&Follow training in Probe and Atlas", parent)
        self.action.setCheckable(True)
        self.action.setChecked(str(app_settings().value(SETTING, "true")).lower() == "true")
        self.action.setStatusTip("Show each completed epoch of the running model in Probe and Atlas")
        self.action.setToolTip(self.action.statusTip())
        self.action.toggled.connect(self._toggled)
        run.model_ready.connect(self._on_model)
        shown.changed.connect(self._on_shown)

    @property
    def following(self) -> bool:
        return self.action.isChecked()

    def _toggled(self, on: bool) -> None:
        app_settings().setValue(SETTING, "true" if on else "false")
        if on and self.run.model is not None and self.shown.snapshot is not self.run.model:
            self.shown.set(self.run.model)

    def _on_shown(self, snap: ModelSnapshot | None) -> None:
        """Another model chosen while a run trains: following stops (not remembered: the next
        launch follows again), and the user is told how to turn it back on."""
        if snap is None or snap is self.run.model or not self.run.active or not self.following:
            return
        with QSignalBlocker(self.action):  # (unchecked without saving the setting)
            self.action.setChecked(False)
        # (the way back first: at 1180 px "…(Train ▸ Follow training shows the r…" was cut)
        self.stopped.emit(f"Follow training is off (Train ▸ Follow training: back to the run): {snap.short_name} "
                          "stays shown as the run trains")

    def _on_model(self, snap: ModelSnapshot) -> None:
        """An epoch's model is shown a turn of the event loop after the epoch's other news (its
        plots, the progress), so the window does not do both in one go while training runs (up to
        ~90 ms with the Atlas shown); the run's final model at once, with the story of its end."""
        if self.run.end is not None:
            self._show(snap)
        else:
            QTimer.singleShot(0, self, lambda: self._show(snap))

    def _show(self, snap: ModelSnapshot) -> None:
        if self.following and self.run.model is snap and self.shown.snapshot is not snap:
            self.shown.set(snap)

    def end_note(self, end: RunEnd) -> str:
        """What the end of a run means for the shown model, when it is not the run's."""
        start = self.run.start
        if start is not None and end.epochs_done <= start.start_epoch:
            # short, the model unnamed (the label beside names it): at 1024 px the message was cut at its name
            return "No epoch completed: Probe and Atlas unchanged."
        if not self.following:
            return "Train ▸ Follow training shows its model in Probe and Atlas."
        return ""
