"""The drawing canvas and the probe: real mouse events on real widgets, offscreen."""

import html

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt

from sae_desktop.qt.app import build_window, create_app
from sae_desktop.qt.canvas import SIZE
from sae_desktop.verdict import evidence
from tests.conftest import load_file

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def window(qtbot, gui_window):
    gui_window.tabs.setCurrentWidget(gui_window.probe_view)
    qtbot.waitExposed(gui_window)
    return gui_window


def canvas_point(canvas, fx, fy):
    """A point at fractions (fx, fy) of the drawing square, in widget coordinates."""
    side = min(canvas.width(), canvas.height())
    return QPoint(int((canvas.width() - side) / 2 + fx * side), int((canvas.height() - side) / 2 + fy * side))


def drag(qtbot, widget, points, button=LEFT):
    qtbot.mousePress(widget, button, pos=points[0])
    for p in points[1:]:
        qtbot.mouseMove(widget, p)
    qtbot.mouseRelease(widget, button, pos=points[-1])


def draw_seven(qtbot, canvas):
    drag(qtbot, canvas, [canvas_point(canvas, x, y) for x, y in
                         ((0.25, 0.25), (0.5, 0.24), (0.75, 0.23), (0.65, 0.5), (0.55, 0.8))])


def test_mouse_drag_draws_ink_and_updates_code_and_reconstruction(qtbot, window):
    view = window.probe_view
    assert view.canvas.is_empty() and view.result is None
    assert "Nothing drawn" in view.error_label.text()
    draw_seven(qtbot, view.canvas)
    ink = view.canvas.array()
    assert ink.shape == (SIZE, SIZE) and (ink > 128).sum() > 2000
    assert 0 < ink.min() + 1 and np.unique(ink).size > 2  # anti-aliased edges, not just 0/255
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    assert view.bars.latents is not None and view.bars.latents.shape == (32,)
    assert view.recon_tile.data.shape == (28, 28) and view.input_tile.data.max() > 0.9
    assert "Reconstruction error" in view.error_label.text() and "test digits" in view.ood_label.text()
    tip = view.ood_label.toolTip()  # the whole verdict, then what its figures mean
    assert tip.startswith(f"<p>{html.escape(view.result.verdict.message)}</p>")
    assert "<p>nearest digit&#x27;s code: the distance" in tip and "<p>its pixels: the distance" in tip
    for label in (view.error_label, view.ood_label):  # the whole text shows: none cut off at the bottom
        assert label.heightForWidth(label.width()) <= label.height(), label.text()
    first = view.result.latents.copy()
    drag(qtbot, view.canvas, [canvas_point(view.canvas, 0.3, 0.5), canvas_point(view.canvas, 0.7, 0.52)])
    qtbot.waitUntil(lambda: not np.allclose(view.result.latents, first), timeout=2000)


def test_clear_undo_redo_and_eraser(qtbot, window):
    view = window.probe_view
    clear = view.tools.clear_action
    assert view.canvas.is_empty() and not clear.isEnabled()  # nothing to clear: greyed (it was offered)
    draw_seven(qtbot, view.canvas)
    assert clear.isEnabled()  # (from the first stroke on)
    drawn = view.canvas.array()
    clear.trigger()
    assert view.canvas.is_empty() and not clear.isEnabled()
    qtbot.waitUntil(lambda: view.result is None, timeout=2000)
    view.tools.undo_action.trigger()
    np.testing.assert_array_equal(view.canvas.array(), drawn)
    assert clear.isEnabled()
    view.tools.redo_action.trigger()
    assert view.canvas.is_empty() and not clear.isEnabled()
    view.tools.undo_action.trigger()
    view.tools.eraser_action.trigger()
    assert view.canvas.erasing and not view.tools.brush_action.isChecked()
    drag(qtbot, view.canvas, [canvas_point(view.canvas, 0.2, 0.24), canvas_point(view.canvas, 0.8, 0.24)])
    assert view.canvas.array().sum() < drawn.sum()
    qtbot.keyClick(view.canvas, Qt.Key.Key_B)  # keyboard shortcut back to the brush
    assert not view.canvas.erasing
    before = view.canvas.array().copy()
    drag(qtbot, view.canvas, [canvas_point(view.canvas, 0.65, 0.5), canvas_point(view.canvas, 0.55, 0.8)],
         button=Qt.MouseButton.RightButton)  # the right button always erases: along the 7's stem
    after = view.canvas.array()
    assert after.sum() < before.sum() and (after <= before).all()  # ink only removed, none added
    assert not view.canvas.erasing  # and the brush stays the brush


def test_steering_a_latent_changes_the_decoded_image(qtbot, window):
    view = window.probe_view
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    before = view.result.reconstruction.copy()
    latent = int(np.argmin(view.result.latents))  # an inactive latent: turn it fully on
    box = view.bars.getPlotItem().getViewBox()
    scene = box.mapViewToScene(QPointF(float(latent), 0.95))
    qtbot.mouseClick(view.bars.viewport(), LEFT, pos=view.bars.mapFromScene(scene))
    assert view.state.clamps == {latent: pytest.approx(0.95, abs=0.03)}
    assert view.result.code[latent] == pytest.approx(0.95, abs=0.03)
    assert view.result.latents[latent] < 0.5  # the encoder's own value is kept and shown
    assert np.abs(view.result.reconstruction - before).max() > 0.05
    assert "clamped" in view.error_label.text()
    assert f"(latent\u00a0{latent}\u00a0clamped)" in view.error_label.text()  # which one; never wrapped inside
    # the verdict is the input's, and says so beside the steered error (it read as the steered image's)
    assert "(the input, clamps left out):" in view.ood_label.text() and view.result.verdict.kind != "nothing"
    right = view.bars.mapFromScene(box.mapViewToScene(QPointF(float(latent), 0.5)))
    qtbot.mouseClick(view.bars.viewport(), Qt.MouseButton.RightButton, pos=right)  # ablate
    assert view.state.clamps == {latent: 0.0}
    view.reset_button.click()
    assert view.state.clamps == {}
    np.testing.assert_allclose(view.result.reconstruction, before, atol=1e-6)
    assert "clamps left out" not in view.ood_label.text()
    # another run's model of the same size: its latent i is another feature, and nothing is clamped
    # (a clamp set on one run's model steered the next run's); the same run's next epoch keeps it
    from dataclasses import replace

    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    qtbot.mouseClick(view.bars.viewport(), LEFT, pos=view.bars.mapFromScene(scene))
    shown = window.shown.snapshot
    window.shown.set(replace(shown, name=f"{shown.short_name}, one epoch on", run_name=shown.short_name))
    assert view.state.clamps == {latent: pytest.approx(0.95, abs=0.03)} and "clamped" in view.error_label.text()
    window.shown.set(ModelSnapshot(shown.config, SparseAutoencoder(shown.config).snapshot(), "another run, epoch 1",
                                   run_name="another run"))
    qtbot.waitUntil(lambda: view.result is not None and view.result.code[latent] == view.result.latents[latent],
                    timeout=2000)
    assert view.state.clamps == {} and "clamped" not in view.error_label.text()


def test_sorted_view_keeps_steering_on_the_right_latent(qtbot, window):
    view = window.probe_view
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    view.sorted_box.setChecked(True)
    strongest = int(np.argmax(view.result.latents))
    assert view.bars.latent_at(0.0) == strongest
    view.bars.set_clamp(view.bars.latent_at(0.0), 0.0)
    assert view.result.code[strongest] == 0.0
    # a bar between two labels, clamped, gets its number (it had none: "which latent is steered?")
    view.reset_button.click()
    view.bars.resize(300, view.bars.height())  # room for every 2nd or 5th label only
    qtbot.wait(20)

    def labels() -> dict[int, str]:
        return dict(view.bars.getAxis("bottom")._tickLevels[0])

    assert len(labels()) < view.result.latents.size
    position = next(p for p in range(1, view.result.latents.size) if p not in labels())
    steered = view.bars.latent_at(float(position))
    view.bars.set_clamp(steered, 0.9)
    assert labels()[position] == str(steered) and all(abs(p - position) > 1 for p in labels() if p != position)
    from sae_desktop.qt.probe_words import clamp_note

    assert clamp_note({12: 1.0, 3: 0.0}) == "latents\u00a03,\u00a012\u00a0clamped"
    assert clamp_note(dict.fromkeys(range(5), 1.0)) == "5\u00a0latents\u00a0clamped"


def test_test_digit_browser_puts_exact_digits_in_the_probe(qtbot, window, tiny_dataset):
    view = window.probe_view
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    view.browser.index.setValue(7)
    np.testing.assert_allclose(view.input_tile.data, tiny_dataset.test_images[7] / 255.0, atol=1e-6)
    assert "test #7" in view.source_label.text() and not view.canvas.is_empty()
    view.browser.label.setCurrentIndex(1 + int(tiny_dataset.test_labels[3]))  # shows one at once
    assert tiny_dataset.test_labels[view.browser.index.value()] == tiny_dataset.test_labels[3]
    view.browser.step(+1)
    assert tiny_dataset.test_labels[view.browser.index.value()] == tiny_dataset.test_labels[3]
    view.browser.pick_random()
    assert tiny_dataset.test_labels[view.browser.index.value()] == tiny_dataset.test_labels[3]
    # presentation mode hides the browser, not its filter: the input's line says what R picks
    label = tiny_dataset.test_labels[3]
    assert "R picks" not in view.source_label.text()
    window.view.set_presentation(True, remember=False)
    try:
        qtbot.waitUntil(lambda: view.source_label.text().endswith(f"label {label} (R picks only {label}s)"),
                        timeout=2000)  # (once laid out in the larger font: its two lines hold it)
        view.browser.label.setCurrentIndex(0)  # any label again (as before presenting): nothing to say
        assert "R picks" not in view.source_label.text()
    finally:
        window.view.set_presentation(False, remember=False)
    draw_seven(qtbot, view.canvas)  # editing the canvas switches back to the drawing
    qtbot.waitUntil(lambda: view.state.source.kind == "drawing", timeout=2000)


def test_the_probe_menu_does_what_the_hidden_browser_did_in_presentation_mode(qtbot, window, tiny_dataset,
                                                                              monkeypatch):
    """Presentation mode hides the browser: no label, no next digit, no image file without leaving it."""
    from PySide6.QtWidgets import QFileDialog

    view, menu = window.probe_view, window.probe_menu
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    window.view.set_presentation(True, remember=False)
    try:
        assert view.browser.isHidden()
        window.tabs.setCurrentWidget(window.atlas_view)  # from another tab: the items show the Probe
        menu.menu.aboutToShow.emit()
        labels = [a.text() for a in menu.filter_menu.actions()]
        assert labels[0] == "any label" and len(labels) == 11 and menu.filter_menu.actions()[0].isChecked()
        wanted = int(tiny_dataset.test_labels[3])
        menu.filter_menu.actions()[1 + wanted].trigger()
        assert window.tabs.currentWidget() is view
        first = view.browser.index.value()
        assert view.state.source.kind == "test" and tiny_dataset.test_labels[first] == wanted  # shown at once
        qtbot.waitUntil(lambda: view.source_label.text().endswith(f"(R picks only {wanted}s)"), timeout=2000)
        menu.menu.aboutToShow.emit()
        assert menu.filter_menu.actions()[1 + wanted].isChecked()  # the menu mirrors the filter
        menu.next_action.trigger()
        after = view.browser.index.value()
        assert after > first and tiny_dataset.test_labels[after] == wanted
        menu.previous_action.trigger()
        assert view.browser.index.value() == first
        window.tabs.setCurrentWidget(window.atlas_view)
        menu.random_action.trigger()
        assert window.tabs.currentWidget() is view and tiny_dataset.test_labels[view.browser.index.value()] == wanted
        assert menu.random_action.shortcut().isEmpty() and menu.random_action.text().endswith("\tR in Probe")
        window.tabs.setCurrentWidget(window.runs_view)  # R is the Probe tab's key, not the menu's:
        shown = view.browser.index.value()
        qtbot.keyClick(window.runs_view.table, Qt.Key.Key_R)  # in the Runs table it stays there
        assert window.tabs.currentWidget() is window.runs_view and view.browser.index.value() == shown
        asked = []
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (asked.append(a[1]), ("", ""))[1])
        assert menu.load_action.shortcut().toString() == "Ctrl+L"
        menu.load_action.trigger()
        assert asked == ["Probe an image"]
    finally:
        window.view.set_presentation(False, remember=False)


def test_missing_test_set_disables_the_browser_with_a_reason(qtbot, tmp_path, monkeypatch, no_thread_left):
    monkeypatch.setenv("SAE_DESKTOP_DATA", str(tmp_path / "none"))
    create_app()
    w = build_window()
    qtbot.addWidget(w)
    browser = w.probe_view.browser
    qtbot.waitUntil(lambda: "unavailable" in browser.message.text(), timeout=5000)
    assert not browser.random.isEnabled() and browser.load_file.isEnabled()
    assert "t10k-images-idx3-ubyte" in browser.message.toolTip()  # (the test digits need the two test files)
    # the canvas no longer offers R for a test digit (it did nothing, and said nothing) …
    canvas = w.probe_view.canvas
    assert canvas.hint == "Draw a digit here\n(right button erases)"
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)
    w.tabs.setCurrentWidget(w.probe_view)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_R)  # … and R says why there is none
    said = w.statusBar().currentMessage()
    assert said.startswith("No test digit to show: Test images unavailable")
    assert w.probe_view.state.source.kind != "test"


def test_the_canvas_offers_r_where_there_are_test_digits(qtbot, window):
    canvas = window.probe_view.canvas
    qtbot.waitUntil(lambda: window.probe_view.browser.random.isEnabled(), timeout=5000)
    assert canvas.hint.endswith("or press R for a test digit")


def test_image_files_good_bad_and_blank(qtbot, window, tmp_path):
    view = window.probe_view
    ink = np.full((300, 200), 240, np.uint8)
    ink[60:240, 90:110] = 20  # a dark "1" on light paper
    Image.fromarray(ink).save(tmp_path / "one.jpg")
    assert load_file(qtbot, view, tmp_path / "one.jpg")
    assert view.input_tile.data.max() > 0.8 and "one.jpg" in view.source_label.text()
    (tmp_path / "junk.png").write_bytes(b"junk")
    assert not load_file(qtbot, view, tmp_path / "junk.png")
    assert "not an image" in view.ood_label.text()
    Image.fromarray(np.full((50, 50), 250, np.uint8)).save(tmp_path / "blank.png")
    assert not load_file(qtbot, view, tmp_path / "blank.png")
    assert "blank" in view.error_label.text()
    from tests.test_probe import animation
    assert load_file(qtbot, view, animation(tmp_path / "anim.gif", frames=4))  # its first frame, and it says so
    canvas = "; on the canvas as the model takes it"
    assert view.source_label.text() == "Input: file anim.gif (its first frame of 4)" + canvas
    assert load_file(qtbot, view, tmp_path / "one.jpg")
    assert view.source_label.text() == "Input: file one.jpg" + canvas
    from tests.test_screenshots import canvas_with_seven, screenshot
    Image.fromarray(screenshot("dark", canvas_with_seven())).save(tmp_path / "shot.png")
    assert load_file(qtbot, view, tmp_path / "shot.png")  # (the canvas view shows the canvas alone)
    from sae_desktop.images import PARTS
    assert view.source_label.text() == f"Input: file shot.png ({PARTS['canvas']})" + canvas


def test_a_file_is_read_off_the_windows_thread_and_a_later_choice_wins(qtbot, window, tmp_path):
    """A large photo takes up to half a second to read and preprocess: the window stays live
    (the call returns at once, saying it reads), and what the user chose meanwhile (a drawing, or
    another file) is not replaced when the first file is ready."""
    view = window.probe_view
    ink = np.full((300, 200), 240, np.uint8)
    ink[60:240, 90:110] = 20
    Image.fromarray(ink).save(tmp_path / "one.png")
    seven = np.full((300, 300), 240, np.uint8)
    seven[60:80, 60:240] = 20
    seven[80:260, 220:240] = 20
    Image.fromarray(seven).save(tmp_path / "seven.png")
    with qtbot.waitSignal(view.image_loaded, timeout=20_000) as blocker:
        view.load_image(str(tmp_path / "one.png"))
        assert "Reading one.png" in view.error_label.text() and "one.png" not in view.source_label.text()
        view.update_probe()  # (what a new model shown does: the header still says the file is being read)
        assert "Reading one.png" in view.error_label.text()
        view.canvas.begin_stroke(QPointF(100, 60))  # drawn before the file is in: the drawing stays
        view.canvas.continue_stroke(QPointF(110, 220))
        view.canvas.end_stroke()
    assert blocker.args == [False] and "one.png" not in view.source_label.text()
    assert view.state.source.kind == "drawing"
    with qtbot.waitSignals([view.image_loaded, view.image_loaded], timeout=20_000):
        view.load_image(str(tmp_path / "one.png"))
        view.load_image(str(tmp_path / "seven.png"))
    assert "seven.png" in view.source_label.text()
    qtbot.wait(50)  # (the first file's answer came and went: it changed nothing)
    assert "seven.png" in view.source_label.text()


def test_a_fault_while_reading_a_file_is_said_not_left_reading(qtbot, window, tmp_path, monkeypatch):
    from sae_desktop.qt import image_files

    def broken(path):
        raise ValueError("a fault of ours")

    monkeypatch.setattr(image_files, "read_image_file", broken)
    Image.fromarray(np.full((40, 40), 240, np.uint8)).save(tmp_path / "any.png")
    assert not load_file(qtbot, window.probe_view, tmp_path / "any.png")
    assert "Could not use" in window.probe_view.error_label.text()
    assert "a fault of ours" in window.probe_view.ood_label.text()


def test_single_dot_and_full_canvas_are_defined(qtbot, window):
    view = window.probe_view
    view.canvas.set_array(np.pad(np.ones((1, 1)), ((100, 179), (50, 229))))
    view.update_probe()
    assert view.result is not None and np.isfinite(view.result.mse)
    view.canvas.set_array(np.ones((SIZE, SIZE)))
    view.update_probe()
    assert view.result is not None and np.isfinite(view.result.reconstruction).all()


def test_probe_follows_the_shown_model(qtbot, window, tmp_path):
    from sae_desktop.checkpoint import save_checkpoint
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    view = window.probe_view
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    cfg = ModelConfig(d_hidden=16, d_latent=12)
    other = ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), "random model")
    save_checkpoint(other.to_checkpoint(), tmp_path / "random.safetensors")
    assert window.model_files.open(tmp_path / "random.safetensors")
    assert view.result.latents.shape == (12,) and view.bars.latents.shape == (12,)
    assert "random.safetensors" in view.model_label.text()


def test_tablet_pen_draws_with_pressure(qtbot, window):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    canvas = window.probe_view.canvas
    pen = QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                          QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3)

    def stroke(pressure, y):
        for kind, x in ((QTabletEvent.Type.TabletPress, 0.3), (QTabletEvent.Type.TabletMove, 0.5),
                        (QTabletEvent.Type.TabletMove, 0.7), (QTabletEvent.Type.TabletRelease, 0.7)):
            pos = QPointF(canvas_point(canvas, x, y))
            event = QTabletEvent(kind, pen, pos, canvas.mapToGlobal(pos), pressure, 0.0, 0.0, 0.0, 0.0, 0.0,
                                 Qt.KeyboardModifier.NoModifier, LEFT, LEFT)
            QApplication.sendEvent(canvas, event)

    stroke(1.0, 0.3)
    heavy = (canvas.array() > 128).sum()
    canvas.clear()
    stroke(0.3, 0.3)
    light = (canvas.array() > 128).sum()
    assert heavy > 0 and 0 < light < heavy  # pressure makes the line thinner


def test_latent_labels_thin_out_when_the_bars_are_narrow(qtbot):
    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.set_model(ModelConfig(), rho=0.05)
    bars.show()
    labelled = {}
    for width in (1000, 330):  # a wide window, then the probe on a 1024×768 screen
        bars.resize(width, 250)
        qtbot.wait(20)
        empty = list(bars.getAxis("bottom")._tickLevels[0])  # before any code: labelled as it will be
        bars.set_latents(np.linspace(0, 1, 32))
        ticks = bars.getAxis("bottom")._tickLevels[0]
        assert empty == ticks  # (pyqtgraph's 0, 5, 10 became 0, 2, 4 at the first stroke)
        labelled[width] = [int(text) for _, text in ticks]
        pixels_per_label = bars.getViewBox().width() / len(ticks)
        assert pixels_per_label >= 16  # room for a two-digit label
    assert labelled[1000] == list(range(32)) and len(labelled[330]) < 32 and labelled[330][0] == 0


def test_a_wide_dictionarys_latents_are_labelled_every_hundred_or_more(qtbot):
    """1024 latents in the probe's ~330-px plot at 1024×768: the steps ended at 100, none had
    room, and the axis had one label, "0"; a last label at the plot's end was cut ("100(")."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.set_model(ModelConfig(d_latent=1024, latent="relu"), rho=None)
    bars.show()
    for width in (330, 500):
        bars.resize(width, 250)
        qtbot.wait(20)
        bars.set_latents(np.linspace(0, 1, 1024))
        ticks = bars.getAxis("bottom")._tickLevels[0]
        positions = [p for p, _ in ticks]
        assert len(ticks) >= 3 and positions[0] == 0, ticks
        room = bars.getViewBox().width() / 1024
        assert min(np.diff(positions)) * room >= 25  # no two four-digit labels run together
        half = bars.fontMetrics().horizontalAdvance(ticks[-1][1]) / 2
        assert (1023.5 - positions[-1]) * room >= half - 2  # the last label whole inside the plot's end


def test_a_wide_dictionarys_sorted_code_shows_its_leading_bars(qtbot):
    """Sorted, a 1024-latent TopK code's 16 active bars shared ~10 px at the plot's left, beside
    1008 zeros: the sorted axis shows the leading bars (at least 32) and says so; unsorted, all."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.set_model(ModelConfig(d_latent=1024, latent="topk", k=16), rho=None)
    bars.show()
    bars.resize(330, 250)
    qtbot.wait(20)
    code = np.zeros(1024, np.float32)
    code[np.arange(16) * 60 + 7] = np.linspace(3, 1, 16)
    bars.set_latents(code)
    assert bars.getViewBox().viewRange()[0][1] > 1000  # by index: every latent
    assert bars.getAxis("bottom").labelText in ("latent (16 of 1024 active)", "latent (16 active)", "latent")
    bars.resize(600, 250)
    qtbot.wait(20)
    assert bars.getAxis("bottom").labelText == "latent (16 of 1024 active)"  # (the input's L0, where it fits)
    bars.resize(330, 250)
    qtbot.wait(20)
    bars.set_sorted(True)
    (x0, x1), _ = bars.getViewBox().viewRange()
    assert 16 < x1 < 64 and x0 < 0  # the 16 active ones and a few zeros after them
    label = bars.getAxis("bottom").labelText
    assert "first" in label and "1024" in label
    axis = bars.getAxis("bottom")
    left = axis.label.pos().x()  # whole, inside its axis ("latent (sorted: the first 32 of 10" was cut)
    assert 0 <= left and left + axis.label.boundingRect().width() <= axis.width() + 1
    assert [int(t) for _, t in bars.getAxis("bottom")._tickLevels[0]][0] == 7  # the largest's number first
    bars.set_latents(code, {1023: 2.0}, reorder=False)  # a clamp on a bar far down the order
    assert bars.getViewBox().viewRange()[0][1] > list(bars.order).index(1023)  # it stays in view
    bars.set_sorted(False)
    assert bars.getViewBox().viewRange()[0][1] > 1000 and bars.getAxis("bottom").labelText.startswith("latent")
    assert "first" not in bars.getAxis("bottom").labelText
    bars.set_latents(code)  # (no clamp)
    bars.set_sorted(True)
    assert bars.getViewBox().viewRange()[0][1] < 64
    bars.set_latents(None, {900: 1.5})  # no input, a clamp waiting far down: every place in view, it drawn at 900
    assert bars.getViewBox().viewRange()[0][1] > 1000 and list(bars.bars.opts["x"]) == [900]
    bars.set_model(ModelConfig(d_latent=512, latent="topk", k=8), rho=None)  # another model, no code yet
    bars.set_latents(None)
    assert bars.getAxis("bottom").labelText == "latent" and bars.getViewBox().viewRange()[0][1] > 500


def test_neighbouring_clamped_bars_labels_never_run_together(qtbot):
    """Sorted, two clamped latents can sit side by side where only every 2nd bar has room for a
    label: both numbers were drawn and read as one ("1419"); the header names every clamp."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.set_model(ModelConfig(), rho=0.05)
    bars.show()
    bars.resize(330, 250)
    qtbot.wait(20)
    bars.set_sorted(True)
    latents = np.linspace(1, 0, 32)
    bars.set_latents(latents, {14: 0.9, 15: 0.9, 16: 0.9})  # sorted: at positions 14, 15, 16
    positions = [p for p, _ in bars.getAxis("bottom")._tickLevels[0]]
    room = bars.getViewBox().width() / 32
    assert len(positions) < 32 and 14 in positions  # narrow; the first clamped bar named
    assert min(np.diff(positions)) * room >= 16  # no two labels nearer than a two-digit label's room


def test_the_activation_axis_ends_where_the_bars_can(qtbot):
    """The legend's band above the bars had ticks of its own: "1.5" over sigmoid latents that end at 1."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.set_model(ModelConfig(), rho=0.05)
    bars.resize(600, 250)
    bars.show()
    bars.set_latents(np.linspace(0, 1, 32))
    qtbot.wait(50)
    axis, box = bars.getAxis("left"), bars.getViewBox()
    assert box.viewRange()[1][1] > 1.2  # (the band is there)
    shown = [v for _, values in axis.tickValues(*box.viewRange()[1], box.height()) for v in values]
    assert max(shown) == pytest.approx(1.0) and 0.5 in shown


def test_the_first_bars_label_is_drawn_even_when_it_is_two_digits_wide(qtbot):
    """Sorted by activation at 1024×768, the most active latent's label ("19", under the first
    bar) was dropped: pyqtgraph hides a tick label that reaches past the axis's end."""
    from PySide6.QtGui import QImage, QPainter

    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.set_model(ModelConfig(), rho=0.05)
    bars.set_sorted(True)
    bars.show()
    latents = np.linspace(0.5, 0, 32)
    latents[[0, 19]] = latents[[19, 0]]  # latent 19 the most active
    for width in (1000, 400, 330):
        bars.resize(width, 250)
        qtbot.wait(20)
        bars.set_latents(latents)
        painter = QPainter(image := QImage(10, 10, QImage.Format.Format_ARGB32))
        try:
            texts = [text for _, _, text in bars.getAxis("bottom").generateDrawSpecs(painter)[2]]
        finally:
            painter.end()
        assert texts[0] == "19", (width, texts[:3])
    del image


def test_the_verdicts_colour_is_legible_in_either_theme(qtbot, window):
    from PySide6.QtGui import QColor

    from sae_desktop.qt import theme

    probe = window.probe_view
    draw_seven(qtbot, probe.canvas)
    qtbot.waitUntil(lambda: probe.result is not None, timeout=2000)
    kind = probe.result.verdict.kind
    assert kind in ("typical", "unusual", "unlike")
    index = {"typical": 0, "unusual": 1}.get(kind, 2)
    try:
        for t in (theme.DARK, theme.LIGHT):
            theme.apply(t)  # the label is written again in the new theme's colour, not at the next stroke
            assert t.verdict[index] in probe.ood_label.text()
            background = QColor(t.window).lightness()
            assert abs(QColor(t.verdict[index]).lightness() - background) > 60  # contrast with the window
    finally:
        theme.apply(theme.LIGHT)


def test_the_verdict_and_error_are_never_cut_in_a_narrow_window_nor_jump_while_drawing(qtbot, window):
    probe = window.probe_view
    window.resize(1024, 768)  # a projector: the text column is at its narrowest
    qtbot.waitUntil(lambda: window.width() <= 1024)
    draw_seven(qtbot, probe.canvas)
    qtbot.waitUntil(lambda: probe.result is not None, timeout=2000)
    qtbot.wait(50)
    probe.ood_label.setText(f"Unlike MNIST: {evidence(0.45, 99.95, 99.9, 99.9, 99.9)}")  # the longest verdict
    qtbot.wait(50)
    for label in (probe.error_label, probe.ood_label, probe.source_label):
        assert label.height() >= label.heightForWidth(label.width()), label.text()  # every line of it shows
    needed = probe.ood_label.heightForWidth(probe.ood_label.width())
    assert needed > probe.ood_label.fontMetrics().lineSpacing() * 3 + 6  # the case: more than its three lines
    tall = probe.ood_label.height()
    probe.ood_label.setText("Typical.")  # a shorter text a stroke later: the layout stays put
    assert probe.ood_label.height() == tall


def test_latent_labels_follow_a_resize_and_a_top_k_model_has_no_empty_legend(qtbot):
    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.set_model(ModelConfig(), rho=0.05)
    assert bars.legend.isVisible() and len(bars.legend.items) == 2
    bars.show()
    bars.resize(330, 250)
    qtbot.wait(20)
    bars.set_latents(np.linspace(0, 1, 32))
    assert len(bars.getAxis("bottom")._tickLevels[0]) < 32
    for width in (1000, 330, 1000):  # no new code: the labels follow the plot area alone
        bars.resize(width, 250)
        wide = width == 1000
        qtbot.waitUntil(lambda wide=wide: (len(bars.getAxis("bottom")._tickLevels[0]) == 32) == wide, timeout=2000)
    bars.resize(600, 120)  # too short for the legend beside the bars: none (it covered all above 0.15)
    qtbot.waitUntil(lambda: not bars.legend.isVisible(), timeout=2000)
    assert bars.viewRange()[1][1] == pytest.approx(1.02, abs=0.01)  # the bars have the height
    bars.resize(600, 250)
    qtbot.waitUntil(bars.legend.isVisible, timeout=2000)
    bars.set_model(ModelConfig(latent="topk", k=4), rho=None)  # nothing to name
    assert not bars.legend.items and not bars.legend.isVisible()


def test_a_narrow_code_plot_names_its_lines_shorter_and_keeps_its_legend_off_the_axis(qtbot):
    """At 1024 px the legend ("active above 0.1", "target mean ρ = 0.05") was wider than the plot area:
    it ran over the activation axis, the dotted line's sample squeezed away. Narrow, it says "active > 0.1";
    wide again, "active above 0.1"."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.show()
    bars.set_model(ModelConfig(), rho=0.05)
    box = bars.getViewBox()

    def names() -> list[str]:
        return [label.text for _, label in bars.legend.items]

    for width, active in ((900, "active above 0.1"), (380, "active > 0.1"), (900, "active above 0.1")):
        bars.resize(width, 420)
        qtbot.waitUntil(lambda: names()[0] == active, timeout=2000)  # noqa: B023
        qtbot.wait(20)
        legend = bars.legend.mapRectToScene(bars.legend.boundingRect())
        assert legend.left() >= box.sceneBoundingRect().left(), width
        assert names()[1] == "target mean ρ = 0.05" and bars.legend.isVisible()


def test_each_epochs_model_keeps_the_latent_legend_it_already_shows(qtbot):
    """Following training set the model each epoch, and the legend's labels were made and laid
    out again every time (on the window's thread, the Probe tab hidden or not)."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.qt.latent_bars import LatentBars

    bars = LatentBars()
    qtbot.addWidget(bars)
    bars.set_model(ModelConfig(), rho=0.05)
    labels = [label for _, label in bars.legend.items]
    bars.set_model(ModelConfig(), rho=0.05)  # the next epoch's model: the same entries
    assert [label for _, label in bars.legend.items] == labels
    bars.set_model(ModelConfig(), rho=0.1)  # another target: named anew
    assert [label.text for _, label in bars.legend.items][1] == "target mean ρ = 0.1"  # over digits, not this one


def test_a_verdict_too_long_for_its_column_shows_its_headline_and_the_whole_again_when_wide(qtbot):
    from sae_desktop.qt.labels import WrappedLabel

    label = WrappedLabel(3)
    qtbot.addWidget(label)
    whole = f"Unlike MNIST: {evidence(0.45, 99.95, 99.9, 99.9, 99.9)}"
    label.resize(900, 100)
    label.show()
    label.set_text_or_short(f"<b>{whole}</b>", "<b>Unlike MNIST</b>", 4, whole)
    assert label.text() == f"<b>{whole}</b>"  # two lines at 900 px (the tags are not words)
    assert label.toolTip() == whole
    label.resize(150, 100)
    qtbot.waitUntil(lambda: label.text() == "<b>Unlike MNIST</b>")  # many more than four lines at 150 px
    label.resize(900, 100)
    qtbot.waitUntil(lambda: label.text() == f"<b>{whole}</b>")
    label.setText("Nothing drawn yet")  # plain text again: no short form, nor tooltip, left over from before
    assert label.toolTip() == ""
    label.resize(40, 100)
    qtbot.wait(20)
    assert label.text() == "Nothing drawn yet"


def test_the_model_line_starts_where_the_error_line_does(qtbot, window):
    """"Model: …" (an eliding label) was drawn 4 px to the right of "Input: …" above it (which is now
    under the canvas): it starts where the column's other text does."""
    from PySide6.QtGui import QColor

    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.model_label.isVisible() and view.error_label.isVisible())

    def first_ink(label) -> int:
        """The window x of the label's leftmost text pixel."""
        image = label.grab().toImage()
        paper = QColor(image.pixel(0, 0))
        columns = [x for x in range(image.width()) for y in range(image.height())
                   if abs(QColor(image.pixel(x, y)).lightness() - paper.lightness()) > 60]
        return label.mapTo(window, label.rect().topLeft()).x() + min(columns)

    assert abs(first_ink(view.model_label) - first_ink(view.error_label)) <= 1  # "M" and "R": both upright strokes


@pytest.mark.parametrize("size", [(1400, 900), (1024, 768)])
def test_the_probes_pictures_stay_where_they_are_whatever_its_text_says(qtbot, window, tmp_path, size):
    """A file's long line ("…(the sheet alone, cut out of the photo); on the canvas as …") and an unreadable
    file's long message made the text column taller: the tiles and the bars moved down and shrank, and back
    with the next short message. Each label keeps to its lines (the whole on hover). At 1024 px the index
    box's "#8451" turning "last #8451" (a file, a stroke) widened the left column: every picture moved."""
    from tests.test_screenshots import canvas_with_seven, screenshot

    view = window.probe_view
    window.resize(*size)
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.bars_place.is_built, timeout=3000)

    def places():
        def now():
            return [(w.mapTo(view, QPoint(0, 0)), w.size()) for w in (view.input_tile.pixels, view.recon_tile.pixels,
                                                                       view.bars, view.stages_view, view.canvas)]

        # (a new size hint reaches the window's layout over several passes of the event loop: as they settle,
        # however busy the machine is; a fixed 40 ms wait measured a layout still moving under load)
        seen = None
        for _ in range(25):
            qtbot.wait(40)
            if (placed := now()) == seen:
                break
            seen = placed
        return seen

    view.browser.index.setValue(5)
    view.browser.index.setMaximum(9999)  # (MNIST's: the tiny test set's 3-digit box left room either way)
    draw_seven(qtbot, view.canvas)  # over test #5: "last #5"
    qtbot.waitUntil(lambda: view.result is not None and view.state.source.kind == "drawing", timeout=2000)
    before, index_width = places(), view.browser.index.sizeHint().width()
    long_name = "PXL_20261204_101500123_a_photo_of_my_daughters_homework_sheet_PORTRAIT_ORIGINAL"
    Image.fromarray(screenshot("dark", canvas_with_seven())).save(tmp_path / f"{long_name}.png")
    assert load_file(qtbot, view, tmp_path / f"{long_name}.png")
    assert places() == before
    said = lambda label: label.toolTip() or label.text()  # noqa: E731 (shown whole, or whole on hover)
    assert "cut out of" in said(view.source_label)
    (tmp_path / f"{long_name}.jpg").write_bytes(b"not a photo at all")
    assert not load_file(qtbot, view, tmp_path / f"{long_name}.jpg")
    assert places() == before
    assert "not an image" in said(view.ood_label) and long_name in said(view.error_label).replace("\u200b", "")
    view.browser.index.setValue(3)  # "#3"
    assert view.browser.index.prefix() == "#" and places() == before
    assert view.browser.index.sizeHint().width() == index_width
    for label in (view.error_label, view.ood_label, view.source_label):
        assert label.height() <= label.fontMetrics().lineSpacing() * label.lines + 6


def test_a_training_runs_model_keeps_its_epoch_in_the_probe_before_its_date(qtbot, window):
    """While a BatchTopK run trained, the Probe said "Model: 20261206-053820-mnist-batchtopk" (the status bar
    "…, epoch 1"): read as the finished model. Its date goes before its epoch."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    label = window.probe_view.model_label
    cfg = ModelConfig()
    run = "20261206-053820-mnist-batchtopk"
    window.shown.set(ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), f"{run}, epoch 1", run_name=run))
    for text in ("Model: …053820-mnist-batchtopk, epoch 1", "…053820-mnist-batchtopk, epoch 1"):
        label.resize(label.fontMetrics().horizontalAdvance(text) + 10, label.height())
        assert label.text().replace("\u200b", "") == text and label.toolTip() == f"Model: {run}, epoch 1"


def test_a_long_model_name_keeps_the_run_name_whole_before_it_is_cut(qtbot, window, tmp_path):
    """"Model: 20261203-063…mpleted (10 epochs)" hid the run's time; the status goes first."""
    from sae_desktop.checkpoint import save_checkpoint
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    label = window.probe_view.model_label
    cfg = ModelConfig()
    run = "20261203-063045-mnist-kl"
    window.shown.set(ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), f"{run}, completed (10 epochs)",
                                   run_name=run))  # as the run state names a finished run's model
    whole = "Model: 20261203-063045-mnist-kl, completed (10 epochs)"
    metrics = label.fontMetrics()
    one_line = label.height()

    def shown_at(text: str) -> str:
        label.resize(metrics.horizontalAdvance(text) + 10, label.height())
        return label.text().replace("\u200b", "")

    assert shown_at(whole) == label.toolTip() == whole
    assert shown_at("Model: 20261203-063045-mnist-kl") == "Model: 20261203-063045-mnist-kl"
    assert shown_at("20261203-063045-mnist-kl") == "20261203-063045-mnist-kl"  # the run's name alone, whole …
    assert shown_at("…063045-mnist-kl") == "…063045-mnist-kl"  # … then without its date (cut in the middle, it
    assert label.height() == one_line  # read "20261203…mnist-kl": no time) …
    # … narrower still, wrapped at a hyphen, never cut ("…194056…tchtopk" in presentation mode at 1024 px)
    assert shown_at("…063045-mn") == "…063045-mnist-kl"
    assert label.height() >= 2 * metrics.lineSpacing() and label.heightForWidth(label.width()) <= label.height()
    status = window.model_label  # the status bar's keeps the status (the Probe's leaves it out)
    stopped = f"{run}, stopped at step 757 (during epoch 2)"
    window.shown.set(ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), stopped, run_name=run))
    status.setFixedWidth(status.fontMetrics().horizontalAdvance(stopped) + 10)  # not "Model: " too
    # the bracket gives way first (was "Model: 20261203-063045-mnist-kl…ed at step 757 (during epoch 2)",
    # then the whole status without "Model:", which read as a message)
    assert status.shown_text() == f"Model: {run}, stopped at step 757"
    status.setFixedWidth(status.fontMetrics().horizontalAdvance(f"{run}, stopped at step 757") + 10)
    assert status.shown_text() == f"{run}, stopped at step 757"  # then "Model:", before the status
    following = ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), f"{run}, epoch 3", run_name=run)
    (tmp_path / run).mkdir()
    save_checkpoint(following.to_checkpoint(), tmp_path / run / "checkpoint.safetensors")
    loaded = ModelSnapshot.load(tmp_path / run / "checkpoint.safetensors")  # "… (epoch N)", from its folder
    for snap in (following, loaded):
        assert snap.name != f"{run}" and snap.short_name == run
        window.shown.set(snap)  # (its status kept before the run's date: "epoch 3" dropped read as finished)
        assert shown_at(f"Model: {run}") == f"Model: …063045-mnist-kl{snap.name.removeprefix(run)}"


def test_a_canvas_painted_over_is_a_filled_shape_not_faint(qtbot, window):
    from benchmarks.synthetic_inputs import polyline

    view = window.probe_view
    rng = np.random.default_rng(0)
    scribble = polyline((SIZE, SIZE), [(rng.uniform(0.07, 0.93) * SIZE, rng.uniform(0.07, 0.93) * SIZE)
                                       for _ in range(40)], 30.0 * SIZE / 280)
    view.canvas.set_array(scribble)
    qtbot.waitUntil(lambda: view.result is not None and view.result.verdict.kind != "nothing", timeout=2000)
    assert view.result.verdict.kind == "filled", view.result.verdict.message  # it said "Too faint"


def test_the_canvas_shows_a_ring_while_the_keyboard_is_on_it(qtbot, window):
    """With Tab on the canvas nothing showed where the keys went (fresh-eyes pass); a ring does now,
    but not after a click, where the pointer says it already."""
    from PySide6.QtCore import Qt

    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    window.show()
    qtbot.waitExposed(window)
    canvas = view.canvas
    square = canvas._square()

    def edge():
        return canvas.grab().toImage().pixelColor(int(square.left()) + 1, int(square.center().y())).name()
    ring = canvas.palette().highlight().color().name()
    view.browser.random.setFocus(Qt.FocusReason.TabFocusReason)
    assert edge() != ring
    canvas.setFocus(Qt.FocusReason.TabFocusReason)
    assert canvas.keyboard_focus and edge() == ring
    view.browser.random.setFocus(Qt.FocusReason.TabFocusReason)
    assert edge() != ring
    canvas.setFocus(Qt.FocusReason.MouseFocusReason)
    assert canvas.hasFocus() and edge() != ring


def test_tab_reaches_the_canvas(qtbot, window):
    """As the Probe page's focus proxy the canvas was skipped by Tab: from the tab bar the keys went
    to the brush slider, and the canvas (and its shortcuts' ring) could not be reached."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    window.tabs.setCurrentWidget(window.probe_view)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.tabBar().setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.probe_view.canvas and window.probe_view.canvas.keyboard_focus


def test_a_blank_file_after_another_is_named_and_the_shown_input_said(qtbot, window, tmp_path):
    """"That image looks blank" sat above "Input: file photo3.png", beside photo3's pictures:
    it read as the shown file's verdict."""
    view = window.probe_view
    seven = np.full((300, 300), 240, np.uint8)
    seven[60:80, 60:240] = 20
    seven[80:260, 220:240] = 20
    Image.fromarray(seven).save(tmp_path / "seven.png")
    Image.fromarray(np.full((300, 300), 200, np.uint8)).save(tmp_path / "blank.png")
    assert load_file(qtbot, view, tmp_path / "seven.png")
    assert not load_file(qtbot, view, tmp_path / "blank.png")
    assert view.error_label.text() == "blank.png looks blank"
    assert view.ood_label.text().endswith("The probe still shows file seven.png.")
    assert view.source_label.text().startswith("Input: file seven.png;")
    open(tmp_path / "junk.png", "wb").write(b"not an image")
    assert not load_file(qtbot, view, tmp_path / "junk.png")
    assert view.error_label.text() == "Could not use junk.png" and "still shows file seven.png" in view.ood_label.text()
    assert "SGI). The probe still shows" in view.ood_label.text()  # two sentences, not "SGI) The probe…"


def test_drawing_over_a_photo_adds_strokes_to_its_digit(qtbot, window, tmp_path):
    """A stroke over a loaded photo (grey paper, a dark pencil 1, taller than wide) extends the
    digit: the canvas shows the paper removed, as the pen draws (white ink on black), so the
    paper and the letterbox beside a portrait photo are not read as ink ("a filled shape")."""
    view = window.probe_view
    rng = np.random.default_rng(0)
    photo = np.clip(170 + rng.normal(0, 3, (400, 300)) + np.linspace(-20, 20, 300)[None, :], 0, 255)
    photo[80:320, 140:152] = 70  # a pencil "1"
    Image.fromarray(photo.astype(np.uint8)).save(tmp_path / "one.png")
    assert load_file(qtbot, view, tmp_path / "one.png")
    loaded = view.input_tile.data.copy()
    canvas = view.canvas.array() / 255.0
    assert canvas[:, :20].max() < 0.05 and canvas.mean() < 0.2  # paper and letterbox alike: black
    drag(qtbot, view.canvas, [canvas_point(view.canvas, x, 0.26) for x in (0.38, 0.45, 0.5)])  # a flag: a 1 as
    qtbot.waitUntil(lambda: "your drawing over file one.png" in view.source_label.text(), timeout=2000)  # many write it
    verdict = view.result.verdict
    assert verdict.kind not in ("filled", "faint", "shape"), verdict.message
    drawn = view.input_tile.data
    assert drawn.mean() < 0.25 and (drawn > 0.5).any(axis=1).sum() >= 16  # the tall 1 with its flag, not a block
    assert (loaded > 0.5).any(axis=1).sum() >= 16


def test_a_pen_stroke_over_a_thin_stroked_file_leaves_its_strokes_whole(qtbot, window, tmp_path):
    """A scan whose 4 is drawn with 2-px lines in a 500-px image: on the canvas its strokes are as wide as
    the pen's, so a bar drawn across it is one more stroke of the digit. (The canvas showed the file at
    its own width, a few px beside the pen's 22: the bar set the width, and the 4 came out broken, grey.)"""
    view = window.probe_view
    scan = Image.new("L", (500, 500), 235)
    from PIL import ImageDraw
    ImageDraw.Draw(scan).line([(330, 60), (110, 320), (400, 320)], fill=40, width=2)
    ImageDraw.Draw(scan).line([(300, 180), (300, 450)], fill=40, width=2)
    scan.save(tmp_path / "four.png")
    assert load_file(qtbot, view, tmp_path / "four.png")
    loaded = view.input_tile.data.copy()
    drag(qtbot, view.canvas, [canvas_point(view.canvas, x, 0.45) for x in (0.4, 0.5, 0.6)])
    qtbot.waitUntil(lambda: "your drawing over file four.png" in view.source_label.text(), timeout=2000)
    drawn = view.input_tile.data
    rows = np.zeros_like(loaded, bool)
    rows[:9], rows[19:] = True, True  # away from the bar (rows 11-15)
    kept = (loaded > 0.5) & rows
    assert kept.sum() >= 12 and (drawn[kept] > 0.5).mean() > 0.85, (drawn[kept] > 0.5).mean()
    assert ((drawn > 0.5) & ~rows).sum() > ((loaded > 0.5) & ~rows).sum() + 6  # and the bar is there


def test_a_quick_flick_up_a_bar_sets_it_to_where_the_mouse_let_go(qtbot, window):
    """Pressed on a bar and let go higher up with no move between (a fast flick: pyqtgraph drops
    moves closer than its rate limit, and took the gesture for a click where it was pressed): the
    latent is clamped at the release's height, not ablated at the press's."""
    view = window.probe_view
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    latent = int(np.argmin(view.result.latents))
    box = view.bars.getPlotItem().getViewBox()
    at = lambda y: view.bars.mapFromScene(box.mapViewToScene(QPointF(float(latent), y)))  # noqa: E731
    qtbot.mousePress(view.bars.viewport(), LEFT, pos=at(0.02))
    qtbot.mouseRelease(view.bars.viewport(), LEFT, pos=at(0.9))
    assert view.state.clamps == {latent: pytest.approx(0.9, abs=0.03)}
    qtbot.mouseClick(view.bars.viewport(), LEFT, pos=at(0.4))  # a click still sets the height clicked
    assert view.state.clamps == {latent: pytest.approx(0.4, abs=0.03)}


def test_clamping_latents_does_not_push_the_probes_text_down(qtbot, window):
    """"(latents 2, 14, 28 clamped)" made the error's header three lines: the verdict, the input's
    and the model's lines below it jumped down as a bar was steered."""
    view = window.probe_view
    window.resize(1280, 720)
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    qtbot.wait(20)
    height, top = view.error_label.height(), view.source_label.mapTo(view, view.source_label.rect().topLeft()).y()
    for latent in (2, 14, 28):
        view.state.set_clamp(latent, 0.9)
    view.update_probe()
    qtbot.wait(20)
    assert "latents\u00a02,\u00a014,\u00a028\u00a0clamped" in view.error_label.text()
    assert view.error_label.height() == height
    assert view.source_label.mapTo(view, view.source_label.rect().topLeft()).y() == top


def test_a_tap_leaves_a_dot_and_a_tap_that_changes_nothing_leaves_no_undo_step(qtbot, window):
    """A click without moving drew nothing (a zero-length line), yet Undo became enabled."""
    view = window.probe_view
    canvas = view.canvas
    assert canvas.is_empty() and not canvas.can_undo()
    qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, pos=canvas_point(canvas, 0.5, 0.5))  # erases nothing
    assert canvas.is_empty() and not canvas.can_undo() and view.source_label.text() == "Input: nothing yet"
    qtbot.mouseClick(canvas, LEFT, pos=canvas_point(canvas, 0.5, 0.5))
    ink = canvas.array()
    side = (ink > 128).any(axis=0).sum()
    assert side == pytest.approx(canvas.brush_width, abs=3) and (ink > 128).any(axis=1).sum() == side  # round
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    assert view.result.verdict.message.startswith("A dot") and canvas.can_undo()


def test_every_bar_is_named_on_hover_and_every_clamp_in_the_headers_tooltip(qtbot, window):
    """Sorted in a narrow probe, three clamped bars side by side label only every other one, and
    with more than three clamps the header counts them ("5 latents clamped"): the middle one was
    named nowhere. Hovering a bar names it and its value; the header's tooltip lists each clamp."""
    from PySide6.QtCore import QEvent, QPoint, QPointF
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    view = window.probe_view
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    bars = view.bars
    clamps = {3: 0.9, 7: 0.0, 11: 0.5, 20: 1.0, 30: 0.25}
    for latent, value in clamps.items():
        view.state.set_clamp(latent, value)
    view.update_probe()
    assert "5\u00a0latents\u00a0clamped" in view.error_label.text()
    assert view.error_label.toolTip() == ("Clamped: latent 3 to 0.90, latent 7 to 0.00, latent 11 to 0.50, "
                                          "latent 20 to 1.00, latent 30 to 0.25")
    box = bars.getPlotItem().getViewBox()

    def rest_at(point: QPoint) -> None:
        """The mouse rests there: Qt's tooltip event."""
        port = bars.viewport()
        QApplication.sendEvent(port, QHelpEvent(QEvent.Type.ToolTip, point, port.mapToGlobal(point)))

    def hover(latent: int, y: float = 0.3) -> str:
        """Rest the mouse on ``latent``'s bar: the tooltip Qt shows there."""
        position = int(np.flatnonzero(bars.order == latent)[0])
        rest_at(bars.mapFromScene(box.mapViewToScene(QPointF(float(position), y))))
        return QToolTip.text() if QToolTip.isVisible() else ""

    assert hover(11) == f"Latent 11: clamped to 0.50 (the encoder's {view.result.latents[11]:.2f})"
    free = int(np.argmax(np.where(np.isin(np.arange(32), list(clamps)), -1, view.result.latents)))
    assert hover(free) == f"Latent {free}: {view.result.latents[free]:.2f} (active)"
    rest_at(QPoint(2, 2))
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=1000)  # outside the bars: nothing (Qt fades it)
    view.state.reset_clamps()
    view.update_probe()
    assert view.error_label.toolTip() == ""


def test_clamps_kept_with_nothing_drawn_are_said_and_an_export_says_it_is_steered(qtbot, window, tmp_path):
    """Clamps outlive the drawing they were set on: after Clear the header read "Nothing drawn yet"
    with no orange bar in sight, and the next digit came out steered unawares. The exported code
    plot read "Latent code of your drawing" over orange bars."""
    import xml.etree.ElementTree as ET

    from sae_desktop.qt.plot_files import export_plot

    view = window.probe_view
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    for latent in (5, 6, 7):
        view.state.set_clamp(latent, 0.9)
    view.update_probe()
    root = ET.parse(export_plot(view.bars, tmp_path / "code.svg")).getroot()
    text = " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
    assert "Latent code of your drawing, latents 5, 6, 7 clamped (orange)" in text
    view.tools.clear_action.trigger()
    qtbot.waitUntil(lambda: view.result is None, timeout=2000)
    # (in the future tense: no bar shows them, and "(latents 5, 6, 7 clamped)" sat beside an empty chart)
    assert view.error_label.text() == "Nothing drawn yet  (latents\u00a05,\u00a06,\u00a07 will be clamped)"
    assert view.error_label.toolTip() == "Clamped: latent 5 to 0.90, latent 6 to 0.90, latent 7 to 0.90"
    # …and the chart shows them, at their values where they will be (it was empty beside "will be clamped")
    bars = view.bars.bars.opts
    assert list(bars["x"]) == [5, 6, 7] and list(bars["height"]) == pytest.approx([0.9] * 3)
    assert view.bars.code_for_csv.getData()[0] is None  # (no input's code to write)
    view.state.reset_clamps()
    view.update_probe()
    assert view.error_label.text() == "Nothing drawn yet" and view.error_label.toolTip() == ""
    assert not len(view.bars.bars.opts["x"])


def test_the_image_dialog_offers_every_format_the_reader_reads(tmp_path):
    """HEIC files were read, but the dialog's filter hid them; so were a PPM, a TGA, an AVIF… Every
    ending it offers is one the reader reads: a file of each format saved under it is read."""
    from PIL import Image

    from sae_desktop.image_formats import readable
    from sae_desktop.images import FORMATS, load_image_file
    from sae_desktop.qt.image_files import image_filter

    offered = image_filter().split(";;")[0].removeprefix("Images (").removesuffix(")").split()
    for name in FORMATS.split(", "):  # (the formats an unreadable file's message names)
        assert f"*.{ {'JPEG 2000': 'jp2'}.get(name, name.lower())}" in offered, name
    for ending in ("ppm", "pgm", "tga", "pcx", "ico", "qoi", "sgi", "psd"):  # (Pillow's own readers)
        assert f"*.{ending}" in offered, ending
    formats = set(readable())  # (JPEG 2000, AVIF, HEIC where this Pillow has them)
    assert set(offered) == {"*" + e for e, f in Image.registered_extensions().items() if f in formats}
    digit = Image.fromarray(np.pad(np.full((20, 6), 255, np.uint8), 12)).convert("RGB")
    for fmt in ("PPM", "TGA", "PCX", "QOI", "SGI"):
        assert fmt in readable()
        ending = next(p for p in offered if Image.registered_extensions().get(p[1:]) == fmt)
        digit.save(tmp_path / f"digit{ending[1:]}", fmt)
        assert load_image_file(tmp_path / f"digit{ending[1:]}").max() > 0.5, fmt


def test_a_file_dropped_on_the_window_is_probed_or_opened(qtbot, gui_window, tmp_path):
    """Dragging a photo from the file manager onto the window did nothing: only File ▸ Load image
    file and the browser's button read one. An image is probed (the Probe tab comes up), a
    .safetensors model opened; a drag of text or a web link is refused."""
    from PIL import Image
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from sae_desktop.snapshot import bundled_model_path

    window = gui_window
    seven = np.full((200, 200), 255, np.uint8)
    seven[40:52, 40:160] = 0
    seven[40:170, 130:142] = 0
    Image.fromarray(seven).save(tmp_path / "seven.png")

    def drag(mime: QMimeData, drop: bool = False):
        """A drag over the window's centre (and its drop): the event the window answered last."""
        point = QPoint(window.rect().center())
        for kind in (QDragEnterEvent, QDropEvent)[:1 + drop]:
            event = kind(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(window, event)
        return event

    text = QMimeData()
    text.setText("7")
    assert not drag(text).isAccepted()
    web = QMimeData()
    web.setUrls([QUrl("https://example.org/seven.png")])
    assert not drag(web).isAccepted()
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(tmp_path / "seven.png"))])
    window.tabs.setCurrentWidget(window.atlas_view)
    assert drag(files).isAccepted()
    with qtbot.waitSignal(window.probe_view.image_loaded, timeout=20_000) as loaded:
        assert drag(files, drop=True).isAccepted()
    assert loaded.args == [True] and window.tabs.currentWidget() is window.probe_view
    assert window.probe_view.state.source.describe() == "file seven.png"
    import shutil
    from pathlib import Path

    copy = Path(shutil.copy(bundled_model_path(), tmp_path / "mine.safetensors"))
    model = QMimeData()
    model.setUrls([QUrl.fromLocalFile(str(copy))])
    assert window.shown.snapshot.path != copy
    drag(model, drop=True)
    qtbot.waitUntil(lambda: window.shown.snapshot.path == copy, timeout=3000)  # opened, as File ▸ Open does
    # a run folder opens its checkpoint (it said "runs: not a regular file"); a PyTorch file is refused
    # as File ▸ Open refuses it, with its reason (it said "not an image"); of several files, the first,
    # and the status bar says so (the others were dropped unsaid)
    run = tmp_path / "20261205-101500-mnist-kl"
    run.mkdir()
    checkpoint = Path(shutil.copy(bundled_model_path(), run / "checkpoint.safetensors"))
    folder = QMimeData()
    folder.setUrls([QUrl.fromLocalFile(str(run))])
    drag(folder, drop=True)
    qtbot.waitUntil(lambda: window.shown.snapshot.path == checkpoint, timeout=3000)
    notices = []
    window.model_files.notify = lambda title, text, error=False: notices.append((title, text))
    (tmp_path / "module.pt").write_bytes(b"PK\x03\x04" + bytes(100))
    several = QMimeData()
    several.setUrls([QUrl.fromLocalFile(str(tmp_path / name))
                     for name in ("module.pt", "seven.png", "mine.safetensors")])
    drag(several, drop=True)
    assert [title for title, _ in notices] == ["Could not open the model"] and "seven" not in notices[0][1]
    assert window.shown.snapshot.path == checkpoint
    assert window.statusBar().currentMessage() == ("3 files dropped: only the first, module.pt, is opened "
                                                   "(one at a time)")


def test_a_test_digits_stages_are_not_preprocessed_again(qtbot, window, tiny_dataset):
    """A test digit is probed as stored: the stage tiles had shown it preprocessed again (a bold
    digit thinned in "stroke width" and "20 px box"), strokes the model never saw."""
    view = window.probe_view
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    view.browser.index.setValue(5)
    tiles = view.stages_view.tiles
    assert all(tile.data is None and tile.pixels.isHidden() and tile.caption.isHidden() for tile in tiles[:4])
    np.testing.assert_allclose(tiles[4].data, tiny_dataset.test_images[5] / 255.0, atol=1e-6)
    assert "as MNIST preprocessed" in view.stages_view.heading.text()
    draw_seven(qtbot, view.canvas)  # drawn over: the drawing's own stages again
    qtbot.waitUntil(lambda: view.state.source.kind == "drawing", timeout=2000)
    assert all(tile.data is not None and not tile.pixels.isHidden() for tile in tiles)
    assert "as MNIST" not in view.stages_view.heading.text()


def test_enter_in_the_index_box_shows_the_last_test_digit_again(qtbot, window, tiny_dataset):
    """After a drawing, the box reads "last #7": typing 7 and Enter changed no value, and nothing
    happened."""
    view = window.probe_view
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    view.browser.index.setValue(7)
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.state.source.kind == "drawing", timeout=2000)
    assert view.browser.index.prefix() == "last #"
    box = view.browser.index
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "7")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert view.state.source.kind == "test" and view.state.source.index == 7
    np.testing.assert_allclose(view.input_tile.data, tiny_dataset.test_images[7] / 255.0, atol=1e-6)


def test_a_flagged_verdict_too_long_for_four_lines_keeps_what_figures_fit(qtbot):
    """Where its figures would take a fifth line, a verdict dropped them all: "Unlike MNIST: fewer
    than 1% of test digits are as unusual", one line longer than a typical one's, kept none where a
    typical verdict kept its own. Now the last figures go first, down to the headline."""
    from sae_desktop.qt.labels import WrappedLabel
    from sae_desktop.verdict import Verdict

    label = WrappedLabel(3)
    qtbot.addWidget(label)
    v = Verdict("unlike", False, 0.55, 99.95, f"Unlike MNIST: {evidence(0.55, 99.95, 99.9, 99.9, 97.0, 99.0)}")
    label.show()
    lines = {}
    for width in range(120, 1200, 10):
        label.resize(width, 100)
        label.set_text_or_short(v.message, v.shorter, 4, v.message)
        lines[width] = label.text()
    shown = set(lines.values())
    assert v.message in shown and v.headline in shown
    assert any(text not in (v.message, v.headline) and "unexplained" in text for text in shown)  # some figures
    for width, text in lines.items():  # never more than four lines, unless nothing shorter is left
        label.resize(width, 100)
        label.set_text_or_short(v.message, v.shorter, 4, v.message)
        assert text == v.headline or label.heightForWidth(width) <= 4 * label.fontMetrics().lineSpacing() + 6 \
            or label._text_height(width) <= 4 * label.fontMetrics().lineSpacing() + 6


def test_a_digit_too_faint_for_its_papers_noise_is_not_called_blank_paper(qtbot, window, tmp_path):
    """A pencil 5 nine grey levels darker than noisy paper, plain to the eye, read "No ink was
    found after removing the paper's tone"; a clean blank image still does."""
    from tests.conftest import load_file

    view = window.probe_view
    rng = np.random.default_rng(0)
    five = np.zeros((300, 300))
    five[60:66, 100:200] = five[60:150, 100:106] = five[150:156, 100:190] = five[150:240, 184:190] = 1
    Image.fromarray(np.clip(200 + rng.normal(0, 4, five.shape) - 9 * five, 0, 255).astype(np.uint8)).save(
        tmp_path / "faint.png")
    Image.fromarray(np.full((300, 300), 230, np.uint8)).save(tmp_path / "blank.png")
    assert not load_file(qtbot, view, tmp_path / "faint.png")
    assert "Nothing stands out from the paper's noise" in view.ood_label.text()
    assert not load_file(qtbot, view, tmp_path / "blank.png")
    assert view.ood_label.text().startswith("No ink was found")


def test_unbounded_latents_axis_fits_each_input_and_stays_steady_while_drawing(qtbot, window):
    """After a digit with a tall bar, another digit (or Ctrl+Z back to one) kept the axis up to 20
    for bars up to 13: the axis only ever grew."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    cfg = ModelConfig(d_hidden=32, d_latent=16, latent="topk", k=4)
    weights = SparseAutoencoder(cfg).snapshot()
    weights = {name: value * 60 if name in ("W_enc2", "b_enc2") else value for name, value in weights.items()}
    window.shown.set(ModelSnapshot(cfg, weights, "relu model"))  # (codes up to ~10: axes above the floor of 1)
    view = window.probe_view
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)
    tops = {}
    for index in range(30):  # the digits whose codes peak highest and lowest
        view.browser.index.setValue(index)
        tops[index] = float(view.result.latents.max())
    tall, short = max(tops, key=tops.get), min(tops, key=tops.get)
    assert tops[tall] > 1.5 * tops[short] > 1.5 / 1.2  # (short's axis then above the floor of 1)
    view.browser.index.setValue(tall)
    high = view.bars.top
    assert high >= 1.2 * tops[tall] * 0.999
    view.browser.index.setValue(short)
    assert view.bars.top == pytest.approx(max(1.0, 1.2 * tops[short]))  # its own axis, not the tall one's
    view.tools.undo_action.trigger()  # back to the tall digit: its axis again
    assert view.state.source.index == tall and view.bars.top == pytest.approx(high)
    view.tools.redo_action.trigger()
    draw_seven(qtbot, view.canvas)  # a drawing over the short digit: its strokes never shrink the axis
    first = view.bars.top
    drag(qtbot, view.canvas, [canvas_point(view.canvas, 0.5, 0.9), canvas_point(view.canvas, 0.52, 0.92)])
    assert view.bars.top >= first


def test_the_bars_show_the_thresholds_a_model_learned(qtbot, window):
    """BatchTopK's threshold at inference and JumpReLU's per-latent thresholds were shown nowhere:
    a latent at 2.0 under a BatchTopK threshold of 2.63 cannot fire, and nothing said so."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.browser.random.isEnabled(), timeout=5000)

    def legend():
        return [label.text for _, label in view.bars.legend.items]

    cfg = ModelConfig(d_hidden=16, d_latent=8, latent="batchtopk", k=2)
    weights = SparseAutoencoder(cfg).snapshot()
    weights["threshold"] = np.array([2.63], np.float32)
    window.shown.set(ModelSnapshot(cfg, weights, "batchtopk model"))
    view.browser.index.setValue(3)
    bars = view.bars
    assert bars.threshold.isVisible() and bars.threshold.value() == pytest.approx(2.63)
    assert legend() == ["fires above θ = 2.63"] and bars.top >= 2.63 * 1.1  # the line in view, bars or none
    cfg = ModelConfig(d_hidden=16, d_latent=8, latent="jumprelu")
    weights = SparseAutoencoder(cfg).snapshot()
    thetas = np.array([0.05, 0.1, 0.2, 0.1, 0.3, 0.1, 0.1, 0.4], np.float32)
    weights["log_threshold"] = np.log(thetas)
    window.shown.set(ModelSnapshot(cfg, weights, "jumprelu model"))
    view.browser.index.setValue(4)
    assert not bars.threshold.isVisible() and legend() == ["threshold θⱼ (each latent's)"]
    view.sorted_box.setChecked(True)  # (sorted: the ticks go with their bars)
    x, y = bars.theta_marks.getData()
    assert np.allclose(y, thetas[bars.order]) and np.array_equal(x, np.arange(8))  # each tick on its own bar
    assert "fires above θ 0.3" in bars.describe(4)
    window.shown.set(ModelSnapshot(ModelConfig(d_hidden=16, d_latent=8), SparseAutoencoder(ModelConfig(
        d_hidden=16, d_latent=8)).snapshot(), "sigmoid model"))
    assert legend() == ["active above 0.1"] and not len(bars.theta_marks.getData()[0])


def test_a_code_where_no_latent_fires_draws_no_bars_and_no_error(qtbot, window):
    """A code of zeros (a top-k model none of whose latents is positive on the input) raised in
    pyqtgraph at every stroke (an empty list of pens), and the probe's view stopped updating."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    view = window.probe_view
    window.tabs.setCurrentWidget(view)
    cfg = ModelConfig(d_hidden=16, d_latent=8, latent="topk", k=2)
    weights = SparseAutoencoder(cfg).snapshot()
    weights["b_enc2"] = np.full(8, -100.0, np.float32)  # every pre-activation negative: nothing fires
    window.shown.set(ModelSnapshot(cfg, weights, "silent model"))
    draw_seven(qtbot, view.canvas)
    assert view.result is not None and not view.result.latents.any()
    assert view.bars.bars.opts["x"] is not None and not len(view.bars.bars.opts["x"])
    assert "Reconstruction error (MSE)" in view.error_label.text()


def test_the_probes_headline_says_the_error_or_why_there_is_none():
    from sae_desktop.qt.probe_words import headline

    assert headline(None, {}, False) == ("No model loaded", ("No model loaded",), "")
    assert headline(None, {}, True) == ("Nothing drawn yet", ("Nothing drawn",), "")
    head, short, tip = headline(None, {3: 0.5}, True)  # clamps wait for the next input, in the future tense
    assert head == "Nothing drawn yet  (latent\u00a03 will be clamped)" and tip == "Clamped: latent 3 to 0.50"
    head, short, tip = headline(0.01234, {3: 0.5, 7: 0.0}, True)
    assert head.startswith("Reconstruction error (MSE) 0.0123  (latents\u00a03,\u00a07\u00a0clamped)")
    assert short[0].startswith("Error (MSE) 0.0123") and tip == "Clamped: latent 3 to 0.50, latent 7 to 0.00"
    # the narrowest column (1024×768, presentation mode) still says which latents: "(latent 16 clam" was cut
    assert short[-2] == "MSE 0.0123  (3,\u00a07\u00a0clamped)"
    assert short[-1] == "MSE 0.0123  (2\u00a0clamped)"  # (narrower still: counted, which on hover)
    assert headline(0.01234, dict.fromkeys(range(5), 0.0), True)[1][-1] == "MSE 0.0123  (5\u00a0clamped)"


def test_a_headline_with_clamps_too_wide_for_its_column_counts_them_instead_of_being_cut(qtbot):
    """At 1024×768 in presentation mode, with three clamps, the header read "MSE 0.0779 / (5, 17, 27 clam":
    its shortest form's note, one unbreakable word, was wider than the column."""
    from sae_desktop.qt.labels import WrappedLabel
    from sae_desktop.qt.probe_words import headline

    label = WrappedLabel(2)
    qtbot.addWidget(label)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)  # (presentation mode's larger text)
    label.setFont(font)
    metrics = label.fontMetrics()
    label.setFixedWidth(metrics.horizontalAdvance("(5,\u00a017,\u00a027\u00a0clamped)") - 10)
    label.show()
    for mse, clamps in ((0.0779, {5: 1.0, 17: 1.0, 27: 0.5}), (None, {5: 1.0, 17: 1.0, 27: 0.5})):
        head, short, tip = headline(mse, clamps, True)
        label.set_text_or_short(head, short, 2, tip)
        shown = label.text()
        widest = max(metrics.horizontalAdvance(word) for word in shown.split(" "))
        assert widest <= label.width(), shown  # every word whole on its line
        assert "3\u00a0" in shown or "5,\u00a017" in shown  # still says that latents are clamped
        assert label.toolTip() == "Clamped: latent 5 to 1.00, latent 17 to 1.00, latent 27 to 0.50"  # which: on hover


def test_an_animation_whose_first_frame_is_blank_says_it_of_that_frame(qtbot, window, tmp_path):
    from PIL import Image

    from tests.conftest import load_file

    seven = np.full((100, 100), 255, np.uint8)
    seven[20:26, 30:70] = seven[20:80, 62:68] = 0
    pictures = [Image.fromarray(np.full((100, 100), 255, np.uint8)), Image.fromarray(seven)]
    pictures[0].save(tmp_path / "late.gif", save_all=True, append_images=pictures[1:], duration=100)
    assert not load_file(qtbot, window.probe_view, tmp_path / "late.gif")
    assert window.probe_view.error_label.text() == "late.gif's first frame (of 2) looks blank"


def test_tab_goes_through_the_drawing_tools_in_their_order_on_screen_and_shows_where_it_is(qtbot, window):
    """Tab went canvas → brush slider → Brush (the slider is below the buttons), Tab onto the checked
    Brush changed nothing on screen (its style sheet hid the focus ring), and the training panel's
    scroll area was a Tab stop that showed nothing."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QScrollArea, QToolButton

    window.tabs.setCurrentWidget(window.probe_view)
    window.show()
    qtbot.waitExposed(window)
    tools = window.probe_view.tools
    window.probe_view.canvas.setFocus(Qt.FocusReason.TabFocusReason)
    order = []
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    buttons = [w for w in order if isinstance(w, QToolButton)]
    assert [b.text() for b in buttons][:2] == ["Brush", "Eraser"] and order[0] is buttons[0]
    slider_at = order.index(tools.width_slider)
    assert all(order.index(b) < slider_at for b in buttons)  # the row of buttons first, then the slider below
    brush = buttons[0]
    assert brush.isChecked()
    brush.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.wait(20)
    focused = brush.grab().toImage()
    tools.width_slider.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.wait(20)
    assert brush.grab().toImage() != focused  # the focus shows on the checked button
    stops, start = [], QApplication.focusWidget()
    for _ in range(80):  # once round the window
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        stops.append(QApplication.focusWidget())
        if stops[-1] is start:
            break
    assert any(getattr(w, "objectName", lambda: "")() == "beta" for w in stops)  # through the training panel
    assert not any(isinstance(w, QScrollArea) for w in stops)


def test_the_latent_bars_steer_from_the_keyboard_and_show_which_bar(qtbot, window):
    """Clamping was the mouse's alone, and the bars were a Tab stop that showed nothing and took no key."""
    from PySide6.QtWidgets import QApplication

    view = window.probe_view
    bars, frame = view.bars, view.bars.keys.frame
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    drawn = view.canvas.array().copy()
    assert not frame.isVisible()
    bars.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(bars.hasFocus, timeout=1000)
    assert frame.isVisible() and list(frame.opts["x"]) == [0]  # the bar the keys act on, framed
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Right):
        qtbot.keyClick(bars, key)
    latent = int(bars.order[2])
    assert list(frame.opts["x"]) == [2]
    own = float(view.result.latents[latent])
    qtbot.keyClick(bars, Qt.Key.Key_Up)
    assert view.state.clamps == {latent: pytest.approx(min(own + bars.top / 20, bars.top), abs=1e-6)}
    qtbot.keyClick(bars, Qt.Key.Key_Up)
    assert view.state.clamps[latent] == pytest.approx(min(own + 2 * bars.top / 20, bars.top), abs=1e-6)
    assert "clamped" in view.error_label.text()
    # the bar named in the status bar (a tooltip beside it covered the axis's labels)
    assert window.statusBar().currentMessage().startswith(f"Latent {latent}: clamped to ")
    qtbot.keyClick(bars, Qt.Key.Key_0)  # ablate
    assert view.state.clamps == {latent: 0.0}
    qtbot.keyClick(bars, Qt.Key.Key_Escape)  # release
    assert view.state.clamps == {}
    qtbot.keyClick(bars, Qt.Key.Key_End)
    assert list(frame.opts["x"]) == [bars.order.size - 1]
    from sae_desktop.qt.plot_files import export_title

    with export_title(bars):  # as a file is written: the frame is the screen's alone
        assert not frame.isVisible()
    assert frame.isVisible()
    np.testing.assert_array_equal(view.canvas.array(), drawn)  # the keys were the bars', not a shortcut's
    qtbot.keyClick(bars, Qt.Key.Key_Delete)  # …and the Probe's own keys still work there (Clear)
    assert view.canvas.array().sum() == 0
    window.tabs.tabBar().setFocus()
    qtbot.waitUntil(lambda: not bars.hasFocus(), timeout=1000)
    assert not frame.isVisible() and QApplication.focusWidget() is not bars
    bars.keys.place(focused=False)  # as a focus-out event says it, whatever hasFocus says meanwhile
    assert not frame.isVisible()
    # the mouse's clamp moves the frame to its bar
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None and view.result.latents is not None, timeout=2000)
    box = bars.getPlotItem().getViewBox()
    qtbot.mouseClick(bars.viewport(), LEFT, pos=bars.mapFromScene(box.mapViewToScene(QPointF(5.0, 0.5))))
    # …unframed (a focus ring is the keyboard's: after a double-click's release the dashed frame round a grey bar
    # read as a clamp's), framed from the first key on
    assert bars.hasFocus() and not frame.isVisible()
    qtbot.keyClick(bars, Qt.Key.Key_Up)
    assert frame.isVisible() and list(frame.opts["x"]) == [5]


def test_the_brush_keys_come_back_to_the_default_width_and_the_width_is_shown(qtbot, window):
    """[ and ] moved the brush 4 px at a time: from the default 22, once the range's end was met, 22 never
    came back (60, 56 … 24, 20); and no figure said the width."""
    tools = window.probe_view.tools
    tools.width_slider.setValue(22)
    assert tools.width_label.text() == "22 px"
    for _ in range(8):
        tools.step_width(+1)
    assert tools.width_slider.value() == 60 and tools.width_label.text() == "60 px"
    for _ in range(4):
        tools.step_width(-1)
    assert tools.width_slider.value() == 22 and window.probe_view.canvas.brush_width == 22
    tools.width_slider.setValue(24)  # between two steps (dragged): the next one down, then up
    tools.step_width(-1)
    assert tools.width_slider.value() == 22
    for _ in range(9):
        tools.step_width(-1)
    assert tools.width_slider.value() == 4 and tools.width_label.text() == "4 px"


def test_the_bars_axis_says_whose_count_it_is_and_forgets_it_after_clear(qtbot, window):
    """With a bar clamped above the line the axis still read "latent (4 of 32 active)" (the encoder's
    count, read as a miscount), and after Clear an empty chart kept "(5 of 32 active)"; a mouse clamp
    named no bar in the status bar (the keys' did)."""
    view = window.probe_view
    bars = view.bars
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    active = int((view.result.latents > bars.config.active_threshold).sum())
    assert bars.getAxis("bottom").labelText == f"latent ({active} of 32 active)"
    quiet = int(np.argmin(view.result.latents))
    box = bars.getPlotItem().getViewBox()
    qtbot.mouseClick(bars.viewport(), LEFT, pos=bars.mapFromScene(box.mapViewToScene(QPointF(float(quiet), 0.9))))
    assert bars.getAxis("bottom").labelText == f"latent ({active} of 32 active on the input)"
    assert window.statusBar().currentMessage().startswith(f"Latent {quiet}: clamped to 0.9")
    view.canvas.clear()
    qtbot.waitUntil(lambda: view.result is None, timeout=2000)
    assert bars.getAxis("bottom").labelText == "latent (no input: clamps waiting)"  # (the clamp drawn, no count)
    # the bar's line was of the drawing cleared: withdrawn with it (it stayed its 5 s beside "Nothing drawn")
    assert window.statusBar().currentMessage() == ""
    window.statusBar().showMessage("Exported the probe's images to /tmp", 8000)  # another line stays
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    assert window.statusBar().currentMessage() == "Exported the probe's images to /tmp"


def test_the_cropped_stages_have_paper_around_their_ink(qtbot, window):
    """The ink box is cut to the ink: a drawn box's white outline lay on the tile's edge, ran into the page
    around it, and "ink box" read as a plain black square. The cropped stages have a margin of paper."""
    view = window.probe_view
    draw_seven(qtbot, view.canvas)
    qtbot.waitUntil(lambda: view.stages_view.tiles[1].data is not None, timeout=5000)
    for tile in view.stages_view.tiles[1:4]:  # ink box, stroke width, 20 px box
        data = tile.data
        edges = np.concatenate([data[0], data[-1], data[:, 0], data[:, -1]])
        assert edges.max() == 0 and data.max() > 0.5, tile.caption.text()
    assert view.stages_view.tiles[1].data.shape[0] > view.state.stages.crop.shape[0]  # (the crop itself, padded)


def test_the_probes_bars_draw_no_target_for_a_kl_run_at_beta_zero(qtbot):
    """A β = 0 run's code was drawn under "target mean ρ = 0.05": no penalty pulled its latents there."""
    import dataclasses

    from sae_desktop.config import TrainConfig
    from sae_desktop.qt.latent_bars import LatentBars
    from sae_desktop.qt.probe_view import ProbeView
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    bars = LatentBars()
    qtbot.addWidget(bars)
    bundled = ModelSnapshot.load(bundled_model_path())
    names = lambda: [label.text for _, label in bars.legend.items]  # noqa: E731
    ProbeView._model_to_bars(bars, dataclasses.replace(bundled, train_config=TrainConfig()))
    assert "target mean ρ = 0.05" in names()
    ProbeView._model_to_bars(bars, dataclasses.replace(bundled, train_config=TrainConfig(beta=0.0)))
    assert not any(name.startswith("target") for name in names())


def test_a_digit_drawn_too_small_for_the_brush_is_told_to_be_drawn_larger(qtbot, window):
    """A 7 drawn in a corner with the 22-px brush read "A dot, not pen strokes: 3.5 px wide once thinned to MNIST's
    strokes (…)", and no more: a drawing too bold for its size says what to do; a file's verdict does not."""
    from sae_desktop.qt.probe_words import BOLD_FOR_ITS_SIZE, verdict_text

    view = window.probe_view
    canvas = view.canvas
    assert canvas.brush_width == 22.0
    drag(qtbot, canvas, [canvas_point(canvas, x, y) for x, y in
                         ((0.06, 0.06), (0.12, 0.06), (0.17, 0.06), (0.13, 0.12), (0.1, 0.18))])
    qtbot.waitUntil(lambda: view.result is not None, timeout=2000)
    verdict = view.result.verdict
    assert verdict.kind == "filled" and "not pen strokes" in verdict.message
    assert "draw it larger, or thin the brush ([)" in view.ood_label.text()
    colours = ("#000", "#111", "#222")
    assert BOLD_FOR_ITS_SIZE not in verdict_text(verdict, False, colours, drawing=False)[0]  # (a file's)
