"""The main window: training dock, tabs (training, probe, atlas, runs), menus, status bar.
Its tabs are made in ``window_tabs.py``, its training commands live in ``window_training.py``.

Data flows one way: the training controller's signals feed the views and the shown model;
the shown model feeds the probe and the atlas. Closing mid-run stops the worker first.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QByteArray, QEvent, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStyle, QWidget

from sae_desktop import APP_NAME
from sae_desktop.checkpoint import CheckpointError
from sae_desktop.qt import dialogs
from sae_desktop.qt.deferred import DeferredTabs
from sae_desktop.qt.drawing_tools import WIDTH_SETTING
from sae_desktop.qt.exporting import ExportMenu
from sae_desktop.qt.file_drops import FileDrops
from sae_desktop.qt.follow_training import FollowTraining
from sae_desktop.qt.help_menu import HelpMenu
from sae_desktop.qt.labels import ElidedLabel, ElidingStatusBar
from sae_desktop.qt.probe_menu import ProbeMenu
from sae_desktop.qt.model_files import ModelFiles
from sae_desktop.qt.model_stats import ModelStats
from sae_desktop.qt.probe_view import ProbeView
from sae_desktop.qt.run_progress import RunBrief
from sae_desktop.qt.settings import app_settings
from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.qt.test_set import TestSetProvider
from sae_desktop.qt.torch_loader import TorchLoader
from sae_desktop.qt.training_controller import TrainingController
from sae_desktop.qt.training_dock import TrainingDock
from sae_desktop.qt.view_options import ViewOptions
from sae_desktop.qt.window_tabs import WindowTabs
from sae_desktop.qt.window_training import TrainingCommands
from sae_desktop.run_state import RunState
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

TITLE = APP_NAME
DEFAULT_SIZE = QSize(1440, 900)
STATUS_END_PX = 8  # the status bar's gap at its right end


def default_geometry(screen: QRect, minimum: QSize | None = None) -> QRect:
    """1440×900, or less to fit a small screen (a 1280×720 projector) but not below the
    window's ``minimum``, centred on the screen (its top-left corner on it, whatever the size)."""
    size = QSize(min(DEFAULT_SIZE.width(), screen.width() * 95 // 100),
                 min(DEFAULT_SIZE.height(), screen.height() * 90 // 100))  # room for the title bar
    geometry = QRect(QPoint(0, 0), size.expandedTo(minimum or QSize(0, 0)))
    geometry.moveCenter(screen.center())
    geometry.moveTopLeft(QPoint(max(geometry.left(), screen.left()), max(geometry.top(), screen.top())))
    return geometry


class MainWindow(WindowTabs, TrainingCommands, FileDrops, QMainWindow):
    def __init__(self, initial_model: ModelSnapshot | None = None, parent: QWidget | None = None,
                 staged: bool = False):
        """``staged``: the app's start (``app.run_app``), which calls :meth:`finish_startup` after
        the first paint: the probe's bars and the test digits come then (else at once)."""
        super().__init__(parent)
        self.ask_before_closing = True  # "Stop the run and close?" (not when a terminal's Ctrl+C closes it)
        self.setWindowTitle(TITLE)
        self.resize(DEFAULT_SIZE)
        self.setAcceptDrops(True)  # an image file dropped on it is probed, a model opened (file_drops.py)
        self.run = RunState()  # the run the views mirror; the controller writes it
        self.controller = TrainingController(self.run, self)
        self.torch = TorchLoader(self)  # the app starts it after the first paint; Start waits for it
        self._start_queued = False
        self._start_confirmed = False  # a queued Start whose dataset check was already answered
        self._panel_lent = False  # a sweep shows each of its runs' settings in the panel: the user's come back after
        self.shown = ShownModel(initial_model, self)
        self.notices: list[str] = []  # what the user was told, newest last (tests read it)

        self.dock = TrainingDock(self.run, self)
        self.panel, self.progress = self.dock.panel, self.dock.progress
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)

        self.tabs = DeferredTabs()  # the hidden tabs are built after the first paint, or when first shown
        self.setCentralWidget(self.tabs)
        self.test_set = TestSetProvider(self, held=staged)  # staged: read from finish_startup()
        self.model_stats = ModelStats(self.shown, self.test_set, self)
        self.probe_view = ProbeView(self.shown, self.test_set)
        self.probe_view.browser.said.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self._bar_line = ""  # withdrawn once the input or its clamps change (after Clear, "Latent 3: clamped to
        # 1.00 (the encoder's 0.04)" stayed its 5 s beside "Nothing drawn")
        self.probe_view.bar_said.connect(lambda text: (setattr(self, "_bar_line", text),
                                                       self.statusBar().showMessage(text, 5000)))
        self.probe_view.state.result_changed.connect(lambda _: self.statusBar().currentMessage() == self._bar_line
                                                     and self.statusBar().clearMessage())
        if not staged:
            self.probe_view.complete()

        self.setStatusBar(ElidingStatusBar())
        # a gap at the right end: full screen (no size grip) "Device: cpu (2 threads)" touched the screen's edge
        self.statusBar().setContentsMargins(0, 0, STATUS_END_PX, 0)
        # no wider than their texts (the device's is blank until a run starts): the messages get the rest
        self.model_label, self.device_label = ElidedLabel(420, shrink=True), ElidedLabel(230, shrink=True)
        for label in (self.model_label, self.device_label):
            label.setContentsMargins(4, 0, 4, 0)  # apart from each other and the messages
            self.statusBar().addPermanentWidget(label)
        self.run_brief = RunBrief(self.run, self.dock, self.device_label)  # the run's progress while the panel
        self.statusBar().addPermanentWidget(self.run_brief)  # is hidden, in the device's place
        self.dock.visibilityChanged.connect(self.run_brief.render)
        self.model_files = ModelFiles(self, self.shown, self.notify,
                                      lambda text: self.statusBar().showMessage(text, 5000))
        self.follow = FollowTraining(self.run, self.shown, self)
        # (after the message of the action that chose the model)
        self.follow.stopped.connect(lambda text: QTimer.singleShot(0, self, lambda: self.statusBar().showMessage(
            text, 15000)))
        self._build_actions()
        self._connect()
        self._restore_settings()
        self.view.restore()
        self._on_model_changed(self.shown.snapshot)
        self._on_panel_changed()

    # -- building ----------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)  # from anywhere in the window
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                          if shortcut else tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        files = self.model_files
        self.open_action = a("&Open model…", files.choose_and_open, QKeySequence.StandardKey.Open,
                             "Load a checkpoint to probe, inspect or continue training")
        self.save_action = a("&Save model", files.save, QKeySequence.StandardKey.Save, "Save the shown model")
        self.save_as_action = a("Save model &as…", files.save_as, QKeySequence.StandardKey.SaveAs,
                                "Save the shown model to a new file")
        self.quit_action = a("&Quit", self.close, QKeySequence.StandardKey.Quit, "Close the window")
        self.start_action = a("&Start training", self.start_training, "Ctrl+Return", "Train with these settings")
        self.pause_action = a("&Pause", self.controller.toggle_pause, "Ctrl+P", "Pause or resume training")
        self.stop_action = a("S&top", self.controller.stop, "Ctrl+.", "Stop training and keep the weights")
        icon = self.style().standardIcon
        self._icons = {"start": icon(QStyle.StandardPixmap.SP_MediaPlay),
                       "pause": icon(QStyle.StandardPixmap.SP_MediaPause)}
        self.start_action.setIcon(self._icons["start"])
        self.pause_action.setIcon(self._icons["pause"])
        self.stop_action.setIcon(icon(QStyle.StandardPixmap.SP_MediaStop))
        self.sweep_action = a("S&weep…", self.start_sweep, "Ctrl+Shift+Return",
                              "Train one run per value of a setting, one after another (e.g. k = 2, 4, 8, 16)")
        self.continue_action = a("&Continue training shown model", self.continue_shown_model, None,
                                 "Resume training from the shown checkpoint (its optimizer state included)")
        self.fresh_action = a("&New run instead", self.leave_resume_mode, None,
                              "Leave continue-training mode: Start trains a new model with the settings shown")
        self.bundled_action = a("Show &bundled model", self.show_bundled_model, None,
                                "Show the pretrained MNIST model that comes with the app in Probe and Atlas")
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for action in (self.open_action, self.bundled_action, self.save_action, self.save_as_action):
            file_menu.addAction(action)
        self.export_menu = file_menu.addMenu("&Export")
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        train_menu = menus.addMenu("&Train")
        for action in (self.start_action, self.pause_action, self.stop_action):
            train_menu.addAction(action)
        train_menu.addSeparator()
        train_menu.addAction(self.sweep_action)
        train_menu.addAction(self.continue_action)
        train_menu.addAction(self.fresh_action)
        train_menu.addSeparator()
        train_menu.addAction(self.follow.action)
        self.probe_menu = ProbeMenu(self, menus.addMenu("&Probe"))
        self.view_menu = menus.addMenu("&View")
        self.view_menu.addAction(self.dock.toggleViewAction())
        self.view = ViewOptions(self, self.view_menu)
        self.view_menu.addSeparator()
        self.help = HelpMenu(self, menus.addMenu("&Help"))
        self.shortcuts_action, self.launcher_action = self.help.shortcuts_action, self.help.launcher_action
        self.add_tab(self._make_training_view, "Training", "Ctrl+1")
        self.add_tab(self.probe_view, "Probe", "Ctrl+2")
        self.add_tab(self._make_atlas_view, "Atlas", "Ctrl+3")
        self.add_tab(self._make_runs_view, "Runs", "Ctrl+4")
        self.exports = ExportMenu(self, self.export_menu)
        self.panel.add_run_buttons(self.start_action, self.pause_action, self.stop_action)
        self.panel.fresh_button.setDefaultAction(self.fresh_action)

    def _connect(self) -> None:
        run, c = self.run, self.controller
        run.started.connect(self._on_run_started)
        run.ended.connect(self._on_run_ended)
        run.status_changed.connect(self._on_state)
        run.status_changed.connect(self._say_status)
        run.resume_changed.connect(self._on_resume_changed)
        c.runFailed.connect(self._on_run_failed)
        c.sweepRunStarted.connect(self.progress.on_sweep_run)
        # the locked panel describes the run in training: a sweep's point, not the settings it started from
        c.sweepRunStarted.connect(lambda started: self.panel.set_config(started.config))
        c.sweepEnded.connect(self.progress.on_sweep_ended)
        c.sweepEnded.connect(self._on_sweep_ended)
        self.tabs.currentChanged.connect(self._focus_tab)
        self.tabs.tabBarClicked.connect(self._focus_tab)  # (the shown tab's too: see show_tab)
        self.panel.doneEditing.connect(lambda: self.tabs.currentWidget().setFocus(Qt.FocusReason.OtherFocusReason))
        self.panel.configChanged.connect(self._on_panel_changed)
        self.panel.data_folder.changed.connect(self.test_set.reload)  # the probe's and atlas's test digits
        self.shown.changed.connect(self._on_model_changed)
        self.shown.evaluated.connect(self._on_model_changed)  # (saved as another file: its name)
        self.torch.ready.connect(self.panel.set_available_devices)
        self.torch.stateChanged.connect(self._on_torch_state)
        if self.torch.devices is not None:
            self.panel.set_available_devices(self.torch.devices)

    # -- training ----------------------------------------------------------------------
    # -- models ------------------------------------------------------------------------
    def _on_model_changed(self, snap: ModelSnapshot | None) -> None:
        # narrower: the status's details in brackets go first, then "Model:" (the status stays: the Probe
        # leaves it to this label; without "Model:" it read as a message), then the status
        if snap is not None:
            brief = snap.name.rsplit(" (", 1)[0] if snap.name.endswith(")") else snap.name
            forms = dict.fromkeys([f"Model: {snap.name}", f"Model: {brief}", brief, f"Model: {snap.short_name}"])
        self.model_label.setText(*(forms if snap is not None else ["No model"]))
        has = snap is not None
        self.save_action.setEnabled(has)
        self.save_as_action.setEnabled(has)
        bundled = has and snap.path is not None and snap.path.resolve() == bundled_model_path().resolve()
        self.bundled_action.setEnabled(not bundled)  # (shown already: it did nothing)
        self._update_continue_action()

    def show_bundled_model(self) -> None:
        try:
            self.shown.set(ModelSnapshot.load(bundled_model_path()))
        except CheckpointError as exc:
            self.notify("Could not open the bundled model", str(exc), error=True)

    def show_model(self, snap: ModelSnapshot) -> None:
        """Show a model in the probe and atlas (from the runs table), and go to the probe."""
        self.shown.set(snap)
        self.tabs.setCurrentWidget(self.probe_view)
        self.statusBar().showMessage(f"Showing {snap.name}", 5000)

    # -- feedback, settings, closing ---------------------------------------------------
    def notify(self, title: str, text: str, error: bool = False, offer: tuple[str, object] | None = None) -> None:
        """Tell the user without blocking (the window keeps running, tests keep going).
        ``offer`` = (button text, callable): a way out, e.g. "Use the CPU"."""
        self.notices.append(f"{title}: {text}")
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}", 10000)
        icon = QMessageBox.Icon.Warning if error else QMessageBox.Icon.Information
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if offer is not None:
            button = box.addButton(offer[0], QMessageBox.ButtonRole.AcceptRole)
            button.clicked.connect(offer[1])
        self.notice_box = box
        box.open()

    def confirm_stop_and_close(self) -> bool:
        return dialogs.ask_stop_and_close(self, self.controller.stateChanged)

    def _restore_settings(self) -> None:
        settings = app_settings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):  # Qt keeps it on screen
            screen = self.screen()
            if screen is not None:
                self.setGeometry(default_geometry(screen.availableGeometry(), self.minimumSizeHint()))
        if isinstance(state, QByteArray):
            self.restoreState(state)
        # First launch: the probe, so the bundled model can be tried at once; then the last tab.
        tab = str(settings.value("window/tab", "Probe" if self.shown.snapshot is not None else "Training"))
        titles = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        self.tabs.setCurrentIndex(titles.index(tab) if tab in titles else 0)
        self._restore_panel()

    def event(self, event) -> bool:
        """Moved to a screen of another scale (a laptop's 2× to a projector's 1×): the plots' lines
        drawn for it (they kept the first screen's, twice as thick or half)."""
        if event.type() == QEvent.Type.DevicePixelRatioChange and "sae_desktop.qt.plot_style" in sys.modules:
            QTimer.singleShot(0, self, sys.modules["sae_desktop.qt.plot_style"].rescale_plots)
        return super().event(event)

    def closeEvent(self, event) -> None:
        if (self.controller.state in ("running", "pausing", "paused") and self.ask_before_closing
                and not self.confirm_stop_and_close()):
            event.ignore()
            return
        if self.controller.active:  # also a run that is just ending: let its thread finish
            self.controller.shutdown(timeout_ms=2000)
        settings = app_settings()
        geometry = self.view.geometry_to_save()
        self.view.set_presentation(False, remember=False)  # keep the normal window's panel
        settings.setValue("window/geometry", geometry)
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/tab", self.tabs.tabText(self.tabs.currentIndex()))
        settings.setValue(WIDTH_SETTING, self.probe_view.tools.width_slider.value())
        self._save_panel()
        settings.sync()
        event.accept()
