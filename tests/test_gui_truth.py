"""What the window shows is true: change the state (or do what a user does), assert the view.

Each test is one defect a new user met (issue 14): stale probe labels, the canvas hint,
shortcuts after editing a field, the shown model during training, progress fields, the
story told on Stop, the training panel's View toggle, continuing a run.
"""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QKeySequence, QRegion
from PySide6.QtWidgets import QApplication, QStatusBar

from sae_desktop.config import TrainConfig
from sae_desktop.qt.app import build_window
from sae_desktop.snapshot import ModelSnapshot
from tests.test_gui_probe import canvas_point, drag, draw_seven

BUNDLED = "bundled MNIST model"
SMALL = TrainConfig(epochs=1, batch_size=64, d_hidden=32, d_latent=8, device="cpu")


@pytest.fixture
def probe(qtbot, gui_window):
    gui_window.tabs.setCurrentWidget(gui_window.probe_view)
    qtbot.waitExposed(gui_window)
    view = gui_window.probe_view
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    return view


def key(qtbot, keys, modifier=Qt.KeyboardModifier.NoModifier):
    """A key press where a user's would go: to the widget with the keyboard focus."""
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, keys, modifier)


# -- 1. the canvas hint ------------------------------------------------------------------------
class PaintRegions(QObject):
    def __init__(self):
        super().__init__()
        self.regions: list[QRegion] = []

    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.regions.append(QRegion(event.region()))
        return False


def test_the_canvas_hint_goes_with_the_first_ink_wherever_the_stroke_began(qtbot, probe):
    canvas = probe.canvas
    canvas.resize(600, 400)  # wider than tall: margins beside the drawing square
    qtbot.wait(50)
    assert canvas._hint_shown
    spy = PaintRegions()
    canvas.installEventFilter(spy)
    square = canvas._square().toAlignedRect()
    start = QPoint(square.left() - 20, square.top() + 30)  # the stroke begins beside the square …
    drag(qtbot, canvas, [start, canvas_point(canvas, 0.1, 0.1), canvas_point(canvas, 0.3, 0.1)])  # … and enters it
    qtbot.wait(50)
    canvas.removeEventFilter(spy)
    assert not canvas.is_empty()
    hint = square.adjusted(square.width() // 4, square.height() // 3, -square.width() // 4, -square.height() // 3)
    inked = [r for r in spy.regions if r.contains(hint)]
    assert inked, "the hint's area was never repainted after the ink appeared"
    assert not canvas._hint_shown


# -- 2. probe labels that go stale --------------------------------------------------------------
def test_clear_leaves_no_stale_input_label(qtbot, probe):
    probe.browser.index.setValue(5)
    assert "test #5" in probe.source_label.text()
    probe.tools.clear_action.trigger()
    qtbot.waitUntil(lambda: probe.result is None, timeout=2000)
    assert "Nothing drawn yet" in probe.error_label.text()
    assert "test #" not in probe.source_label.text() and "nothing" in probe.source_label.text()


def test_undo_after_random_names_the_digit_shown_again(qtbot, probe, tiny_dataset):
    probe.browser.index.setValue(3)
    probe.browser.pick_random()
    while probe.browser.index.value() == 3:
        probe.browser.pick_random()
    probe.tools.undo_action.trigger()
    assert probe.browser.index.value() == 3 and "test #3," in probe.source_label.text()
    expected = tiny_dataset.test_images[3] / 255.0
    qtbot.waitUntil(lambda: np.allclose(probe.result.input, expected, atol=1e-6), timeout=2000)
    probe.tools.redo_action.trigger()
    assert probe.browser.index.value() != 3 and f"test #{probe.browser.index.value()}," in probe.source_label.text()


def test_drawing_over_a_test_digit_says_so(qtbot, probe):
    assert probe.browser.index.text() == "#–"  # nothing shown yet: "#0" would name a digit
    probe.browser.step(+1)  # ▶ starts at the first
    assert probe.state.source.index == 0 and probe.browser.index.text() == "#0"
    probe.browser.index.stepDown()  # and the box never names no digit again
    assert probe.browser.index.text() == "#0"
    probe.browser.index.setValue(17)
    draw_seven(qtbot, probe.canvas)
    qtbot.waitUntil(lambda: probe.state.source.kind == "drawing", timeout=2000)
    text = probe.source_label.text()
    assert text.startswith("Input: your drawing over test #17"), text
    assert probe.browser.index.text() == "last #17"  # the box no longer names the input
    probe.tools.undo_action.trigger()
    assert probe.source_label.text().startswith("Input: test #17,") and probe.browser.index.text() == "#17"


def test_the_label_filter_agrees_with_the_digit_shown(qtbot, probe, tiny_dataset):
    labels = tiny_dataset.test_labels
    browser = probe.browser
    seven = int(labels[0])
    browser.label.setCurrentIndex(1 + seven)  # choosing a label shows a digit with it at once
    assert probe.state.source.kind == "test" and int(labels[probe.state.source.index]) == seven
    other = int(np.flatnonzero(labels != seven)[0])
    browser.index.setValue(other)  # typed by index: a digit the filter excludes
    assert probe.state.source.index == other
    assert browser.label.currentIndex() == 0  # "any label", not a filter that contradicts the digit
    browser.label.setCurrentIndex(1 + int(labels[other]))  # its own label: nothing to change
    assert probe.state.source.index == other


# -- 3. shortcuts of the visible tab ---------------------------------------------------------------
def test_probe_shortcuts_work_after_editing_a_training_field(qtbot, gui_window):
    window = gui_window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.tabs.setCurrentWidget(window.training_view)
    lr = window.panel.inputs["lr"]
    lr.setFocus()
    lr.selectAll()
    qtbot.keyClicks(lr, "0.002")
    key(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # to the probe, from the field
    view = window.probe_view
    assert window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    key(qtbot, Qt.Key.Key_R)
    assert view.state.source.kind == "test" and lr.text() == "0.002"  # R was the probe's, not typing
    window.panel.inputs["penalty"].setFocus()  # a training widget that is not a text field
    key(qtbot, Qt.Key.Key_E)
    assert view.canvas.erasing
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert view.state.source.kind == "nothing"  # undo took the random digit back
    lr.setFocus()  # typing in a text field still types …
    width = view.tools.width_slider.value()
    qtbot.keyClick(lr, Qt.Key.Key_BracketRight)
    assert lr.text().endswith("]") and view.tools.width_slider.value() == width
    qtbot.keyClick(lr, Qt.Key.Key_Return)  # … until Enter hands the keyboard back to the tab
    key(qtbot, Qt.Key.Key_BracketRight)
    assert view.tools.width_slider.value() > width and lr.text().endswith("]")


def test_the_shown_tabs_shortcut_or_its_tab_gives_the_keyboard_back_to_it(qtbot, gui_window):
    """In a training field with the Probe already shown, Ctrl+2 (or a click on the Probe's tab)
    changed nothing, and R was typed into Learning rate ("0.001r", Start disabled)."""
    window = gui_window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    lr = window.panel.inputs["lr"]
    for give_back in (lambda: key(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier),
                      lambda: window.tabs.tabBar().tabBarClicked.emit(window.tabs.indexOf(view))):
        lr.setFocus()
        qtbot.waitUntil(lr.hasFocus, timeout=2000)
        before = lr.text()
        give_back()
        qtbot.waitUntil(lambda: not lr.hasFocus(), timeout=2000)
        key(qtbot, Qt.Key.Key_R)
        assert lr.text() == before and view.state.source.kind == "test"
        view.tools.clear_action.trigger()


def test_page_up_and_down_step_through_the_test_digits_as_a_presenters_remote_would(qtbot, gui_window, tiny_dataset):
    """Previous and Next test digit had no key: a lecture stepped through digits with the mouse."""
    window = gui_window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    key(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    view = window.probe_view
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    labels = tiny_dataset.test_labels
    seven = int(labels[0])
    view.browser.label.setCurrentIndex(1 + seven)  # (sevens only: the step skips the rest)
    sevens = np.flatnonzero(labels == seven)
    first = view.state.source.index
    assert first == sevens[0]
    view.canvas.setFocus()
    key(qtbot, Qt.Key.Key_PageDown)
    assert view.state.source.index == sevens[1]
    key(qtbot, Qt.Key.Key_PageUp)
    assert view.state.source.index == first
    menu = window.probe_menu
    assert menu.next_action.text().endswith("\t" + view.tools.next_action.shortcut().toString(
        QKeySequence.SequenceFormat.NativeText) + " in Probe") and "PgDown" in menu.next_action.text().replace(" ", "")
    window.tabs.setCurrentWidget(window.training_view)  # another tab's: not the probe's key
    key(qtbot, Qt.Key.Key_PageDown)
    assert view.state.source.index == first


# -- 7. View ▸ Training panel ---------------------------------------------------------------------
def test_view_menu_hides_and_shows_the_training_panel(qtbot, gui_window):
    toggle = gui_window.dock.toggleViewAction()
    assert toggle in gui_window.view_menu.actions() and toggle.isEnabled() and toggle.isChecked()
    toggle.trigger()
    assert not gui_window.dock.isVisible()
    toggle.trigger()
    assert gui_window.dock.isVisible()


def test_every_view_menu_entry_has_its_own_underlined_letter(qtbot, gui_window):
    """"Show Training" … "Show Runs" had none, and "Training panel" and "Presentation" shared P."""
    texts = [a.text() if not a.menu() else a.menu().title() for a in gui_window.view_menu.actions()
             if not a.isSeparator()]
    letters = [t.lower()[t.index("&") + 1] for t in texts if "&" in t]
    assert len(letters) == len(texts) == len(set(letters)) >= 7, texts


# -- 4. the shown model during training -----------------------------------------------------------
def start_and_wait(qtbot, window, signal, timeout=20000):
    with qtbot.waitSignal(signal, timeout=timeout):
        window.start_action.trigger()


def stop(qtbot, window):
    window.stop_action.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=10000)


def test_a_hidden_penalty_setting_never_reaches_the_run(qtbot, gui_window):
    """"Resample dead" ticked under KL, then BatchTopK chosen (the box hidden): the run resampled, and its
    config.json said so while the Runs table and the model card did not."""
    window = gui_window
    window.panel.set_config(SMALL.replace(penalty="kl", resample=True, epochs=1))
    window.panel.inputs["penalty"].setCurrentText("batchtopk")  # as a user picks it: the box is hidden
    assert window.panel.config().resample  # (the form keeps it, for KL again)
    started = []
    window.controller.start = lambda cfg, *args, **kwargs: started.append(cfg)
    window.start_action.trigger()
    qtbot.waitUntil(lambda: bool(started), timeout=20000)  # (after PyTorch has loaded)
    assert started[0].penalty == "batchtopk" and not started[0].resample


def test_an_untrained_run_never_replaces_the_shown_model(qtbot, gui_window):
    window = gui_window
    window.panel.set_config(SMALL.replace(epochs=50, log_every=8, batch_size=1))  # 640 steps an epoch
    window.run.stepped.connect(lambda out: window.controller.pause())  # held at its first report, then stopped
    start_and_wait(qtbot, window, window.controller.stepReported)
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=10000)
    assert window.shown.snapshot.name == BUNDLED
    window.resize(1024, 740)
    stop(qtbot, window)
    assert window.run.end.epochs_done == 0
    assert window.shown.snapshot.name == BUNDLED and BUNDLED in window.probe_view.model_label.text()
    bar = window.statusBar()
    qtbot.wait(50)
    assert "No epoch completed" in bar.currentMessage()
    assert QStatusBar.currentMessage(bar) == bar.currentMessage()  # whole at 1024 px (it was cut at the model's name)


def test_a_status_message_too_long_for_its_room_ends_in_an_ellipsis_with_the_whole_in_its_tooltip(qtbot, gui_window):
    """Stopped in its first epoch at 1440 px, the message ended "…so Probe and Atlas still show
    20261203-230304-mnist-jumprelu, c": Qt clips the message where the permanent labels begin."""
    from PySide6.QtWidgets import QStatusBar

    gui_window.resize(1024, 740)
    qtbot.wait(20)
    bar = gui_window.statusBar()
    whole = ("Stopped at step 533 of epoch 1 (10 planned): test MSE 0.05789. No epoch completed, so Probe "
             "and Atlas still show 20261203-230304-mnist-jumprelu, the model they showed before it started.")
    bar.showMessage(whole, 5000)
    shown = QStatusBar.currentMessage(bar)  # what Qt draws
    room = gui_window.model_label.x()
    assert shown.endswith("…") and whole.startswith(shown[:-1]) and bar.fontMetrics().horizontalAdvance(shown) < room
    assert bar.currentMessage() == whole and bar.toolTip() == whole
    bar.showMessage("Saved", 5000)
    assert QStatusBar.currentMessage(bar) == "Saved" and bar.toolTip() == ""
    bar.clearMessage()
    assert bar.currentMessage() == ""


def test_follow_training_toggle_and_show_bundled_model(qtbot, gui_window):
    window = gui_window
    window.follow.action.setChecked(False)
    window.panel.set_config(SMALL.replace(epochs=2))
    with qtbot.waitSignal(window.controller.runEnded, timeout=30000):
        window.start_action.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)
    assert window.shown.snapshot.name == BUNDLED and window.run.model is not None  # not following
    assert not window.bundled_action.isEnabled()  # (shown already: the item did nothing)
    window.follow.action.setChecked(True)  # following shows the run's model at once
    assert window.shown.snapshot is window.run.model and "completed (2 epochs)" in window.shown.snapshot.name
    loaded = ModelSnapshot.load(window.run.run_dir / "checkpoint.safetensors")  # from the Runs tab, a file
    assert loaded.name == window.shown.snapshot.name  # one name for one model (it read "… (epoch 2)")
    assert window.bundled_action in window.menuBar().actions()[0].menu().actions()
    assert window.bundled_action.isEnabled()
    window.bundled_action.trigger()
    assert window.shown.snapshot.name == BUNDLED and not window.bundled_action.isEnabled()


def test_a_model_chosen_while_a_run_trains_stays_shown(qtbot, gui_window):
    """Following training, a model shown from the Runs tab (or the bundled one) was replaced at the
    run's next epoch, while the status bar still said "Showing …" the chosen one."""
    from sae_desktop.qt.follow_training import SETTING
    from sae_desktop.qt.settings import app_settings

    window = gui_window
    window.follow.action.setChecked(True)
    window.panel.set_config(SMALL.replace(epochs=50, log_every=8, batch_size=1))  # 640 steps an epoch
    start_and_wait(qtbot, window, window.controller.epochFinished, timeout=60000)
    qtbot.waitUntil(lambda: window.shown.snapshot is window.run.model, timeout=5000)  # following
    window.bundled_action.trigger()  # chosen while it trains
    assert window.shown.snapshot.name == BUNDLED and not window.follow.following
    qtbot.waitUntil(lambda: "Follow training is off" in window.statusBar().currentMessage(), timeout=2000)
    assert window.statusBar().currentMessage().index("Train ▸ Follow training") < 40  # the way back first (cut)
    epoch = window.run.last_epoch.epoch
    qtbot.waitUntil(lambda: window.run.last_epoch.epoch > epoch, timeout=60000)  # another epoch
    qtbot.wait(50)  # (its model would be shown a turn later)
    assert window.shown.snapshot.name == BUNDLED
    assert str(app_settings().value(SETTING, "true")).lower() == "true"  # off for this session only
    window.follow.action.setChecked(True)  # back on: the run's newest model at once
    assert window.shown.snapshot is window.run.model
    stop(qtbot, window)


def test_the_shown_model_is_remembered_across_launches(qtbot, gui_window, tmp_path):
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.checkpoint import save_checkpoint

    cfg = ModelConfig(d_hidden=16, d_latent=12)
    untrained = ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), "m")
    save_checkpoint(untrained.to_checkpoint(), tmp_path / "m.safetensors")
    assert gui_window.model_files.open(tmp_path / "m.safetensors")
    gui_window.close()
    again = build_window()
    qtbot.addWidget(again)
    assert again.shown.snapshot.name == "m.safetensors" and again.shown.snapshot.config.d_latent == 12
    assert "gone" not in again.statusBar().currentMessage()
    again.close()
    (tmp_path / "m.safetensors").rename(tmp_path / "elsewhere.safetensors")  # tidied away in a file manager
    third = build_window()
    qtbot.addWidget(third)
    assert third.shown.snapshot.name == BUNDLED  # the bundled model instead, and the window says why
    said = third.statusBar().currentMessage()
    assert said.startswith("The model shown last time is gone") and str(tmp_path / "m.safetensors") in said


def test_the_shown_models_file_is_written_to_the_settings_once_not_at_every_epoch(monkeypatch, tmp_path):
    """A run shows a new model from the same checkpoint file at each epoch's end; each settings
    write re-reads and saves settings.ini in the window's thread."""
    from sae_desktop.qt import shown_model
    from sae_desktop.snapshot import bundled_model_path

    writes = []
    real = shown_model.app_settings
    monkeypatch.setattr(shown_model, "app_settings", lambda: writes.append(1) or real())
    shown = shown_model.ShownModel()
    epoch_1, epoch_2 = (ModelSnapshot.load(bundled_model_path()) for _ in range(2))
    shown.set(epoch_1)
    shown.set(epoch_2)  # the same file, a new model: shown, not written again
    assert shown.snapshot is epoch_2 and len(writes) == 1
    assert shown_model.remembered_model_path() == str(bundled_model_path())


def test_the_stored_verdict_statistics_survive_the_windows_evaluation(mnist):
    """The window evaluates a loaded model on the test set (for the atlas); that must not swap the
    statistics the verdict reads: the bundled model's nearest digits are the training set's."""
    from sae_desktop.qt import shown_model
    from sae_desktop.snapshot import bundled_model_path

    shown = shown_model.ShownModel()
    bundled = ModelSnapshot.load(bundled_model_path())
    stored = bundled.test_density
    shown.set(bundled)
    shown.add_evaluation(bundled, bundled.evaluate(mnist.test_images[:2000]))
    assert shown.snapshot.evaluation is not None  # the atlas's statistics are there…
    assert shown.snapshot.test_density is stored and stored.codes.shape[0] == 60000  # …the verdict's unchanged
    assert shown.snapshot.test_score_quantiles == bundled.test_score_quantiles


# -- 5 and 6. progress fields, and one story on Stop ---------------------------------------------------
def test_progress_fields_start_fresh_for_each_run(qtbot, gui_window):
    window, progress = gui_window, gui_window.progress
    window.panel.set_config(SMALL)
    with qtbot.waitSignal(window.controller.runEnded, timeout=30000):
        window.start_action.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)
    assert progress.eta.text() == "done" and progress.run_bar.value() == 1000
    # the run's own, not a last instant's (a run of one report a epoch: its images over its elapsed time)
    assert progress.speed.text().endswith(("images/s while training", "images/s on average"))
    first = progress.name.text()  # the run is named where its progress is (the Probe may show another model)
    assert first == window.run.run_dir.name and progress.name.toolTip() == str(window.run.run_dir)
    undated = "…" + first.split("-", 1)[1]  # narrower: its time and kind whole ("20261205-0138…ist-batchtopk")
    progress.name.resize(progress.name.fontMetrics().horizontalAdvance(undated) + 10, progress.name.height())
    assert progress.name.shown_text() == undated
    window.panel.set_config(SMALL.replace(epochs=50))
    window.start_action.trigger()
    window.pause_action.trigger()  # a new run, paused at once
    assert progress.eta.text() != "done" and "average" not in progress.speed.text()
    assert progress.run_bar.value() == 0 and progress.elapsed.text() in ("0:00", "–")
    qtbot.waitUntil(lambda: window.run.start is not None and window.controller.state == "paused", timeout=20000)
    progress.render()
    assert progress.eta.text() == "paused" and progress.run_bar.value() == 0
    assert progress.name.text() == window.run.run_dir.name != first
    window.pause_action.trigger()
    stop(qtbot, window)


def test_a_run_stopped_between_two_epochs_has_its_bars_at_the_last_one(qtbot, tiny_dataset):
    """Stopped at the end of epoch 7 of 8, the header said "after epoch 7" while the Run bar read
    "epoch 8 of 8 – 87%" and the Epoch bar 0%."""
    from sae_desktop.engine import train
    from sae_desktop.events import EpochOutput, IntervalOutput, RunEnd, RunStart, TrainingControl
    from sae_desktop.qt.run_progress import RunProgress
    from sae_desktop.run_state import RunState

    run, control = RunState(), TrainingControl()
    progress = RunProgress(run)
    qtbot.addWidget(progress)
    run.new_run()
    for event in train(SMALL.replace(epochs=3), tiny_dataset, control):
        if isinstance(event, RunStart):
            run.begin(event)
        elif isinstance(event, IntervalOutput):
            run.report_step(event)
        elif isinstance(event, EpochOutput):
            run.finish_epoch(event)
            control.stop()  # before epoch 2's first step: between two epochs
        elif isinstance(event, RunEnd):
            run.finish(event)
    assert run.end.status == "stopped" and run.end.epochs_done == 1 and run.end.position is None
    assert run.end_story().endswith("after epoch 1")
    progress.render()
    assert progress.run_bar.format().startswith("epoch 1 of 3")
    assert progress.epoch_bar.value() == progress.epoch_bar.maximum()


def test_a_stopped_run_tells_one_story_everywhere(qtbot, gui_window, monkeypatch):
    import superqt.utils

    from sae_desktop.events import IntervalOutput

    window = gui_window
    window.panel.set_config(SMALL.replace(epochs=50, log_every=8, batch_size=1))
    window.follow.action.setChecked(True)
    # paused as soon as epoch 2 reports (the loop honours it before its next step), then stopped: the
    # loop held in the worker's thread at that report (asked from the main thread only, a busy machine
    # let epoch 2's 640 steps end first), and the window asked as a user would
    real = superqt.utils.create_worker

    def holding_in_epoch_2(*args, **kwargs):
        worker = real(*args, **kwargs)
        control = window.controller._control
        if hasattr(worker, "yielded"):  # (the training's; not the workers loading torch or the data)
            worker.yielded.connect(lambda event: isinstance(event, IntervalOutput) and event.epoch == 2
                                   and control.pause(), Qt.ConnectionType.DirectConnection)
        return worker

    monkeypatch.setattr(superqt.utils, "create_worker", holding_in_epoch_2)
    window.run.stepped.connect(lambda out: out.epoch == 2 and window.controller.pause())
    start_and_wait(qtbot, window, window.controller.epochFinished, timeout=60000)
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=10000)
    # (epoch 1's model is shown a turn after its other news, follow_training.py: until then the
    # header rightly says whose run it is, "Run … · After epoch 1/50")
    qtbot.waitUntil(lambda: window.shown.snapshot is window.run.model, timeout=5000)
    # the header gives the finished epoch's figures while the bar counts the one under way
    assert window.training_view.summary.text().startswith("Paused · After epoch 1/50:  test MSE")
    assert window.progress.run_bar.format().startswith("epoch 2 of 50")
    # the training panel hidden (presentation mode hides it): the status bar carries the progress
    brief = window.run_brief
    assert not brief.isVisible()
    window.view.set_presentation(True, remember=False)
    qtbot.waitUntil(brief.isVisible, timeout=2000)
    brief.render()  # (the panel's figures: a report that was on its way when the pause came may have moved them)
    assert brief.format() == "epoch 2 of 50 · run %p% · paused"  # (the run's share, as its bar: not the epoch's)
    assert brief.value() == round(1000 * window.run.figures().run_fraction) > 1000 / 50
    assert not window.device_label.isVisible() and brief.width() >= window.device_label.width()  # in its place
    assert window.minimumSizeHint().width() <= 1280  # (wider, the status bar cut the window's right edge)
    with qtbot.waitSignal(window.controller.runEnded, timeout=10000):
        window.stop_action.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)
    assert not brief.isVisible() and window.device_label.isVisible()  # (the run is over: its story is told)
    window.view.set_presentation(False, remember=False)
    end = window.run.end
    story = window.run.end_story()
    assert end.epochs_done == 1 and 640 < end.step < 1280
    view = window.training_view
    assert story == f"Stopped at step {end.step}, during epoch {end.epochs_done + 1}"
    assert view.summary.text().startswith(story + ":  test MSE")
    # the plots end at the figures the header gives (they ended at epoch 1's: "dead 3" above a plot ending at 5)
    ev, position = end.evaluation, end.step / window.run.start.steps_per_epoch
    assert [list(a) for a in view.loss_plot.stop.getData()] == [[end.step], [ev.test_mse]]
    assert [list(a) for a in view.sparsity_plot.stop_l0.getData()] == [[position], [ev.l0]] and 1 < position < 2
    assert list(view.sparsity_plot.stop_dead.opts["height"]) == [ev.dead_latents]
    assert f"at step {end.step}, where the run was stopped inside epoch 2" in view.sparsity_plot.toolTip()
    header, rows = view.sparsity_plot.csv_table()
    assert header[-1] == "stopped at step" and rows[-1] == [round(position, 3), ev.l0, ev.dead_latents, end.step]
    assert rows[0][-1] == "" and len(rows) == 2  # (epoch 1's row, then the stop's)
    said = window.statusBar().currentMessage()  # the story once (it went on "…: stopped by request at step …")
    assert said.startswith(story + ".") and not said.endswith(" ") and said.count(f"step {end.step}") == 1
    window.continue_action.trigger()  # it goes on from the step it stopped at, not from epoch 1's end
    note = window.panel.resume_note.text()
    assert f"from step {end.step}, inside epoch {end.epochs_done + 1} (its steps so far are kept)" in note
    assert note.count(f"step {end.step}") == 1  # (its name said "stopped at step …" once more)
    continuing = window.start_action.toolTip()  # (not "Train with these settings": they are locked)
    assert continuing.startswith(f"Continue training {window.run.resume_from.short_name} for its “More epochs”")
    window.fresh_action.trigger()
    assert window.start_action.toolTip() == "Train with these settings (Ctrl+Return)"
    assert f"stopped at step {end.step}" in window.model_label.text()
    assert window.shown.snapshot.name.endswith(f"stopped at step {end.step} (during epoch {end.epochs_done + 1})")
    assert ModelSnapshot.load(window.run.run_dir / "checkpoint.safetensors").name == window.shown.snapshot.name
    assert view.rho_plot._note_text == f"test set, step {end.step}"
    assert view.histogram.getAxis("bottom").labelText == f"activation, step {end.step}"
    np.testing.assert_allclose(view.rho_plot.values, end.evaluation.rho_hat)


# -- 11. continuing a run ---------------------------------------------------------------------------
def test_continue_training_adds_epochs_can_be_left_and_shows_earlier_losses(qtbot, gui_window):
    window = gui_window
    window.panel.set_config(SMALL.replace(epochs=2, log_every=2))
    window.follow.action.setChecked(True)
    with qtbot.waitSignal(window.controller.runEnded, timeout=30000):
        window.start_action.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)
    first_steps = window.training_view.loss_plot.steps.view(0).copy()
    story = window.run.end_story()  # said once, not "Completed 2 epochs: trained 2 epochs"
    assert story.startswith("Completed") and window.statusBar().currentMessage() == story + "."  # (no ". " at its end)
    from sae_desktop.events import Revival
    from sae_desktop.runs import RunFolder

    RunFolder(window.run.run_dir).append(Revival(2, 0.25, 3, "auxk").to_json())  # as an AuxK run records one
    window.panel.set_config(SMALL.replace(epochs=7))  # what a user had typed for new runs
    window._save_panel()
    window.resize(1280, 720)
    from PySide6.QtWidgets import QScrollArea

    scroll = next(w for w in (window.panel.parentWidget(), window.panel.parentWidget().parentWidget())
                  if isinstance(w, QScrollArea))
    qtbot.wait(50)
    scroll.verticalScrollBar().setValue(0)
    window.continue_action.trigger()
    panel = window.panel
    epochs_label = panel._forms["epochs"].labelForField(panel.inputs["epochs"])
    assert epochs_label.text() == "More epochs" and panel.config().epochs == 2  # its own plan again, on top
    assert window.start_action.text() == "&Continue training"  # the button says what a Start does now
    note = panel.resume_note.text()
    assert note.startswith(f"Continuing “{window.run.run_dir.name}” after epoch 2: ") and "below" not in note
    assert "Continue training adds “More epochs”" in note  # the button's name ("Start trains…" named none)
    # in view at 1280×720 (it was below the fold, under the groups), and where the form was scrolled
    qtbot.waitUntil(lambda: not panel.resume_note.visibleRegion().isEmpty(), timeout=2000)
    window.fresh_action.trigger()
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    window.continue_action.trigger()
    qtbot.waitUntil(lambda: not panel.resume_note.visibleRegion().isEmpty(), timeout=2000)
    assert panel.resume_box.isVisibleTo(window) and window.fresh_action.isEnabled()
    assert not panel.inputs["d_latent"].isEnabled() and panel.inputs["epochs"].isEnabled()
    window.fresh_action.trigger()  # leave continue-training mode
    assert epochs_label.text() == "Epochs" and panel.inputs["d_latent"].isEnabled()
    assert not panel.resume_box.isVisibleTo(window) and panel.config().epochs == 7
    assert window.start_action.text() == "&Start training"
    window.continue_action.trigger()
    panel.inputs["epochs"].setValue(1)
    run_name = window.run.run_dir.name
    with qtbot.waitSignal(window.controller.runEnded, timeout=30000) as ended:
        with qtbot.waitSignal(window.run.cleared, timeout=5000):
            window.start_action.trigger()
        said = window.training_view.summary.text()  # (it said "Starting a new run…")
        assert said.startswith(f"Continuing {run_name}") and "new run" not in said, said
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)
    assert ended.args[0].epochs_done == 3
    # the end is told, and stays told: leaving continue-training mode at the end said "Training…" again
    assert window.statusBar().currentMessage() == window.run.end_story() + "."  # (no ". " at its end)
    window.training_view.refresh_all()
    steps = window.training_view.loss_plot.steps.view(0)
    np.testing.assert_array_equal(steps[:len(first_steps)], first_steps)  # the earlier epochs' losses are back
    assert steps.size > first_steps.size
    assert window.training_view.sparsity_plot.back_per_epoch == {1: 3}  # and their revivals


# -- the cause: no view sets the shown model again -----------------------------------------------------
def test_test_set_statistics_arrive_without_announcing_another_model(qtbot, gui_window, tmp_path):
    from sae_desktop.checkpoint import save_checkpoint

    shown = gui_window.shown
    path = tmp_path / "copy.safetensors"
    save_checkpoint(shown.snapshot.to_checkpoint(), path)
    changed, evaluated = [], []
    shown.changed.connect(changed.append)
    shown.evaluated.connect(evaluated.append)
    assert gui_window.model_files.open(path)
    qtbot.waitUntil(lambda: shown.snapshot.evaluation is not None, timeout=10000)
    assert len(changed) == 1 and changed[0].evaluation is None  # one new model …
    assert evaluated == [shown.snapshot]  # … and then its statistics, not a second model


def test_progress_bars_paint_with_the_next_frame_not_at_once(qtbot, gui_window):
    """QProgressBar.setValue repaints synchronously when a pixel or its text changes (5 ms a bar
    during training, profiled, while a tab switch waited): the bars' new values are painted with
    the next frame instead, and are painted."""
    window, progress = gui_window, gui_window.progress
    window.show()
    qtbot.waitExposed(window)
    bar = progress.run_bar
    qtbot.waitUntil(bar.isVisible)
    paints = []

    class Counter(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt naming)
            if event.type() == QEvent.Type.Paint:
                paints.append(obj.value())
            return False

    counter = Counter()
    bar.installEventFilter(counter)
    QApplication.processEvents()
    paints.clear()
    from sae_desktop.qt.run_progress import set_fraction

    set_fraction(bar, 0.5)
    assert bar.value() == 500 and paints == []  # not painted inside the call…
    qtbot.waitUntil(lambda: 500 in paints, timeout=2000)  # …but with the next frame
    bar.removeEventFilter(counter)


def test_training_plots_wait_while_hidden_and_paint_one_per_turn_on_a_visit(qtbot, gui_window):
    """Tab switches during training: the Training tab's plots are not redrawn while another tab
    is shown; a visit paints them one per turn of the event loop, the losses first, each brought
    up to date just before it is painted (all four in one frame stalled ~55 ms; the losses in the
    tab's first frame still made it 25 ms of 36, idle)."""
    window, view = gui_window, gui_window.training_view
    window.tabs.setCurrentWidget(window.probe_view)
    qtbot.waitUntil(lambda: not view.isVisible())
    plots = (view.loss_plot, view.rho_plot, view.sparsity_plot)
    for plot in plots:
        plot.dirty = True
    view.rho_plot.values = np.full(32, 0.05, dtype=np.float32)  # something to draw
    view.refresh()
    assert all(plot.dirty for plot in plots)  # nothing redrawn for a hidden tab
    painted = []

    class Order(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt naming)
            if event.type() == QEvent.Type.Paint and obj in viewports:
                painted.append((viewports.index(obj), obj.parent().dirty))
            return False

    viewports = [view.loss_plot.viewport(), view.rho_plot.viewport(), view.sparsity_plot.viewport()]
    order = Order()
    for viewport in viewports:
        viewport.installEventFilter(order)
    window.tabs.setCurrentWidget(view)
    assert view.loss_plot.dirty and view.rho_plot.dirty  # the tab's first frame: no plot redrawn in it
    assert view.staggered.held == view.staggered.viewports
    qtbot.waitUntil(lambda: not view.staggered.held and not any(plot.dirty for plot in plots))
    qtbot.waitUntil(lambda: all((i, False) in painted for i in range(3)))
    first = [painted.index((i, False)) for i in range(3)]
    assert first == sorted(first)  # in order, each up to date when painted


def test_runs_tab_paints_its_frontier_a_turn_after_its_table(qtbot, gui_window):
    window, runs = gui_window, gui_window.runs_view
    window.tabs.setCurrentWidget(runs)
    assert runs.staggered.held == [runs.frontier.viewport()]
    qtbot.waitUntil(lambda: not runs.staggered.held, timeout=3000)


def test_a_visit_paints_its_page_once_in_its_first_frame(qtbot, gui_window):
    """Showing a page posts each of its widgets a request to repaint, after the repaint the switch
    had already asked for: the whole Probe page was painted twice in one frame."""
    window, probe = gui_window, gui_window.probe_view
    for view in (probe, window.training_view, probe, window.training_view):  # built and laid out
        window.tabs.setCurrentWidget(view)
        qtbot.wait(50)
    assert paints_in_one_frame(probe, lambda: window.tabs.setCurrentWidget(probe)) == [probe.size()]


def paints_in_one_frame(widget, action) -> list:
    """The sizes of the regions ``widget`` paints in the frame after ``action``."""
    from PySide6.QtWidgets import QApplication

    paints = []

    class Count(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt naming)
            if event.type() == QEvent.Type.Paint and obj is widget:
                paints.append(event.rect().size())
            return False

    counter = Count()
    widget.installEventFilter(counter)
    action()
    QApplication.processEvents()
    widget.removeEventFilter(counter)
    return paints


def test_a_tab_switch_paints_the_tab_bar_once_and_a_new_tab_title_still_lays_it_out(qtbot, gui_window):
    """QTabWidget answers the layout request a page switch posts by repainting itself, page and
    tab bar: everything was painted twice in the visit's first frame. Requests that change nothing
    are not answered; one that does (a longer title) is."""
    window = gui_window
    bar = window.tabs.tabBar()
    for index in (1, 0, 1):  # built and laid out once
        window.tabs.setCurrentIndex(index)
        qtbot.wait(50)
    assert len(paints_in_one_frame(bar, lambda: window.tabs.setCurrentIndex(0))) == 1
    before = bar.tabRect(3).right()
    window.tabs.setTabText(0, "Training (a much longer title)")
    qtbot.waitUntil(lambda: bar.tabRect(3).right() > before + 50)
    assert bar.geometry().right() >= bar.tabRect(3).right()  # the bar itself grew to show it


def test_atlas_paints_its_mosaic_first_and_its_other_plots_in_later_turns(qtbot, gui_window):
    window, atlas = gui_window, gui_window.atlas_view
    window.tabs.setCurrentWidget(atlas)
    assert atlas.staggered.held == atlas.staggered.viewports  # the density and the dashboard's plots wait…
    assert atlas.mosaic_image is not None  # …while the mosaic is there for the first frame
    qtbot.waitUntil(lambda: not atlas.staggered.held, timeout=3000)  # then each paints in turn


def test_an_epochs_model_is_shown_a_turn_after_the_epochs_news_and_the_final_one_at_once(qtbot, gui_window):
    """While a run trains, the epoch's plots and progress are updated in one turn of the event
    loop and its model shown in Probe and Atlas in the next (both at once stalled the window up
    to ~90 ms with the Atlas shown); the final model is shown with the end's story, at once."""
    window = gui_window
    window.tabs.setCurrentWidget(window.atlas_view)
    window.panel.set_config(SMALL.replace(epochs=2))
    shown_at_signal = []
    window.run.model_ready.connect(lambda snap: shown_at_signal.append(
        (window.run.end is not None, window.shown.snapshot is snap)))
    with qtbot.waitSignal(window.controller.runEnded, timeout=60000):
        window.start_action.trigger()
    # (this slot runs after the window's own): an epoch's model is not shown yet, the final one is
    assert (False, False) in shown_at_signal and shown_at_signal[-1] == (True, True)
    assert window.shown.snapshot is window.run.model
    assert window.atlas_view.staggered.held  # the atlas re-rendered for it: the mosaic first
    qtbot.waitUntil(lambda: not window.atlas_view.staggered.held, timeout=3000)  # then its other plots


def test_the_runs_table_knows_which_run_this_window_trains(qtbot, gui_window):
    window = gui_window
    runs = window.runs_view  # built before the run
    seen = []  # the view's live folder as the run starts (a 1-epoch run may end before a wait returns)
    window.run.started.connect(lambda _: seen.append((runs.live_folder, window.run.run_dir)))
    window.panel.set_config(SMALL.replace(epochs=1))
    with qtbot.waitSignal(window.controller.runEnded, timeout=60000):
        window.start_action.trigger()
    assert len(seen) == 1 and seen[0][0] is not None and seen[0][0] == seen[0][1]
    assert runs.live_folder is None  # ended: its own status from now on ("completed", "stopped")


def test_a_continued_runs_elapsed_time_says_it_is_since_continuing(qtbot):
    """Continued from step 757 and done a second later, the panel read "Elapsed 0:01" (and its
    average from that second) for a run that had trained for minutes before."""
    from sae_desktop.qt.run_progress import RunProgress
    from sae_desktop.run_state import RunState
    from tests.test_state import Clock, start_event

    clock = Clock()
    state = RunState(clock)
    progress = RunProgress(state)
    qtbot.addWidget(progress)
    state.set_status("running")
    state.begin(start_event(epochs=4))
    clock.t += 61
    progress.render()
    assert progress.elapsed.text() == "1:01"
    state.new_run()
    state.begin(start_event(epochs=4, start_epoch=1, start_step=17))
    clock.t += 5
    progress.render()
    assert progress.elapsed.text() == "0:05 since continuing"


def test_a_finished_runs_average_is_its_training_rate_as_it_read_while_training(qtbot):
    """A short continue's average counted its start and its evaluation: a fraction of the rate its
    steps had run at. The panel keeps the rate it showed; the whole run's figure is the tooltip."""
    from sae_desktop.events import RunEnd
    from sae_desktop.qt.run_progress import RunProgress
    from sae_desktop.run_state import RunState
    from tests.test_state import SPE, Clock, evaluation, simulate, start_event

    clock = Clock()
    state = RunState(clock)
    progress = RunProgress(state)
    qtbot.addWidget(progress)
    state.set_status("running")
    state.begin(start_event(epochs=3, start_epoch=2))
    clock.t += 4.0  # starting: the data loaded, the first steps warmed up
    simulate(state, clock, 3, start_epoch=2, overhead_s=6.0)  # 1000 images/s of training, a long evaluation
    progress.render()
    assert progress.speed.text() == "1,000 images/s"
    state.finish(RunEnd("completed", "done", 3, 3 * SPE, {}, {}, state.history, evaluation(), "cpu"))
    state.set_status("idle")
    progress.render()
    assert progress.speed.text() == "1,000 images/s while training"  # not 1000 images in 11 s: 91
    assert "91 images/s" in progress.speed.toolTip() and "0:11" in progress.speed.toolTip()
    assert "Since continuing, " in progress.speed.toolTip()  # (not "the whole run": its epochs 1-2 ran before)


def test_during_a_sweep_the_eta_is_the_sweeps_with_the_runs_beside_it(qtbot):
    """At the end of a sweep's first run of four, the panel read "ETA 0:01"."""
    from sae_desktop.events import RunEnd
    from sae_desktop.qt.run_progress import RunProgress
    from sae_desktop.run_state import RunState
    from tests.test_state import SPE, Clock, evaluation, simulate, start_event

    clock = Clock()
    state = RunState(clock)
    progress = RunProgress(state)
    qtbot.addWidget(progress)
    state.set_status("running")
    state.new_run()
    state.sweep_run(0, 4, None)
    state.begin(start_event(epochs=4))
    simulate(state, clock, 3, overhead_s=1.0)  # 6 s of the run's 8 (4 epochs of 1 s each, 1 s at each end)
    progress.render()
    assert progress.eta.text() == "0:26 (this run 0:02)"  # 2 s, then 3 runs of 8 s
    simulate(state, clock, 4, start_epoch=3, overhead_s=1.0)
    state.finish(RunEnd("completed", "done", 4, 4 * SPE, {}, {}, state.history, evaluation(), "cpu"))
    progress.render()
    assert progress.eta.text() == "0:24"  # between two runs: three to come, none in progress
    assert progress.elapsed.text() == "0:08 (sweep 0:08)"
    state.end_sweep()
    state.set_status("idle")
    clock.t += 60
    progress.render()
    assert progress.eta.text() == "done" and progress.elapsed.text() == "0:08 (sweep 0:08)"
    state.new_run()
    state.begin(start_event(epochs=4))
    progress.render()
    assert progress.elapsed.text() == "0:00"  # a single run: nothing of the sweep


def test_before_any_run_the_header_says_what_ctrl_return_does_in_continue_mode(qtbot, gui_window):
    """Train ▸ Continue training left the header at "press Start (Ctrl+Return) to train" beside a
    button that read "Continue training"."""
    from sae_desktop.qt.training_view import idle_text

    window = gui_window
    summary = window.training_view.summary
    assert summary.text() == idle_text()
    snap = window.shown.snapshot
    window.run.set_resume(snap)
    assert summary.text() == (f"Continuing {snap.short_name}: press Continue training (Ctrl+Return) to add epochs; "
                              "earlier runs are in the Runs tab.")
    window.run.set_resume(None)
    assert summary.text() == idle_text()


def test_continue_mode_after_a_restart_shows_the_run_so_far(qtbot, gui_window, tiny_dataset):
    """After a restart, Train ▸ Continue training of last week's run showed blank plots, the losses' axis from 0,
    until the continuation started (the README says its earlier losses are shown again)."""
    import dataclasses

    from sae_desktop.config import TrainConfig
    from sae_desktop.engine import train
    from sae_desktop.events import Position
    from sae_desktop.runs import RunFolder, recorded

    cfg = TrainConfig(epochs=2, batch_size=64, d_hidden=16, d_latent=8, device="cpu", log_every=2)
    run = RunFolder.create(cfg)
    list(recorded(train(cfg, tiny_dataset), run))
    view = gui_window.training_view  # (no run in this window yet)
    snap = ModelSnapshot.load(run.checkpoint_path)
    steps = [r["step"] for r in run.read_metrics() if r.get("type") == "step"]
    assert len(steps) > 2 and not len(view.loss_plot.steps)
    gui_window.run.set_resume(snap)
    assert list(view.loss_plot.steps.view(0)) == steps  # its per-step losses, as read back from metrics.jsonl…
    assert list(view.sparsity_plot.series.view(0)) == [1, 2]  # …and its epochs
    progress = gui_window.progress  # …and where it stands (the panel read "–" and 0 %, before the restart not)
    assert progress.name.text() == run.path.name and progress.run_bar.format() == "epoch 2 of 2 – %p%"
    assert progress.run_bar.value() == 1000 and progress.epoch_bar.value() == 1000
    per_epoch = snap.history[-1]["step"] // 2
    gui_window.run.set_resume(dataclasses.replace(snap, epoch=1, position=Position(per_epoch * 3 // 2, 0.0, 0.0, 0)))
    assert progress.run_bar.format() == "epoch 2 of 2 – %p%" and abs(progress.run_bar.value() - 750) <= 30
    assert abs(progress.epoch_bar.value() - 500) <= 60
    evaluated = snap.with_evaluation(snap.evaluate(tiny_dataset.test_images)) if snap.evaluation is None else snap
    at = steps[-1] - 1  # stopped inside epoch 2: its figures there, where the header of the run gave them
    gui_window.run.set_resume(dataclasses.replace(evaluated, position=Position(at, 0.0, 0.0, 0)))
    assert [list(a) for a in view.loss_plot.stop.getData()] == [[at], [evaluated.evaluation.test_mse]]
    assert view.sparsity_plot.stopped_at[2:] == (evaluated.evaluation.dead_latents, at)
    gui_window.run.set_resume(dataclasses.replace(snap, history=[*snap.history, {"epoch": 3}]))  # another version's
    assert view.sparsity_plot.stopped_at is None and view.loss_plot.stop.getData()[0] in (None, [])
    assert list(view.sparsity_plot.series.view(0)) == [1, 2]  # (its record without figures left out, no error)
    gui_window.run.set_resume(None)  # a new run instead: nothing of it stays
    assert not len(view.loss_plot.steps) and not len(view.sparsity_plot.series.view(0))
    planned = gui_window.panel.config()  # its axes the panel's run's (they kept the continued run's 2 epochs)
    assert (view.sparsity_plot.planned_epochs, view.sparsity_plot.latents) == (planned.epochs, planned.d_latent)
    assert progress.name.text() == "–" and progress.run_bar.value() == 0
    btk = cfg.replace(penalty="batchtopk", k=2, epochs=1)  # its activations with its own threshold θ
    run = RunFolder.create(btk)
    list(recorded(train(btk, tiny_dataset), run))
    snap = ModelSnapshot.load(run.checkpoint_path)
    snap = snap.with_evaluation(snap.evaluate(tiny_dataset.test_images)) if snap.evaluation is None else snap
    gui_window.run.set_resume(snap)
    view.histogram.refresh()
    assert view.histogram.top_legend.legend.items[0][1].text.startswith("fires above θ = ")  # (not "active above 0")


def test_before_any_run_the_sparsity_plot_frames_the_run_the_panel_plans(qtbot, gui_window):
    """A first launch's empty Sparsity plot had one tick, "1", and a right axis "dead latents" from 0 to 1:
    the losses' axis followed the panel's plan, it did not."""
    view, panel = gui_window.training_view, gui_window.panel
    cfg = panel.config()
    assert (view.sparsity_plot.planned_epochs, view.sparsity_plot.latents) == (cfg.epochs, cfg.d_latent)
    assert view.sparsity_plot.getAxis("right").labelText == f"dead (of {cfg.d_latent})"
    panel.set_config(cfg.replace(epochs=25, d_latent=64))
    assert (view.sparsity_plot.planned_epochs, view.sparsity_plot.latents) == (25, 64)


def test_before_any_run_the_header_names_the_runs_tab_only_where_it_lists_runs(qtbot, isolated_home):
    """A first launch said "earlier runs are in the Runs tab" beside a Runs tab that said "No runs yet"."""
    from sae_desktop.paths import runs_dir
    from sae_desktop.qt.training_view import idle_text

    assert idle_text() == "No run in this window yet: press Start (Ctrl+Return) to train."
    (runs_dir() / "20261205-101500-mnist-kl").mkdir(parents=True)
    assert idle_text().endswith("; earlier runs are in the Runs tab.")
    first = build_window()
    qtbot.addWidget(first)
    assert first.training_view.summary.text() == idle_text()
    first.controller.shutdown(2000)


def test_the_continue_note_of_a_run_stopped_in_its_first_epoch_counts_from_the_start():
    """It read "“More epochs” are counted from epoch 0, the last one finished": none had."""
    import dataclasses

    from sae_desktop.events import Position
    from sae_desktop.qt.window_training import resume_note
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    base = ModelSnapshot.load(bundled_model_path())
    first = dataclasses.replace(base, epoch=0, position=Position(608, 1.0, 2.0, 3))
    assert "“More epochs” are counted from the start: no epoch has finished yet." in resume_note(first)
    assert "from step 608, inside epoch 1" in resume_note(first)
    later = dataclasses.replace(base, epoch=3, position=Position(1500, 1.0, 2.0, 3))
    assert "“More epochs” are counted from epoch 3, the last one finished." in resume_note(later)
