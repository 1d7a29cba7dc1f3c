"""Instant start: the window opens and probes a drawing without torch; torch loads after the
first paint, in the background; a Start before then is queued, with visible feedback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from sae_desktop.qt import torch_loader
from sae_desktop.qt.torch_loader import FAILED, LOADING, READY
from tests.test_gui_training import SMALL

REPO = Path(__file__).resolve().parent.parent

DRAW = """
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

def draw(window):
    window.tabs.setCurrentWidget(window.probe_view)
    canvas = window.probe_view.canvas
    w, h = canvas.width(), canvas.height()
    points = [QPoint(int(w * (0.4 + 0.02 * i)), int(h * (0.25 + 0.05 * i))) for i in range(10)]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
"""


def run_script(body: str, tmp_path: Path) -> dict:
    """Run ``body`` in a fresh interpreter (offscreen, this checkout); its last stdout line is JSON."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SAE_DESKTOP_HOME=str(tmp_path / "home"),
               PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(DRAW) + textwrap.dedent(body)], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_window_opens_and_probes_a_drawing_without_importing_torch(tmp_path):
    result = run_script("""
        import json, sys
        from sae_desktop.qt.app import build_window, create_app
        app = create_app()
        window = build_window(staged=True)  # as the app starts: run_app finishes the start after this paint
        window.show()
        app.processEvents()
        scipy_at_paint = "scipy.ndimage" in sys.modules  # 0.4 s of import: after the window is up
        late = [m for m in ("pyqtgraph", "superqt", "qtpy") if m in sys.modules]
        built = [window.tabs.tabText(i) for i, page in enumerate(window.tabs.pages()) if page.is_built]
        draw(window)
        view = window.probe_view
        import time
        deadline = time.monotonic() + 5  # the probe redraws at most once a frame (a throttled, trailing call)
        while view.result is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        print(json.dumps({"torch": sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")),
                          "scipy_at_paint": scipy_at_paint, "late": late, "built": built,
                          "bars": view.bars_place.is_built, "test_set": window.test_set._held is not None,
                          "active": int((view.result.latents > 0.1).sum()) if view.result else -1,
                          "recon": view.recon_tile.data is not None, "model": window.shown.snapshot.name,
                          "loader": window.torch.state, "start": window.start_action.text(),
                          "start_enabled": window.start_action.isEnabled()}))
    """, tmp_path)
    assert result["torch"] == [] and result["scipy_at_paint"] is False
    # nor the plotting libraries (~0.5 s), the hidden tabs or the test digits: all come after the paint
    assert result["late"] == [] and result["built"] == [] and result["bars"] is False and result["test_set"] is True
    assert result["model"] == "bundled MNIST model"
    assert result["active"] > 0 and result["recon"]  # the drawing was encoded and decoded
    assert result["loader"] == "waiting"
    assert result["start"] == "&Start (loading PyTorch…)" and result["start_enabled"]


def test_the_app_loads_torch_in_the_background_after_the_first_paint(tmp_path):
    result = run_script("""
        import json, sys
        from PySide6.QtCore import QTimer
        from sae_desktop.qt import app as app_module
        from sae_desktop.qt.main_window import MainWindow

        marks = {}
        real_start = MainWindow.__init__
        def init(self, *args, **kwargs):
            real_start(self, *args, **kwargs)
            marks["window"] = self
            self.torch.stateChanged.connect(lambda s: marks.setdefault(s, "torch" in sys.modules))
            # when torch starts loading, the probe is complete and the test digits are on their way
            self.torch.stateChanged.connect(lambda s: s == "loading" and marks.update(
                bars=self.probe_view.bars_place.is_built, pyqtgraph="pyqtgraph" in sys.modules,
                held=self.test_set._held is not None))
            def close_when_all_built():  # the hidden tabs are built once torch is in
                if all(page.is_built for page in self.tabs.pages()):
                    marks["tabs"] = [self.tabs.tabText(i) for i in range(self.tabs.count())]
                    self.close()
                else:
                    QTimer.singleShot(50, close_when_all_built)
            self.torch.stateChanged.connect(lambda s: s == "ready" and close_when_all_built())
        MainWindow.__init__ = init
        app = app_module.create_app()
        QTimer.singleShot(120_000, app.quit)
        code = app_module.run_app()
        w = marks.pop("window")
        print(json.dumps({**marks, "code": code, "torch": "torch" in sys.modules, "start": w.start_action.text(),
                          "cpu": w.torch.devices.get("cpu")}))
    """, tmp_path)
    assert result["loading"] is False  # torch not imported before loading began, after the first paint
    assert result["bars"] is True and result["pyqtgraph"] is True and result["held"] is False
    assert result["tabs"] == ["Training", "Probe", "Atlas", "Runs"]
    assert result["ready"] is True and result["torch"] is True
    assert result["code"] == 0 and result["cpu"] is True
    assert result["start"] == "&Start training"


@pytest.fixture
def slow_torch(monkeypatch):
    """torch 'not loaded yet': the loader's import waits until the test releases it."""
    release = threading.Event()

    def load():
        assert release.wait(30), "the test never released the load"
        return {"cpu": True, "cuda": False, "mps": False}

    monkeypatch.setattr(torch_loader, "torch_is_loaded", lambda: False)
    monkeypatch.setattr(torch_loader.TorchLoader, "_load", staticmethod(load))
    yield release
    release.set()


def test_ctrl_return_before_torch_is_loaded_queues_the_start_visibly(qtbot, slow_torch, gui_window):
    w = gui_window
    w.panel.set_config(SMALL)
    assert w.torch.state == "waiting"
    assert w.start_action.text() == "&Start (loading PyTorch…)" and w.start_action.isEnabled()
    qtbot.keyClick(w.panel.inputs["lr"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert w.torch.state == LOADING and not w.controller.active
    assert w.start_action.text() == "Waiting for PyTorch…" and not w.start_action.isEnabled()
    assert "PyTorch" in w.statusBar().currentMessage()
    assert not w.panel.inputs["lr"].isEnabled()  # the settings to be trained are locked meanwhile
    with qtbot.waitSignal(w.controller.runStarted, timeout=20000):
        slow_torch.set()
    assert w.torch.state == READY
    with qtbot.waitSignal(w.controller.runEnded, timeout=30000):
        pass
    qtbot.waitUntil(lambda: w.controller.state == "idle", timeout=5000)
    assert w.start_action.text() == "&Start training" and w.start_action.isEnabled()


def test_a_torch_that_fails_to_load_says_why_and_keeps_the_window(qtbot, monkeypatch, gui_window):
    monkeypatch.setattr(torch_loader, "torch_is_loaded", lambda: False)

    def broken():
        raise ImportError("libtorch_cpu.so: cannot open shared object file")

    monkeypatch.setattr(torch_loader, "import_torch", broken)
    monkeypatch.setattr(torch_loader, "preload_torch_libraries", lambda: None)
    loader = torch_loader.TorchLoader()
    gui_window.torch = loader
    loader.stateChanged.connect(gui_window._on_torch_state)
    gui_window.panel.set_config(SMALL)
    with qtbot.waitSignal(loader.stateChanged, timeout=10000, check_params_cb=lambda s: s == FAILED):
        gui_window.start_training()
    assert "ImportError: libtorch_cpu.so: cannot open shared object file" in loader.error
    assert any("Training is unavailable" in n and "ImportError" in n for n in gui_window.notices)
    assert not gui_window.controller.active and gui_window.start_action.isEnabled()
    assert gui_window.start_action.text() == "&Start training"


def test_the_device_list_is_filled_in_once_torch_has_loaded(qtbot, slow_torch, gui_window):
    combo = gui_window.panel.inputs["device"]
    cuda = combo.model().item(combo.findText("cuda"))
    assert cuda.isEnabled()  # not known yet: not greyed out on a guess
    with qtbot.waitSignal(gui_window.torch.ready, timeout=10000):
        gui_window.torch.start()
        slow_torch.set()
    assert not cuda.isEnabled() and "not available" in cuda.toolTip()


def test_closing_the_window_while_torch_loads_exits_quietly(tmp_path):
    """A teacher who opens the app and closes it at once: no traceback from the background import."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SAE_DESKTOP_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from sae_desktop.qt import app as qt_app

        def close_soon():  # once the background load is under way, long before it ends
            window = next(w for w in QApplication.topLevelWidgets() if w.isWindow() and w.isVisible())
            QTimer.singleShot(300, window.close)
        QTimer.singleShot(0, close_soon)
        code = qt_app.run_app()
        print("torch" in sys.modules, code)
    """)
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr[-3000:]


def test_ctrl_c_in_the_terminal_closes_the_window_as_its_close_button_does(tmp_path):
    """Each Ctrl+C raised KeyboardInterrupt inside whichever slot was running: a traceback, that
    slot cut short, and the window went on (only SIGTERM ended it, without saving its settings).
    Now the window closes (its settings saved), and the CLI says "interrupted", exit 130."""
    import signal

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SAE_DESKTOP_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QTimer
        from sae_desktop import cli
        from sae_desktop.qt import app

        def create_app(make=app.create_app):
            made = make()
            QTimer.singleShot(1500, lambda: print("shown", flush=True))  # (idle by then: the loop waits in C++)
            return made
        app.create_app = create_app
        sys.exit(cli.main(["gui"]))
    """)
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "shown"
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err[-3000:]
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "sae-desktop gui: interrupted", err[-3000:]
    assert "geometry" in (tmp_path / "home" / "settings.ini").read_text()  # closed as its close button does
