"""Ctrl+C never lands inside an import: it waits until the import is done.

Python raises ``KeyboardInterrupt`` at the next line of Python code that runs, wherever it is.
Inside ``import torch`` that can be a Python callback run by C++ code, which cannot pass the
exception on: the process aborts (``terminate called after throwing …``, SIGABRT). Inside
NumPy's import it becomes an ``ImportError`` about ``datetime``. Both were seen when Ctrl+C came
in the first seconds of ``sae-desktop train``.

:func:`imports_finish_first` installs a SIGINT handler that raises at once, as Python's own
does, unless an import is running on the main thread; then a helper thread waits for the
import to end and sends SIGINT again, to whichever handler is in place by then (the training
loop's, which stops cleanly, or this one, which raises).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_IMPORT_MACHINERY = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
_POLL_S = 0.02


def importing(frame) -> bool:
    """Whether this frame or one of its callers is running an import."""
    while frame is not None:
        if frame.f_code.co_filename in _IMPORT_MACHINERY:
            return True
        frame = frame.f_back
    return False


class _Deferral:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting = False

    def handle(self, signum, frame) -> None:
        if not importing(frame):
            raise KeyboardInterrupt
        with self._lock:  # a second Ctrl+C while the first waits adds nothing
            if self._waiting:
                return
            self._waiting = True
        threading.Thread(target=self._resend_after_import, name="sigint-after-import", daemon=True).start()

    def _resend_after_import(self) -> None:
        main = threading.main_thread().ident
        while importing(sys._current_frames().get(main)):
            time.sleep(_POLL_S)
        with self._lock:
            self._waiting = False
        signal.pthread_kill(main, signal.SIGINT)  # a real signal: it also wakes a sleeping main thread


@contextmanager
def imports_finish_first() -> Iterator[None]:
    """Within the block, Ctrl+C during an import is raised when the import ends (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _Deferral().handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
