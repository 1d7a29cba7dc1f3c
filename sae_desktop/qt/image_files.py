"""Image files read for the Probe off the window's thread.

A large photo takes up to half a second to read and preprocess (a table around the sheet, 0.46 s
for 1000²): in a worker thread the window stays live meanwhile.
"""

from __future__ import annotations

import traceback

import shiboken6
from PySide6.QtCore import QObject, Signal

from sae_desktop.image_formats import extensions
from sae_desktop.images import ImageError, ImageRead, read_image_file
from sae_desktop.preprocess import Preprocessed, blank_reason, preprocess
from sae_desktop.probe_state import InputSource


def image_filter() -> str:
    """The file dialog's filter: every ending the reader reads (image_formats.extensions), then all files
    (the dialog shows their names alone: its box cut the endings' list after the tenth)."""
    return f"Images ({' '.join('*' + ext for ext in extensions())});;All files (*)"


def file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def read_image(path: str) -> tuple[ImageRead, Preprocessed] | str:
    """A worker's body: the file read and preprocessed, or why it cannot be used (a message: a
    worker raises an exception it returns)."""
    try:
        read = read_image_file(path)
    except ImageError as exc:
        return str(exc)
    return read, preprocess(read.grey)


def file_not_probed(name: str, read: tuple[ImageRead, Preprocessed] | str,
                    shown: InputSource) -> tuple[str, str] | None:
    """What the Probe says of a file it cannot probe (its headline and why), None for one it can;
    ``read`` is :func:`read_image`'s answer. It names the file, and says what the probe still shows:
    under the last input's pictures and its name, "That image looks blank" read as that input's verdict."""
    still = f" The probe still shows {shown.describe()}." if shown.kind != "nothing" else ""
    if isinstance(read, str):  # (a CLI line: it may lack the full stop)
        return f"Could not use {name}", read + ("" if read.endswith((".", "?", "!")) else ".") + still
    file, stages = read
    if not stages.empty:
        return None
    first = f"'s first frame (of {file.frames})" if file.frames > 1 else ""  # (an animation's first: the one probed)
    return f"{name}{first} looks blank", blank_reason(stages) + still


class ImageFileReader(QObject):
    """Reads files in worker threads; each answer says whether a later file was asked for since."""

    answered = Signal(str, object, bool)  # path, (the file read, its stages) or why not (a message), still the latest

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._asked = 0

    def read(self, path: str) -> None:
        from superqt.utils import create_worker  # not at import: superqt loads after the first paint

        self._asked += 1
        asked = self._asked

        def answer(read) -> None:
            if shiboken6.isValid(self):  # (not if the window closed meanwhile)
                self.answered.emit(path, read, asked == self._asked)

        def fault(exc: BaseException) -> None:  # ours, not the file's: said (never "Reading…" for ever), and logged
            traceback.print_exception(exc)
            answer(f"{file_name(path)}: {exc}")

        worker = create_worker(read_image, path, _start_thread=False, _connect={"errored": fault})
        worker.returned.connect(answer)
        worker.start()
