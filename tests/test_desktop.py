"""A desktop citizen: icon, window class, applications-menu launcher, About with system info."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication

from sae_desktop import APP_ID, APP_NAME, launcher, paths
from sae_desktop.cli import main


@pytest.fixture
def data_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_install_launcher_writes_an_entry_and_icons_and_uninstall_removes_them(data_home, capsys):
    assert main(["install-launcher"]) == 0
    entry = data_home / "applications" / f"{APP_ID}.desktop"
    svg = data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    png = data_home / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png"
    assert str(entry) in capsys.readouterr().out
    fields = read_entry(entry)
    assert fields["Type"] == "Application" and fields["Name"] == APP_NAME
    assert fields["Icon"] == APP_ID and fields["StartupWMClass"] == APP_ID and fields["Terminal"] == "false"
    command = parse_exec(fields["Exec"])
    assert Path(command[0]).is_file() and command[1:] in ([], ["-m", "sae_desktop"])
    assert fields["Version"] in ("1.0", "1.1", "1.2", "1.3", "1.4")  # one every validator knows
    main_categories = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics", "Network",
                       "Office", "Science", "Settings", "System", "Utility"}
    assert len(main_categories & set(fields["Categories"].strip(";").split(";"))) == 1
    if shutil.which("desktop-file-validate"):  # (not on a fresh machine)
        checked = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout
    assert svg.read_bytes() == (paths.resources_dir() / f"{APP_ID}.svg").read_bytes()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["install-launcher"]) == 0  # again: replaces, no error
    other = data_home / "icons" / "hicolor" / "256x256" / "apps" / "another-app.png"
    other.write_bytes(b"another app's icon")
    assert main(["install-launcher", "--uninstall"]) == 0
    assert not entry.exists() and not svg.exists() and not png.exists()
    # the icon folders it made and left empty go; one that holds another app's icon, and the shared ones, stay
    assert not svg.parent.exists() and not svg.parent.parent.exists() and other.is_file()
    assert (data_home / "icons" / "hicolor").is_dir() and entry.parent.is_dir()
    assert main(["install-launcher", "--uninstall"]) == 0
    assert "no launcher was installed" in capsys.readouterr().out


def test_install_launcher_that_cannot_write_fails_with_one_line(data_home, capsys):
    data_home.mkdir()
    (data_home / "applications").write_text("a file where the folder should be")  # fails even as root
    assert main(["install-launcher"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sae-desktop install-launcher: could not write the launcher") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("arg", ["/opt/my apps/bin/python", 'C:\\odd "quoted" $path', "100%/python"])
def test_exec_arguments_are_quoted_by_the_desktop_entry_rules(arg):
    line = launcher.desktop_entry([arg, "-m", "sae_desktop"]).split("Exec=", 1)[1].splitlines()[0]
    assert parse_exec(line) == [arg, "-m", "sae_desktop"]


def parse_exec(value: str) -> list[str]:
    """The Desktop Entry spec's reading of Exec: string escapes, then quoting, then %%."""
    value = value.replace("\\\\", "\\")
    args, current, quoted, i = [], "", False, 0
    while i < len(value):
        c = value[i]
        if quoted and c == "\\" and value[i + 1] in '"`$\\':
            current, i = current + value[i + 1], i + 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == " " and not quoted:
            args.append(current)
            current = ""
        else:
            current += c
        i += 1
    return [a.replace("%%", "%") for a in [*args, current] if a]


def test_the_app_sets_its_window_class_and_icon(qapp):
    from sae_desktop.qt.app import create_app

    app = create_app()
    assert app.applicationName() == APP_ID  # X11 WM_CLASS class name, matched by StartupWMClass
    assert app.desktopFileName() == APP_ID  # the Wayland app id
    assert not app.windowIcon().isNull() and not app.windowIcon().pixmap(64, 64).isNull()


def test_the_window_runs_numpy_blas_on_one_thread(qapp):
    """Training's threads hold the cores; a second BLAS thread for the window's small products
    made the GUI thread wait for a core (an Atlas visit: 35-84 ms instead of 4-8)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from sae_desktop.qt.app import create_app

    threadpool_limits(limits=2, user_api="blas")  # as NumPy starts on a machine with 2 cores
    create_app()
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)


def test_help_menu_adds_and_removes_the_launcher(qtbot, data_home, gui_window):
    action = gui_window.launcher_action
    assert action.text() == "Add to applications &menu"
    gui_window.resize(1216, 720)  # the window a 1280×720 screen opens with
    action.trigger()
    assert launcher.installed() and (data_home / "applications" / f"{APP_ID}.desktop").is_file()
    assert action.text() == "Remove from applications &menu"
    assert gui_window.notices[-1].startswith("Added to the applications menu")
    bar = gui_window.statusBar()  # its message is whole at 1216 px (it used to end in "Files written:", cut)
    assert bar.currentMessage().startswith("Added to the applications menu: ")
    room = min(w.geometry().left() for w in (gui_window.model_label, gui_window.device_label) if w.isVisible())
    assert bar.fontMetrics().horizontalAdvance(bar.currentMessage()) < room  # left of the model's name
    assert "Files written" not in bar.currentMessage()
    action.trigger()
    assert not launcher.installed() and action.text() == "Add to applications &menu"
    assert bar.currentMessage().startswith("Launcher removed: ") and bar.currentMessage().endswith("menu.")
    help_menu = [a.menu() for a in gui_window.menuBar().actions() if a.text() == "&Help"][0]
    assert action in help_menu.actions()


def test_about_shows_versions_and_copies_the_system_info(qtbot, gui_window):
    from sae_desktop.qt.dialogs import show_about

    dialog = show_about(gui_window)
    qtbot.addWidget(dialog)
    text = dialog.label.text()
    import torch  # loaded in this test process: the About says which

    assert APP_NAME in text and torch.__version__ in text and "PySide6" in text
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    for needle in ("Python:", "Qt:", f"PyTorch: {torch.__version__} (loaded)", "Default device: cpu",
                   f"Runs folder: {paths.runs_dir()}", f"Bundled model: {paths.resources_dir()}"):
        assert needle in copied, needle
    assert dialog.copy_button.text() == "Copied"
    dialog.close()


def test_about_a_wrapped_values_lines_start_at_one_place(qtbot):
    """The bundled model's path, wrapped, went on 3-5 px left of its first line: the gap before each
    value was a leading space."""
    from PySide6.QtGui import QTextDocument

    from sae_desktop.qt.dialogs import about_text

    doc = QTextDocument()
    doc.setHtml(about_text())
    doc.setTextWidth(260)  # narrow: the path wraps
    doc.documentLayout().documentSize()  # (laid out now)
    block = doc.begin()
    while block.isValid() and str(paths.resources_dir()) not in block.text().replace("\u2028", ""):
        block = block.next()
    assert block.isValid()
    layout, text = block.layout(), block.text()
    assert layout.lineCount() >= 2
    first = layout.lineAt(0)
    start = next(i for i in range(first.textStart(), first.textStart() + first.textLength()) if not text[i].isspace())
    second = layout.lineAt(1)
    assert abs(first.cursorToX(start)[0] - second.cursorToX(second.textStart())[0]) < 0.5


def test_help_says_what_the_shown_model_is_and_follows_it(qtbot, gui_window):
    """A teacher had nothing to show when explaining the model: Help offered shortcuts and About."""
    from sae_desktop.config import TrainConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    help_menu = gui_window.help
    help_menu.model_action.trigger()
    dialog = help_menu.model_box
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and not dialog.isModal()  # (open beside the window while it trains)
    assert "784 pixels → 128 ReLU → 32 latents (sigmoid)" in dialog.label.text()
    # its test-set figures once evaluated (in the background): the dialog follows
    qtbot.waitUntil(lambda: gui_window.shown.snapshot.evaluation is not None, timeout=10000)
    text = dialog.label.text()
    bundled = gui_window.shown.snapshot
    assert bundled.name in text and "ρ\u00a0=\u00a00.05, β\u00a0=\u00a00.005" in text
    assert f"MSE {bundled.evaluation.test_mse:.5f}" in text
    # what its figures count, and what kind of sparse autoencoder it is beside the literature's
    assert f"{bundled.evaluation.dead_latents} dead (active on no test digit)" in text
    assert "dense (active on more than 10% of them)" in text
    assert "language-model interpretability have one linear map on each side" in text
    from sae_desktop.qt.rich_text import RHO_HAT  # every ρ̂ in the serif (Debian's sans put its hat on "MSE")
    assert RHO_HAT in text and "ρ\u0302" not in text.replace(RHO_HAT, "")
    cfg = TrainConfig(penalty="topk", k=5, d_latent=16, d_hidden=16)
    model = cfg.model_config()
    gui_window.shown.set(ModelSnapshot(model, SparseAutoencoder(model).snapshot(), "another", cfg))
    text = dialog.label.text()  # the model shown now, not the one before
    assert "another" in text and "16 latents (ReLU, the 5 largest kept per image)" in text and "ρ\u00a0=" not in text
    assert "keeping k\u00a0=\u00a05 latents" in text  # (never wrapped inside "k = 5")
    assert "with no penalty to tune.</p>" in text  # a sentence, ended as the card's others are
    before = dialog.width()
    try:  # presentation mode while it is open: sized again for the larger text (it ran off the right edge)
        gui_window.view.set_presentation(True, remember=False)
        qtbot.waitUntil(lambda: dialog.width() > 1.3 * before, timeout=3000)
        label = dialog.label
        assert label.heightForWidth(label.width()) <= label.height() + 1  # wrapped to its width, whole
    finally:
        gui_window.view.set_presentation(False, remember=False)


def test_the_shown_model_card_keeps_its_reader_where_they_were_as_the_model_changes(qtbot, gui_window):
    """Read halfway down while the model trained, Help ▸ The shown model jumped back up at each epoch."""
    from sae_desktop.config import TrainConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    gui_window.help.model_action.trigger()
    dialog = gui_window.help.model_box
    qtbot.addWidget(dialog)
    dialog.resize(dialog.width(), 160)  # short: it scrolls
    bar = dialog.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 60, timeout=3000)
    bar.triggerAction(bar.SliderAction.SliderToMaximum)  # the reader at its foot: its figures
    at = bar.value()
    qtbot.waitUntil(lambda: gui_window.shown.snapshot.evaluation is not None, timeout=10000)
    bundled = gui_window.shown.snapshot
    cfg = TrainConfig(penalty="topk", k=5)
    model = cfg.model_config()
    gui_window.shown.set(ModelSnapshot(model, SparseAutoencoder(model).snapshot(), "another"))
    assert "another" in dialog.label.text()  # (far shorter: no training settings, no test-set figures)
    qtbot.wait(50)
    gui_window.shown.set(bundled)  # its figures back, as a training model's come after each epoch's start
    qtbot.wait(50)
    assert "On the test set" in dialog.label.text() and bar.value() == at
