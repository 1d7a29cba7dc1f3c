"""Shared fixtures: an isolated per-user folder, tiny generated datasets, the real MNIST."""

from __future__ import annotations

import os
from pathlib import Path

# Before anything imports Qt: the GUI tests drive real widgets without a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
import torch

from sae_desktop.data import FILES, FOLDERS, load_dataset, write_idx

REPO = Path(__file__).resolve().parent.parent
SHARED_MNIST = REPO.parent / "shared" / "datasets"


def stroke_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 28×28 uint8 images of a few thick random strokes, MNIST-like in their statistics
    (mostly black, white ink, centred in a 20-px box), with a label per image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float32)
    images = np.zeros((n, 28, 28), dtype=np.float32)
    for img in images:
        for _ in range(rng.integers(1, 4)):
            (y0, x0), (y1, x1) = rng.uniform(5, 23, size=(2, 2))
            t = np.clip(((yy - y0) * (y1 - y0) + (xx - x0) * (x1 - x0)) /
                        max((y1 - y0) ** 2 + (x1 - x0) ** 2, 1e-6), 0, 1)
            dist = np.hypot(yy - (y0 + t * (y1 - y0)), xx - (x0 + t * (x1 - x0)))
            np.maximum(img, np.clip(2.2 - dist, 0, 1), out=img)
    return (images * 255).astype(np.uint8), rng.integers(0, 10, size=n).astype(np.uint8)


def make_dataset_dir(root: Path, name: str = "mnist", n_train: int = 640, n_test: int = 160, seed: int = 0) -> Path:
    raw = root / FOLDERS[name] / "raw"
    train_x, train_y = stroke_digits(n_train, seed)
    test_x, test_y = stroke_digits(n_test, seed + 1)
    for stem, array in zip(FILES, (train_x, train_y, test_x, test_y)):
        write_idx(raw / stem, array)
    return root


@pytest.fixture(params=["scripted", "python"])
def step_kind(request, monkeypatch):
    """The step runs as TorchScript where it can, else as the same module in Python: test both."""
    if request.param == "python":
        def no_torchscript(*args, **kwargs):
            raise RuntimeError("TorchScript unavailable")
        monkeypatch.setattr(torch.jit, "script", no_torchscript)
    return request.param


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own per-user folder and no dataset unless it asks for one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SAE_DESKTOP_HOME", str(home))
    monkeypatch.setenv("SAE_DESKTOP_OFFLINE", "1")  # a download attempt could hang on a closed network
    monkeypatch.delenv("SAE_DESKTOP_DATA", raising=False)
    return home


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    """A torchvision-layout folder holding a small generated MNIST (640 train, 160 test)."""
    return make_dataset_dir(tmp_path_factory.mktemp("tiny-data"))


@pytest.fixture(scope="session")
def tiny_dataset(tiny_data_dir):
    return load_dataset("mnist", tiny_data_dir)


def _real_mnist_dir() -> Path | None:
    for candidate in (os.environ.get("SAE_DESKTOP_DATA_REAL"), os.environ.get("SAE_DESKTOP_DATA"), SHARED_MNIST):
        if candidate and all((Path(candidate) / "MNIST" / "raw" / f).is_file() for f in FILES):
            return Path(candidate)
    return None


# Read once at import, before the autouse fixture clears SAE_DESKTOP_DATA for each test.
REAL_MNIST = _real_mnist_dir()


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    if REAL_MNIST is None:
        pytest.skip("real MNIST not found (set SAE_DESKTOP_DATA or provide ../shared/datasets)")
    return REAL_MNIST


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    return load_dataset("mnist", mnist_dir)


@pytest.fixture
def no_thread_left(qapp):
    """Fails the test if a worker thread is still running after it (as napari's tests do)."""
    from PySide6.QtCore import QThreadPool

    yield
    pool = QThreadPool.globalInstance()
    assert pool.waitForDone(3000), "a worker thread outlived the test"
    assert pool.activeThreadCount() == 0


@pytest.fixture
def gui_window(qtbot, tiny_data_dir, monkeypatch, no_thread_left):
    """The main window, shown offscreen, with the tiny dataset and the bundled model."""
    from sae_desktop.qt.app import build_window, create_app

    monkeypatch.setenv("SAE_DESKTOP_DATA", str(tiny_data_dir))
    create_app()
    window = build_window()
    # pytest-qt closes the window before this fixture's teardown stops a run: a test that fails
    # with a run going would wait for ever on the modal "Stop it and close?" (tests may answer otherwise)
    monkeypatch.setattr(type(window), "confirm_stop_and_close", lambda self: True)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    yield window
    window.controller.shutdown(2000)


def load_file(qtbot, view, path) -> bool:
    """The Probe's ``load_image`` (read in a worker thread), waited for: whether the file is shown."""
    with qtbot.waitSignal(view.image_loaded, timeout=20_000) as blocker:
        view.load_image(str(path))
    return blocker.args[0]
