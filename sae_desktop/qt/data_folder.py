"""The data folder, chosen from the window: where the datasets are read from (and downloaded to).

The field under the Dataset setting shows the folder and, as soon as the dataset or folder
changes, whether the four files are there, naming the missing ones and the folder they belong
in. Start asks before a run would need a download (:func:`confirm_dataset`), offering to choose
another folder. The choice is remembered; None means the default (``$SAE_DESKTOP_DATA``, else
the per-user folder), the same rule the command line follows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMessageBox, QSizePolicy, QToolButton, QVBoxLayout,
                               QWidget)

from sae_desktop import paths
from sae_desktop.data import (DISPLAY_NAMES, FILES, DatasetError, dataset_root, downloads_allowed, missing_files,
                              raw_folder)
from sae_desktop.qt.labels import ElidedLabel
from sae_desktop.qt.settings import app_settings

SETTING = "data/folder"
OK_COLOUR, PROBLEM_COLOUR = "#2e9d4f", "#d9534f"


def saved_data_dir() -> str | None:
    """The folder chosen in the window, or None for the default."""
    value = app_settings().value(SETTING)
    return str(value) if value else None


def data_dir_shown() -> Path:
    """The folder a run started from the window reads."""
    return paths.data_dir(saved_data_dir())


def check(name: str, root: Path) -> tuple[bool, str]:
    """(all four files found, one sentence saying so or naming what is missing and where)."""
    try:
        missing = missing_files(name, root)
    except DatasetError as exc:
        return False, str(exc)
    folder = raw_folder(name, root)  # (on a line of its own: it broke after its leading "/", "…are in /" over
    if not missing:  # "work/shared/datasets/MNIST/", in a narrow panel)
        return True, f"✓ {DISPLAY_NAMES[name]}: the four files are in\n{folder}"
    files = "all four files" if len(missing) == len(FILES) else ", ".join(missing)
    return False, f"⚠ {DISPLAY_NAMES[name]}: missing {files} (or .gz) in\n{folder}"


class DataFolderField(QWidget):
    """Folder, Choose…, Default, and the check of the chosen dataset's files under it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.dataset = "mnist"
        self.path_label = ElidedLabel(None)  # "…" in the middle: both ends of the path stay in view
        self.choose_button = QToolButton(text="Choose…")
        self.choose_button.setToolTip("Choose the folder that holds MNIST/raw/ or FashionMNIST/raw/")
        self.default_button = QToolButton(text="Default")
        self.default_button.setToolTip("Use $SAE_DESKTOP_DATA, else the per-user data folder")
        self.status = QLabel()
        self.status.setObjectName("data_folder_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wraps, never widens
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.default_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.path_label)  # a line of its own: a long path keeps its ends in view
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.choose_button.clicked.connect(self.choose)
        self.default_button.clicked.connect(lambda: self.set_folder(None))
        self.refresh()

    def folder(self) -> Path:
        return data_dir_shown()

    def set_folder(self, folder: str | Path | None) -> None:
        """Remember ``folder`` (a dataset's own or raw folder counts as the one above it); None: the default."""
        if folder:
            app_settings().setValue(SETTING, str(dataset_root(folder)))
        else:
            app_settings().remove(SETTING)
        self.refresh()
        self.changed.emit()

    def set_dataset(self, name: str) -> None:
        if name != self.dataset:
            self.dataset = name
            self.refresh()

    def choose(self) -> bool:
        """The folder dialog; True when a folder was chosen."""
        chosen = QFileDialog.getExistingDirectory(self, "Choose the data folder", str(self.folder()))
        if chosen:
            self.set_folder(chosen)
        return bool(chosen)

    def refresh(self) -> tuple[bool, str]:
        folder = self.folder()
        default = saved_data_dir() is None
        self.path_label.setText(str(folder))
        self.path_label.setToolTip(f"{folder}{' (the default folder)' if default else ''}")
        self.default_button.setEnabled(not default)  # greyed: the folder shown is the default
        ok, message = check(self.dataset, folder)
        if not ok and downloads_allowed() and not folder.is_file():  # (a download cannot go into a file)
            message += "; Start offers to download them (needs internet)"
        self.status.setText(message)
        self.status.setStyleSheet(f"color: {OK_COLOUR if ok else PROBLEM_COLOUR};")
        return ok, message


def confirm_dataset(parent: QWidget, field: DataFolderField, name: str) -> bool:
    """Before a run: True when ``name``'s files are in the chosen folder, or the user agrees to
    download them; otherwise say which files are missing where, and offer another folder."""
    field.set_dataset(name)
    while True:
        ok, _ = field.refresh()
        if ok:
            return True
        folder = raw_folder(name, field.folder())
        try:
            missing = missing_files(name, field.folder())
        except DatasetError as exc:
            missing, unreadable = list(FILES), str(exc)
        else:
            unreadable = ""
        box = QMessageBox(QMessageBox.Icon.Warning, f"{DISPLAY_NAMES[name]} is not in the data folder",
                          f"{DISPLAY_NAMES[name]} needs four files in {folder}:", parent=parent)
        box.setObjectName("dataset_missing")
        box.setInformativeText(unreadable or "Missing: " + ", ".join(missing) +
                               " (each may also be .gz, as torchvision downloads them).")
        download = box.addButton("Download (needs internet)", QMessageBox.ButtonRole.AcceptRole) \
            if downloads_allowed() and not field.folder().is_file() else None
        choose = box.addButton("Choose folder…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if download is not None and box.clickedButton() is download:
            return True
        if box.clickedButton() is not choose or not field.choose():
            return False
