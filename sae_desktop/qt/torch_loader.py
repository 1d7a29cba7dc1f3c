"""PyTorch, loaded once in a worker thread after the window is on screen.

``import torch`` takes ~2 s on a small laptop, and drawing, the probe and the atlas never
need it (their inference is NumPy). The window opens without it; the app starts this loader
after the first paint, and training (which needs it) waits for :attr:`TorchLoader.state`
``"ready"``. The training engine is imported with it, so the first Start pays nothing more.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

WAITING, LOADING, READY, FAILED = "waiting", "loading", "ready", "failed"


def torch_is_loaded() -> bool:
    return "torch" in sys.modules


def preload_torch_libraries() -> None:
    """Linux: load libtorch (and with it libtorch_cpu, CUDA's libraries) through libc's
    ``dlopen`` called by ctypes, which releases the GIL, so the window's thread keeps running
    during the second or more it takes; ``import torch`` then finds them loaded. The import
    machinery itself holds the GIL throughout (measured here: the window stalled 2.6 s on a
    busy 2-core machine; with this, 0.5 s at most). Any failure leaves it to the import."""
    if not sys.platform.startswith("linux"):
        return
    try:
        spec = importlib.util.find_spec("torch")  # finds, does not import
        library = Path(spec.origin).parent / "lib" / "libtorch.so" if spec and spec.origin else None
        if library is None or not library.is_file():
            return
        libc = ctypes.CDLL(None)
        libc.dlopen.restype, libc.dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
        libc.dlopen(bytes(library), os.RTLD_NOW | os.RTLD_LOCAL)  # what loading torch._C does anyway
    except (OSError, AttributeError, ValueError, ImportError):
        pass


def import_torch() -> dict[str, bool]:
    """Import torch and the engine; the devices this torch can use."""
    import sae_desktop.engine  # noqa: F401  (imports torch, the model, the trainer)
    from sae_desktop.devices import available_devices

    return available_devices()


@dataclass(frozen=True)
class _Failure:
    message: str


class TorchLoader(QObject):
    """``waiting`` → ``loading`` → ``ready`` (or ``failed``, with a message); one load per app."""

    stateChanged = Signal(str)
    ready = Signal(object)  # dict device name → available

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._worker = None
        self.devices: dict[str, bool] | None = None
        self.error = ""
        self._state = WAITING
        if torch_is_loaded():  # e.g. in tests, or a second window: nothing to wait for
            self._finish(import_torch())

    @property
    def state(self) -> str:
        return self._state

    def start(self) -> None:
        """Begin loading (no-op when loading, loaded, or failed: a failed import stays failed)."""
        if self._state != WAITING:
            return
        self._set_state(LOADING)
        from superqt.utils import create_worker  # not at import: superqt loads after the first paint

        worker = create_worker(self._load, _start_thread=False)
        worker.returned.connect(self._on_returned)
        self._worker = worker
        worker.start()

    @staticmethod
    def _load():
        from sae_desktop.qt.training_controller import yield_cpu_to_the_interface

        yield_cpu_to_the_interface()  # the window keeps the cores it needs while this loads
        try:
            import scipy.ndimage  # noqa: F401  (the probe's preprocessing; 0.4 s kept off the window's start)

            preload_torch_libraries()
            return import_torch()
        except BaseException as exc:  # a broken install must not kill the window silently
            traceback.print_exc()
            cause = f"{type(exc).__name__}: {exc}".strip()
            # a message, not an exception: superqt's worker would raise a returned exception
            return _Failure(f"PyTorch could not be loaded ({cause}); training is unavailable, "
                            "drawing and the probe still work")

    def _on_returned(self, result) -> None:
        self._worker = None
        if isinstance(result, _Failure):
            self.error = result.message
            self._set_state(FAILED)
        else:
            self._finish(result)

    def _finish(self, devices: dict[str, bool]) -> None:
        self.devices = devices
        self._set_state(READY)
        self.ready.emit(devices)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)
