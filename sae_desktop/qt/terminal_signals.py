"""Ctrl+C (SIGINT) or SIGTERM sent to the window's process closes the window, as its close button
does, without asking: the terminal's user asked for it (a run being trained is stopped, its
weights kept; the window's settings are saved).

Python runs a signal's handler only once the interpreter runs again, and Qt's event loop may wait
in C++ for a long time: Python's wakeup file descriptor, watched by a socket notifier, wakes the
loop at once. (Left to Python's own handler, each Ctrl+C raised KeyboardInterrupt inside whichever
slot happened to run, printed a traceback, cut that slot short, and the window went on.)
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TerminalSignals:
    """While installed, SIGINT and SIGTERM call ``close`` (once per signal, from the event loop);
    :attr:`received` says whether one came. :meth:`remove` puts the previous handlers back."""

    def __init__(self, close: Callable[[], None]):
        self.received = False
        self._close = close
        self._read, self._write = socket.socketpair()
        for end in (self._read, self._write):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno())
        self._previous = {sig: signal.signal(sig, self._handle) for sig in SIGNALS}
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)  # (Python runs here: the handler has run by now)

    def _drain(self) -> None:
        try:
            while self._read.recv(64):
                pass
        except BlockingIOError:
            pass

    def _handle(self, _signum, _frame) -> None:
        self.received = True
        QTimer.singleShot(0, self._close)  # from the event loop, not inside whatever Python code was running

    def remove(self) -> None:
        self._notifier.setEnabled(False)
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        signal.set_wakeup_fd(self._previous_fd)
        self._read.close()
        self._write.close()


def close_without_asking(window) -> Callable[[], None]:
    """What a terminal's signal does to ``window`` (a MainWindow): closed without its "Training is
    running" question, any dialog open over it closed first."""
    def close() -> None:
        window.ask_before_closing = False
        QApplication.closeAllWindows()
    return close
