"""Files dropped on the window, as a desktop user expects of a science app: an image is probed
(the Probe tab comes up), a model opened as File ▸ Open does (a ``.safetensors`` file, a run
folder for its checkpoint, and a PyTorch or pickle file, which File ▸ Open refuses with its
reason: "not an image" said nothing). Only local files; of several, the first, and the status
bar says so (the others were dropped unsaid)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

from sae_desktop.qt.image_files import file_name
from sae_desktop.words import counted

# what a model file is called: ours, and those a user may take for one (File ▸ Open says why not)
MODEL_SUFFIXES = (".safetensors", ".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle")


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
        if len(files) > 1:
            self.statusBar().showMessage(f"{counted(len(files), 'file')} dropped: only the first, "
                                         f"{file_name(files[0])}, is opened (one at a time)", 8000)
        self.open_dropped(files[0])

    def open_dropped(self, path: str) -> None:
        from sae_desktop.runs import folder_model

        model = folder_model(path)
        if model is not None or path.lower().endswith(MODEL_SUFFIXES):
            self.model_files.open(model or path)
        else:  # (not an image: the probe says why, as for File ▸ Load image file)
            self.tabs.setCurrentWidget(self.probe_view)
            self.probe_view.load_image(path)
