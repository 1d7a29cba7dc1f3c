"""Files dropped on the window, as a desktop user expects of a science app: an image is probed
(the Probe tab comes up), a ``.safetensors`` model is opened as File ▸ Open does. Only local
files; of several, the first (a drop of many photos probed the first, the others are not queued)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData


def dropped_files(mime: QMimeData) -> list[str]:
    """The local files a drag carries (links to web pages and text are no files)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class FileDrops:
    """A mixin for the main window (which calls ``setAcceptDrops(True)``)."""

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        files = dropped_files(event.mimeData())
        if not files:
            return event.ignore()
        event.acceptProposedAction()
        self.open_dropped(files[0])

    def open_dropped(self, path: str) -> None:
        if path.lower().endswith(".safetensors"):
            self.model_files.open(path)
        else:  # (not an image: the probe says why, as for File ▸ Load image file)
            self.tabs.setCurrentWidget(self.probe_view)
            self.probe_view.load_image(path)
