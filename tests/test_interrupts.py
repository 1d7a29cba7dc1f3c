"""Ctrl+C that comes while a module imports is raised when the import ends, not inside it."""

import os
import signal
import sys
import time

import pytest

from sae_desktop.interrupts import imports_finish_first

MODULE = """
import os, signal, time
os.kill(os.getpid(), signal.SIGINT)
for _ in range(20):  # Python code runs after the signal: an interrupt raised here breaks the import
    time.sleep(0.01)
FINISHED = True
"""


def test_ctrl_c_during_an_import_is_raised_once_the_import_has_finished(tmp_path, monkeypatch):
    (tmp_path / "interrupted_module.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "interrupted_module", raising=False)
    with pytest.raises(KeyboardInterrupt) as caught, imports_finish_first():
        import interrupted_module  # noqa: F401

        for _ in range(500):  # the deferred Ctrl+C arrives here, within a few polls
            time.sleep(0.01)
    # The interrupt may land on any line after the import returns (the resent signal races the
    # next statement), but never inside the module: a broken import leaves no module behind.
    assert sys.modules["interrupted_module"].FINISHED is True
    raised_in = [entry.path.name for entry in caught.traceback]
    assert "interrupted_module.py" not in raised_in


def test_ctrl_c_outside_an_import_is_raised_at_once_and_the_handler_is_restored():
    before = signal.getsignal(signal.SIGINT)
    naps = []
    with pytest.raises(KeyboardInterrupt), imports_finish_first():
        os.kill(os.getpid(), signal.SIGINT)
        while len(naps) < 500:
            time.sleep(0.01)
            naps.append(1)
    assert len(naps) <= 1
    assert signal.getsignal(signal.SIGINT) is before
