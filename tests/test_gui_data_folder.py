"""The data folder chosen from the window: checked before Start, named when files are missing."""

from __future__ import annotations

import shutil

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from sae_desktop.config import TrainConfig
from sae_desktop.qt.app import build_window
from sae_desktop.qt.data_folder import saved_data_dir

SMALL = TrainConfig(epochs=1, batch_size=64, d_hidden=32, d_latent=8, device="cpu")


def answer_dataset_box(qtbot, button_text: str, seen: dict) -> None:
    """Answer the "not in the data folder" box that Start opens (modal), recording what it said."""
    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.update(title=box.windowTitle(), text=box.text(), details=box.informativeText(),
                    buttons=[b.text() for b in box.buttons()])
        next(b for b in box.buttons() if button_text in b.text()).click()
    QTimer.singleShot(0, answer)


def choose_dataset(window, name: str) -> None:
    window.panel.inputs["dataset"].setCurrentText(name)


def test_the_field_says_which_files_are_where(gui_window, tiny_data_dir):
    status = gui_window.panel.data_folder.status
    assert "✓ MNIST" in status.text() and str(tiny_data_dir / "MNIST" / "raw") in status.text()
    assert status.text().endswith(f"\n{tiny_data_dir / 'MNIST' / 'raw'}")  # (a line of its own: never cut at its "/")
    field = gui_window.panel.data_folder
    assert "(the default folder)" in field.path_label.toolTip() and not field.default_button.isEnabled()
    choose_dataset(gui_window, "fashion-mnist")
    text = status.text()
    assert "Fashion-MNIST" in text and "missing all four files" in text
    assert str(tiny_data_dir / "FashionMNIST" / "raw") in text


def test_a_partial_dataset_names_the_missing_file(gui_window, tiny_data_dir, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(tiny_data_dir, partial)
    (partial / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    gui_window.panel.data_folder.set_folder(partial)
    text = gui_window.panel.data_folder.status.text()
    assert "missing t10k-labels-idx1-ubyte " in text and "train-images" not in text and str(partial) in text


def test_start_without_the_files_asks_instead_of_training(qtbot, gui_window, tiny_data_dir):
    gui_window.panel.set_config(SMALL.replace(dataset="fashion-mnist"))
    seen: dict = {}
    answer_dataset_box(qtbot, "Cancel", seen)
    gui_window.start_action.trigger()
    assert seen["title"] == "Fashion-MNIST is not in the data folder"
    assert str(tiny_data_dir / "FashionMNIST" / "raw") in seen["text"]
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        assert stem in seen["details"]
    assert not any("Download" in b for b in seen["buttons"])  # the tests run with SAE_DESKTOP_OFFLINE=1
    assert not gui_window.controller.active and gui_window.controller.state == "idle"


def test_choose_folder_from_the_question_then_train_from_it(qtbot, gui_window, tiny_data_dir, tmp_path,
                                                           monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SAE_DESKTOP_DATA", str(empty))  # the default folder now lacks MNIST
    gui_window.panel.data_folder.refresh()
    assert "missing all four files" in gui_window.panel.data_folder.status.text()
    # A user picks the raw folder itself: the folder above MNIST/ is what is meant
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(tiny_data_dir / "MNIST" / "raw")))
    gui_window.panel.set_config(SMALL)
    seen: dict = {}
    answer_dataset_box(qtbot, "Choose folder", seen)
    with qtbot.waitSignal(gui_window.run.ended, timeout=60000):
        gui_window.start_action.trigger()
    assert seen["title"] == "MNIST is not in the data folder"
    assert saved_data_dir() == str(tiny_data_dir)
    assert gui_window.run.end.status == "completed" and gui_window.run.end.epochs_done == 1
    qtbot.waitUntil(gui_window.panel.data_folder.isEnabled, timeout=5000)  # unlocked once the run is over
    assert "✓ MNIST" in gui_window.panel.data_folder.status.text()


def test_the_chosen_folder_is_remembered_and_default_resets_it(qtbot, gui_window, tmp_path, tiny_data_dir):
    chosen = tmp_path / "elsewhere"
    chosen.mkdir()
    gui_window.panel.data_folder.set_folder(chosen / "FashionMNIST")  # a dataset's own folder: the one above
    assert saved_data_dir() == str(chosen)
    again = build_window()
    qtbot.addWidget(again)
    field = again.panel.data_folder
    assert field.path_label.text() == str(chosen) and "default" not in field.path_label.toolTip()
    assert "missing all four files" in field.status.text() and field.default_button.isEnabled()
    field.default_button.click()
    assert saved_data_dir() is None and "✓ MNIST" in field.status.text()
    assert field.path_label.text() == str(tiny_data_dir) and not field.default_button.isEnabled()


def test_the_probes_test_digits_come_from_the_chosen_folder(qtbot, gui_window, tmp_path, tiny_data_dir,
                                                            monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SAE_DESKTOP_DATA", str(empty))
    gui_window.test_set.reload()
    browser = gui_window.probe_view.browser
    qtbot.waitUntil(lambda: "Test images unavailable" in browser.message.text(), timeout=10000)
    assert "statistics stored with the model" in browser.message.text()  # why the verdict still ranks it
    assert not browser.random.isEnabled()
    gui_window.panel.data_folder.set_folder(tiny_data_dir)
    qtbot.waitUntil(lambda: browser.random.isEnabled(), timeout=10000)
    assert browser.message.text() == "" and browser.test is not None and len(browser.test.images) == 160


def test_the_folder_is_locked_while_a_run_is_active(qtbot, gui_window):
    field = gui_window.panel.data_folder
    gui_window.panel.set_editable(False)
    assert not field.isEnabled() and not field.choose_button.isEnabled()
    gui_window.panel.set_editable(True, resume=True)  # continuing a model: its data may have moved
    assert field.isEnabled() and field.choose_button.isEnabled()


def test_the_field_never_widens_the_panel_into_sideways_scrolling(qtbot, gui_window, tmp_path):
    scroll = gui_window.panel.parentWidget().parentWidget()  # the dock's scroll area
    assert scroll.horizontalScrollBar().maximum() == 0
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 8)
    deep.mkdir(parents=True)
    gui_window.panel.data_folder.set_folder(deep)
    qtbot.wait(50)
    assert scroll.horizontalScrollBar().maximum() == 0
    assert gui_window.panel.minimumSizeHint().width() <= scroll.viewport().width()


def test_test_digits_that_arrive_after_their_provider_is_gone_are_ignored(qtbot, monkeypatch):
    """A window closed (and deleted) while its test digits load: the load's result is dropped,
    not emitted from a deleted object (RuntimeError: Signal source has been deleted)."""
    import shiboken6

    from sae_desktop.qt import test_set

    loaded = []
    real = test_set._load

    def slow(name, folder):
        import time

        time.sleep(0.3)
        loaded.append(name)
        return real(name, folder)

    monkeypatch.setattr(test_set, "_load", slow)
    provider = test_set.TestSetProvider()
    assert provider.get("mnist") is None  # loading in a worker
    shiboken6.delete(provider)
    qtbot.waitUntil(lambda: loaded == ["mnist"], timeout=5000)
    qtbot.wait(200)  # its result reaches the event loop: nothing raised there


def test_tab_goes_from_the_data_fields_to_the_folder_buttons_then_the_model(qtbot, gui_window, tmp_path):
    """The folder's buttons were last in the window's Tab order (built after the other groups): Tab
    went from Device to Hidden units, and Choose… could not be reached from the keyboard."""
    from PySide6.QtCore import Qt

    panel = gui_window.panel
    panel.data_folder.set_folder(tmp_path)  # not the default: "Default" can be pressed too
    gui_window.show()
    qtbot.waitExposed(gui_window)
    panel.inputs["device"].setFocus()
    reached = []
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    assert reached == [panel.data_folder.choose_button, panel.data_folder.default_button, panel.inputs["d_hidden"]]


def test_a_data_folder_that_is_a_file_is_said_so_with_no_download_offered(gui_window, tmp_path, monkeypatch):
    """A file for the data folder (a settings.ini edited by hand, a folder since replaced) read
    "missing all four files …; Start offers to download them", into the file."""
    from sae_desktop.qt import data_folder

    monkeypatch.setattr(data_folder, "downloads_allowed", lambda: True)
    picture = tmp_path / "d.bmp"
    picture.write_bytes(b"BM")
    field = gui_window.panel.data_folder
    field.set_folder(picture)
    assert field.status.text() == f"⚠ {picture} is a file, not a folder: choose the folder that holds MNIST/raw/"
    field.set_folder(tmp_path / "empty")
    assert field.status.text().endswith("; Start offers to download them (needs internet)")  # (a folder still is)
