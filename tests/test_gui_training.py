"""The main window trains in a worker thread: real widgets, offscreen, tiny generated data."""

import json
import re

import pytest
from PySide6.QtCore import QThreadPool, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QToolButton

from sae_desktop.config import PRESETS, TrainConfig
from sae_desktop.qt.app import build_window, create_app
from sae_desktop.qt.main_window import MainWindow
from sae_desktop.qt.settings import app_settings

SMALL = TrainConfig(epochs=1, batch_size=64, d_hidden=32, d_latent=8, device="cpu")


@pytest.fixture
def window(gui_window):
    gui_window.panel.set_config(SMALL)
    return gui_window


def run_to_end(qtbot, w, timeout=30000):
    with qtbot.waitSignal(w.controller.runEnded, timeout=timeout) as ended:
        w.start_action.trigger()
    qtbot.waitUntil(lambda: w.controller.state == "idle", timeout=5000)
    return ended.args[0]


def test_one_epoch_run_fills_plots_and_writes_the_run_folder(qtbot, window):
    steps = []
    window.controller.stepReported.connect(steps.append)
    end = run_to_end(qtbot, window)
    assert end.status == "completed" and end.epochs_done == 1
    view = window.training_view
    view.refresh_all()
    assert len(view.loss_plot.steps) == len(steps) >= 1
    assert len(view.loss_plot.test.getData()[0]) == 1  # the epoch's test MSE point
    # joined dashed (measured at each epoch only): solid, it hid the training loss it lies on
    assert view.loss_plot.test.opts["pen"].style() == Qt.PenStyle.DashLine
    assert view.rho_plot.values is not None and len(view.rho_plot.values) == 8
    assert len(view.sparsity_plot.series) == 1
    run_dir = window.controller.run_dir
    assert (run_dir / "checkpoint.safetensors").is_file() and (run_dir / "config.json").is_file()
    types = {json.loads(line)["type"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()}
    assert types == {"step", "epoch", "summary"}
    assert window.shown.snapshot.weights["W_enc1"].shape == (32, 784)  # the trained model is shown
    assert view.summary.text().startswith("Completed 1 epoch:  test MSE")
    ev = window.run.end.evaluation  # latents counted, as the dead ones are beside them
    assert f"dead latents {ev.dead_latents}   dense latents {ev.dense_latents}   " in view.summary.text()
    assert ev.dense_latents == round(ev.frac_dense * 8) and "%" not in view.summary.text()
    tip = view.summary.toolTip()  # the whole header, then what each figure means
    assert tip.startswith("<p>Completed 1 epoch:  test MSE") and "<p>FVU: fraction of variance unexplained" in tip
    assert "dense latents: active on more than 10% of the test images" in tip


def test_ctrl_return_starts_training_from_anywhere(qtbot, window):
    window.panel.inputs["lr"].setFocus()
    with qtbot.waitSignal(window.controller.runStarted, timeout=10000):
        qtbot.keyClick(window.panel.inputs["lr"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    window.controller.stop()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)


def test_pause_stops_reports_and_resume_continues(qtbot, window):
    window.panel.set_config(SMALL.replace(epochs=200, log_every=1))
    steps = []
    window.controller.stepReported.connect(lambda out: steps.append(out.step))
    window.start_action.trigger()
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=10000)
    window.pause_action.trigger()
    # "Pausing" until the loop says it holds (said "Paused" at once, the interval under way still
    # moved the bars under it), then "Paused", as the progress panel and the status bar say
    assert window.controller.state == "pausing" and window.pause_action.text() == "&Resume"
    header = window.training_view.summary
    assert header.text().startswith("Pausing · ") and window.progress.eta.text() == "pausing…"
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=5000)
    assert header.text().startswith("Paused · ") and window.statusBar().currentMessage() == "Paused"
    frozen = len(steps)  # nothing more once it says so
    qtbot.wait(400)
    assert len(steps) == frozen
    window.pause_action.trigger()
    assert not header.text().startswith("Paused")
    qtbot.waitUntil(lambda: len(steps) > frozen + 2, timeout=5000)
    window.stop_action.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)
    assert header.text().startswith("Stopped at step")  # not "Stopping · Stopped …"


def test_stop_ends_the_run_mid_way_and_keeps_the_weights(qtbot, window):
    window.panel.set_config(SMALL.replace(epochs=500))
    window.start_action.trigger()
    qtbot.waitUntil(lambda: window.shown.snapshot is not None and "epoch" in window.shown.snapshot.name,
                    timeout=10000)
    with qtbot.waitSignal(window.controller.runEnded, timeout=10000) as ended:  # (how fast: a benchmark's job)
        window.stop_action.trigger()
    assert ended.args[0].status == "stopped" and ended.args[0].epochs_done < 500  # not after the 500 epochs
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=2000)
    assert "stopped" in window.shown.snapshot.name
    assert window.start_action.isEnabled()


def test_invalid_input_is_shown_inline_and_disables_start(qtbot, window):
    lr: QLineEdit = window.panel.inputs["lr"]
    lr.setText("fast please")
    assert not window.start_action.isEnabled()
    assert "number" in window.panel.errors["lr"].text() and window.panel.errors["lr"].isVisibleTo(window)
    lr.setText("1e9")
    assert not window.start_action.isEnabled() and window.panel.errors["lr"].text()
    lr.setText("0.002")
    assert window.start_action.isEnabled() and not window.panel.errors["lr"].isVisibleTo(window)
    window.panel.inputs["penalty"].setCurrentIndex(2)  # topk
    window.panel.inputs["k"].setValue(20)  # more than the 8 latents
    assert not window.start_action.isEnabled() and "latent" in window.panel.errors["k"].text()
    window.start_training()  # even if triggered some other way, nothing starts
    assert window.controller.state == "idle"


def test_penalty_parameters_follow_the_penalty(window):
    panel = window.panel
    visible = lambda name: panel.inputs[name].isVisibleTo(window)  # noqa: E731
    assert visible("rho") and visible("beta") and not visible("k")
    panel.inputs["penalty"].setCurrentIndex(1)
    assert visible("l1") and not visible("rho")
    panel.inputs["penalty"].setCurrentIndex(2)
    assert visible("k") and not visible("l1") and visible("auxk") and not visible("resample")
    panel.inputs["penalty"].setCurrentIndex(3)  # batchtopk: k too, and AuxK
    assert visible("k") and visible("auxk") and not visible("l0_coeff")
    panel.inputs["penalty"].setCurrentIndex(4)  # jumprelu: its L0 coefficient, resampling
    assert visible("l0_coeff") and visible("resample") and not visible("k") and visible("unit_norm_decoder")
    assert "threshold" in panel.inputs["penalty"].toolTip()  # the chosen mechanism in one sentence
    assert "k largest" in panel.inputs["penalty"].itemData(2, Qt.ItemDataRole.ToolTipRole)
    panel.inputs["resample"].setChecked(True)
    assert panel.config().resample is True and panel.config().penalty == "jumprelu"


def test_the_form_is_generated_from_the_settings_schema(qtbot, window):
    from PySide6.QtWidgets import QFormLayout

    from sae_desktop.config import SETTINGS

    panel = window.panel
    form_fields = {name for name, spec in SETTINGS.items() if spec.group}
    assert set(panel.inputs) == form_fields and "log_every" not in panel.inputs  # a command-line-only setting
    for name in form_fields:
        spec = SETTINGS[name]
        form: QFormLayout = panel._forms[name]
        assert form.labelForField(panel.inputs[name]).text() == spec.label
        assert spec.flag in panel.inputs[name].toolTip()
        assert form.parentWidget().title() == spec.group
    panel.inputs["penalty"].setCurrentIndex(SETTINGS["penalty"].choices.index("l1"))
    assert panel.config().penalty == "l1"
    # the seed takes any value the config allows, up to 2^63-1 (a QSpinBox stopped at 2^31-1)
    seed = panel.inputs["seed"]
    seed.setValue(2**63 - 1)
    assert panel.config().seed == 2**63 - 1
    seed.clear()
    qtbot.keyClicks(seed, "4294967296")
    assert panel.config().seed == 2**32
    panel.set_config(SMALL.replace(seed=2**40 + 1))
    assert seed.value() == 2**40 + 1 and panel.config().seed == 2**40 + 1


def test_presets_and_unavailable_devices(window):
    window.panel.quality_button.click()
    assert window.panel.config() == PRESETS["quality"]
    window.panel.tutorial_button.click()
    assert window.panel.config() == PRESETS["tutorial"]
    combo: QComboBox = window.panel.inputs["device"]
    from sae_desktop.devices import available_devices

    for i, name in enumerate(("auto", "cpu", "cuda", "mps")):
        enabled = combo.model().item(i).isEnabled()
        assert enabled == (name in ("auto", "cpu") or available_devices()[name])


def start_a_long_run(qtbot, window) -> None:
    """A run of 500 epochs, running, its first checkpoint written."""
    window.panel.set_config(SMALL.replace(epochs=500))
    window.start_action.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "running" and window.controller.run_dir is not None,
                    timeout=10000)
    qtbot.waitUntil(lambda: (window.controller.run_dir / "checkpoint.safetensors").is_file(), timeout=10000)


def test_closing_mid_run_stops_the_worker_and_leaves_no_thread(qtbot, window, monkeypatch):
    start_a_long_run(qtbot, window)
    asked = []
    monkeypatch.setattr(MainWindow, "confirm_stop_and_close", lambda self: asked.append(1) or True)
    assert window.close()
    assert asked == [1]
    assert QThreadPool.globalInstance().waitForDone(1000)
    from sae_desktop.checkpoint import load_checkpoint

    assert load_checkpoint(window.controller.run_dir / "checkpoint.safetensors").epoch >= 1


def test_a_terminals_ctrl_c_closes_mid_run_without_asking_and_keeps_the_weights(qtbot, window, monkeypatch):
    """Ctrl+C in the terminal that started the window: the run is stopped and the window closed,
    with no "Training is running" question (nobody at the window may answer it)."""
    from sae_desktop.qt.terminal_signals import close_without_asking

    start_a_long_run(qtbot, window)
    asked = []
    monkeypatch.setattr(MainWindow, "confirm_stop_and_close", lambda self: asked.append(1) or False)
    close_without_asking(window)()
    assert asked == [] and not window.isVisible()
    assert QThreadPool.globalInstance().waitForDone(1000)
    qtbot.waitUntil(lambda: not window.controller.active, timeout=5000)
    assert window.controller.state == "idle"
    from sae_desktop.checkpoint import load_checkpoint

    assert load_checkpoint(window.controller.run_dir / "checkpoint.safetensors").epoch >= 1


def test_refusing_to_close_keeps_training(qtbot, window, monkeypatch):
    window.panel.set_config(SMALL.replace(epochs=500))
    window.start_action.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=10000)
    monkeypatch.setattr(MainWindow, "confirm_stop_and_close", lambda self: False)
    assert not window.close()
    assert window.controller.state == "running"
    window.controller.stop()
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)


def test_a_dataset_that_fails_to_load_is_reported_not_raised(qtbot, window, monkeypatch, tmp_path):
    # The four files are there by name (so Start's check passes) but cannot be read as IDX:
    # the training thread's failure reaches the window as a notice, not a traceback.
    raw = tmp_path / "broken" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (raw / stem).write_bytes(b"not an IDX file")
    monkeypatch.setenv("SAE_DESKTOP_DATA", str(tmp_path / "broken"))
    window.panel.data_folder.refresh()
    with qtbot.waitSignal(window.controller.runFailed, timeout=10000) as failed:
        window.start_action.trigger()
    assert "train-images-idx3-ubyte" in failed.args[0] and "corrupt" in failed.args[0]
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=5000)
    assert any("could not run" in notice for notice in window.notices)
    # the Training tab says so too ("Starting a new run…" stayed), the cause in a clause, the whole on hover
    header = window.training_view.summary
    assert header.text().startswith("Training could not run: ") and "Press Start (Ctrl+Return)" in header.text()
    assert "Starting" not in header.text() and header.toolTip() == failed.args[0]


def test_open_model_refuses_garbage_and_keeps_the_current_model(window, tmp_path):
    before = window.shown.snapshot
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x80\x04not a model")
    assert not window.model_files.open(bad)
    assert window.shown.snapshot is before
    assert "pickle" in window.notices[-1]


def test_trained_model_saves_opens_and_continues(qtbot, window, tmp_path):
    run_to_end(qtbot, window)
    path = tmp_path / "mine.safetensors"
    assert window.model_files.save_to(path)
    assert window.model_files.open(path)
    assert window.shown.snapshot.name == "mine.safetensors" and window.continue_action.isEnabled()
    qtbot.waitUntil(lambda: window.shown.snapshot.evaluation is not None, timeout=10000)  # (its test figures)
    window.continue_action.trigger()
    assert window.panel.config().epochs == 1 and not window.panel.inputs["d_latent"].isEnabled()  # 1 more
    histogram = window.training_view.histogram
    shown = []  # the histogram's data as the continued run starts (blank until its next epoch, before)
    window.run.started.connect(lambda *_: shown.append(histogram.curve.getData()[1] is not None
                                                       and "epoch 1" in histogram.getAxis("bottom").labelText))
    end = run_to_end(qtbot, window)
    assert end.epochs_done == 2 and len(end.history) == 2
    assert shown == [True]  # the model it went on from, epoch 1's
    # the panel, once the run has ended, still shows the run it trained (it showed the form saved before
    # continuing: another model's settings beside this run's figures), its epochs the total
    assert window.panel.config() == SMALL.replace(epochs=2)


def test_settings_remember_values_tab_and_geometry(qtbot, window, monkeypatch):
    window.panel.inputs["epochs"].setValue(7)
    window.tabs.setCurrentIndex(0)
    slider = window.probe_view.tools.width_slider
    slider.setValue(slider.value() + 12)  # (the brush width went back to its default at each launch)
    width = slider.value()
    geometry = window.saveGeometry()  # the offscreen screen is too small to compare pixel sizes
    window.close()
    restored = []
    monkeypatch.setattr(MainWindow, "restoreGeometry", lambda self, data: restored.append(bytes(data)) or True)
    again = build_window()
    qtbot.addWidget(again)
    assert again.panel.config().epochs == 7
    assert again.tabs.currentIndex() == 0
    assert again.probe_view.tools.width_slider.value() == width and again.probe_view.canvas.brush_width == width
    from sae_desktop.qt.drawing_tools import WIDTH_SETTING, remembered_width

    for garbled, read in (("many", 9), ("1000", 60), ("-3", 4)):  # a hand-edited settings.ini
        app_settings().setValue(WIDTH_SETTING, garbled)
        assert remembered_width(9) == read
    assert restored == [bytes(geometry)]
    assert app_settings().fileName().startswith(str(__import__("os").environ["SAE_DESKTOP_HOME"]))


@pytest.mark.parametrize("saved", ["[" * 200_000 + "]" * 200_000, '{"epochs": "many"}', "[1, 2]", "{"])
def test_a_garbled_saved_training_panel_falls_back_to_the_defaults(qtbot, saved):
    """A settings.ini whose saved panel nested 200 000 deep raised RecursionError: the window
    never opened until the file was edited by hand."""
    create_app()
    app_settings().setValue("training/config", saved)
    again = build_window()
    qtbot.addWidget(again)
    assert again.panel.config() == TrainConfig().replace(device=again.panel.config().device)


@pytest.mark.parametrize("epochs", [10, 40])
def test_sparsity_plot_labels_the_last_epoch(qtbot, epochs):
    from PySide6.QtGui import QImage, QPainter

    from sae_desktop.qt.sparsity_plot import SparsityPlot

    plot = SparsityPlot()
    qtbot.addWidget(plot)
    plot.resize(320, 260)  # its size in the Training tab
    plot.show()
    for epoch in range(1, epochs + 1):
        plot.add_epoch(epoch, 7.0, 0)
    plot.refresh()
    qtbot.wait(10)
    axis = plot.getAxis("bottom")
    image = QImage(axis.size().toSize(), QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)  # the labels pyqtgraph draws (it drops clipped ones)
    finally:
        painter.end()
    assert str(epochs) in [text for _, _, text in texts]


def test_window_fits_a_projector_screen(qtbot, window):
    """A 1280×720 or 1024×768 projector (less a panel and the title bar), training panel included."""
    from PySide6.QtCore import QRect

    from sae_desktop.qt.main_window import default_geometry

    for tab in range(window.tabs.count()):  # every tab's minimum counts, shown or not
        window.tabs.setCurrentIndex(tab)
        qtbot.wait(10)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 720 - 70, window.tabs.tabText(tab)
    small, large = QRect(0, 0, 1280, 690), QRect(0, 0, 2560, 1400)
    window.setGeometry(default_geometry(small))
    window.tabs.setCurrentWidget(window.training_view)
    qtbot.wait(50)
    start = next(b for b in window.panel.run_bar.findChildren(QToolButton) if b.defaultAction() is window.start_action)
    assert not start.visibleRegion().isEmpty()  # the settings scroll; the run buttons stay in view
    assert small.contains(default_geometry(small)) and default_geometry(small).center() == small.center()
    assert default_geometry(large).size().toTuple() == (1440, 900) and large.contains(default_geometry(large))
    tight = default_geometry(QRect(0, 0, 1024, 740), window.minimumSizeHint())  # 95% of 1024 is below the minimum
    assert tight.size() == tight.size().expandedTo(window.minimumSizeHint()) and QRect(0, 0, 1024, 740).contains(tight)


def test_help_lists_every_shortcut_from_the_actions_themselves(qtbot, window):
    window.shortcuts_action.trigger()
    box = window.help.shortcuts_box
    qtbot.waitExposed(box)
    text = box.text()
    rows = dict(re.findall(r"<tr><td>(.*?)</td><td style='padding-left: 10px'><b>(.*?)</b></td></tr>", text))
    assert "&nbsp;<b>" not in text  # (spaces before the keys indented only their first line)
    for name, keys in (("Start training", "Ctrl+Return"), ("Show Probe", "Ctrl+2"), ("Random test digit", "R"),
                       ("Redo", "Ctrl+Y"), ("Keyboard shortcuts", "F1")):
        assert keys in rows[name].split(" or "), (name, rows.get(name))
    assert "double-click its bar" in text and not box.isModal()  # stays open beside the window
    probe, plots = text.split("Mouse, in the Probe tab")[1].split("Mouse, on the plots in ")
    assert "right-click its bar" in probe and "right-click the plot" not in probe  # its bars have no menu
    bar_keys = probe.split("Keys on the Probe's latent bars")[1].split("In the Atlas tab")[0]
    assert all(k in bar_keys for k in ("← / →", "↑ / ↓", "Esc"))  # the bars steer from the keyboard too
    assert "In the Atlas tab" in probe and "arrow keys" in probe  # its tiles are picked from the keyboard too
    assert "In the Runs tab" in probe and "right-click a column's header" in probe  # (its columns menu)
    # the Runs table's own keys, from its actions (F2 was missing from a list written by hand)
    assert rows["Rename…"] == "F2" and rows["Move to trash…"] == "Del"
    assert plots.startswith("Training, Atlas and Runs</h4>") and "right-click the plot" in plots
    box.close()


def test_the_shortcuts_fit_the_screen_and_scroll_in_presentation_mode(qtbot, window):
    """A message box 1227 px high in presentation mode ran off a 720-px screen, the Atlas's keys
    out of reach (it could not scroll)."""
    window.view.set_presentation(True)
    try:
        window.shortcuts_action.trigger()
        box = window.help.shortcuts_box
        qtbot.waitExposed(box)
        room = box.screen().availableGeometry()
        assert box.height() <= room.height() and box.width() <= room.width()
        bar = box.page.verticalScrollBar()
        document = box.page.document()
        assert document.size().height() > box.page.viewport().height()  # taller than shown here…
        assert bar.maximum() > 0  # …so it scrolls, to the end
        bar.setValue(bar.maximum())
        assert "In the Atlas tab" in box.page.toPlainText()
        box.close()
    finally:
        window.view.set_presentation(False)
    window.shortcuts_action.trigger()  # a screen that holds it all: no scrolling
    box = window.help.shortcuts_box
    qtbot.waitExposed(box)
    if box.page.document().size().height() + 80 < box.screen().availableGeometry().height() * 0.85:
        assert box.page.verticalScrollBar().maximum() == 0
    box.close()


def test_a_long_title_never_pushes_a_plot_past_its_widget(qtbot):
    from sae_desktop.qt.rho_hat_plot import RhoHatPlot

    from sae_desktop.qt.plot_style import set_title

    plot = RhoHatPlot()
    set_title(plot, "Mean activation per latent, a long title")  # wider than the plot below
    qtbot.addWidget(plot)
    plot.resize(200, 250)  # a third of the Training tab on a 1024×768 screen, a little less
    plot.show()
    qtbot.wait(20)
    assert plot.getPlotItem().titleLabel.item.boundingRect().width() > 200 - plot.getAxis("left").width()
    assert plot.getPlotItem().geometry().width() <= plot.width()  # the data area is not cut off on the right


def test_the_training_header_names_its_run_when_another_model_is_shown(qtbot, window):
    """Runs ▸ Show in probe and atlas of one run, then the Training tab: "Completed 10 epochs:
    test MSE 0.02552" (the last run trained) beside "Model: 20261203-211919-mnist-kl" (another)."""
    run_to_end(qtbot, window)
    view, name = window.training_view, window.run.run_dir.name
    assert window.shown.snapshot.run_name == name and view.summary.text().startswith("Completed 1 epoch:")
    window.show_bundled_model()
    assert view.summary.text().startswith(f"Run {name} · Completed 1 epoch:  test MSE")
    assert f"Run {name} · Completed" in view.summary.toolTip()
    window.model_files.open(window.run.run_dir / "checkpoint.safetensors")  # the run's own model again
    qtbot.waitUntil(lambda: window.shown.snapshot.run_name == name, timeout=5000)
    assert view.summary.text().startswith("Completed 1 epoch:")


def test_the_mean_activation_plots_title_draws_the_hat_of_rho_hat(qtbot, window):
    """Debian's default sans (DejaVu Sans) draws ρ + U+0302 without its hat: the plot of the
    measured ρ̂ was titled "Mean activation (ρ)", the target's symbol."""
    plot = window.training_view.rho_plot
    label = plot.getPlotItem().titleLabel
    shown = label.text

    def title_image(text: str):
        label.setText(text)
        QApplication.processEvents()
        return label.item.document().toPlainText(), plot.grab().toImage()

    with_hat = title_image(shown)
    without = title_image(shown.replace("\u0302", ""))
    label.setText(shown)
    assert with_hat[0] == "Mean activation (ρ\u0302)" and without[0] == "Mean activation (ρ)"
    assert with_hat[1] != without[1]  # the hat adds ink


def test_the_closing_question_says_when_the_run_ends_meanwhile(qtbot):
    """Closed as a run finished, "A training run is in progress. Stop it and close?" stayed up over
    "Completed 2 epochs"; answered Yes by itself, a Ctrl+Q pressed by mistake closed the window. It asks
    only whether to close now; a pause or a new state of the run keeps it asking as it was."""
    from PySide6.QtCore import QObject, QTimer, Signal
    from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

    from sae_desktop.qt.dialogs import RUN_ENDED, ask_stop_and_close

    class Run(QObject):
        stateChanged = Signal(str)

    run, parent = Run(), QWidget()
    qtbot.addWidget(parent)
    seen = []

    def later() -> None:
        box = QApplication.activeModalWidget()
        seen.append(box.text() if isinstance(box, QMessageBox) else None)
        run.stateChanged.emit("paused")  # still a run to stop: the question stays
        seen.append(QApplication.activeModalWidget() is box)
        run.stateChanged.emit("idle")  # the run ended: nothing to stop, the window not closed unasked
        seen.append(QApplication.activeModalWidget() is box and box.text() == RUN_ENDED)
        box.button(QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(50, later)
    assert ask_stop_and_close(parent, run.stateChanged) is True
    assert seen[0].startswith("A training run is in progress") and seen[1] is True and seen[2] is True
    assert QApplication.activeModalWidget() is None
    run.stateChanged.emit("idle")  # (disconnected once answered: nothing left listening)
    QTimer.singleShot(50, lambda: QApplication.activeModalWidget().reject())
    assert ask_stop_and_close(parent, run.stateChanged) is False  # answered No (Escape): not closed


def test_a_batchtopk_runs_histogram_marks_the_threshold_its_latents_fire_above(qtbot, window):
    """The Training tab's histogram said "active above 0" of a BatchTopK model whose Probe said "fires
    above θ = 3.37": at inference its latents are 0 or above θ. The line is at θ, named as in the Probe."""
    from sae_desktop.architecture import learned_thresholds

    window.panel.set_config(SMALL.replace(penalty="batchtopk", k=2))
    end = run_to_end(qtbot, window)
    theta = float(learned_thresholds(end.weights, window.run.start.config.model_config())[0])
    histogram = window.training_view.histogram
    window.tabs.setCurrentWidget(window.training_view)
    qtbot.waitUntil(lambda: not histogram.dirty, timeout=5000)
    assert theta > 0 and histogram.threshold.value() == pytest.approx(theta)
    assert histogram.top_legend.legend.items[0][1].text == f"fires above θ = {theta:.3g}"
    window.panel.set_config(SMALL.replace(penalty="topk", k=2))  # and a TopK's: active above 0
    run_to_end(qtbot, window)
    qtbot.waitUntil(lambda: not histogram.dirty, timeout=5000)
    assert histogram.threshold.value() == 0 and histogram.top_legend.legend.items[0][1].text == "active above 0"
