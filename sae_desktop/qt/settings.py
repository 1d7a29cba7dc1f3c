"""Remembered settings (window geometry, last values and folders) in the per-user folder.

An INI file under ``app_home()`` rather than the platform registry, so that
``SAE_DESKTOP_HOME`` isolates a demo or a test run completely.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from sae_desktop import paths


def app_settings() -> QSettings:
    home = paths.app_home()
    home.mkdir(parents=True, exist_ok=True)
    return QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)


def last_folder(key: str) -> str:
    """The folder a file dialog of this kind (``key``) last used, while it exists, else
    :func:`first_folder` (with none, the first dialog opened in whatever folder the app was
    started from)."""
    from pathlib import Path

    remembered = app_settings().value(f"folders/{key}", "")
    return str(remembered if remembered and Path(remembered).is_dir() else first_folder(key))


def first_folder(key: str):
    """Where a dialog of this kind opens before any has been used: models in the runs folder
    (each run's checkpoint is there), images in the user's Pictures and exports in Documents
    where those exist; else the home folder (every dialog opened there, Open model too)."""
    from pathlib import Path

    from PySide6.QtCore import QStandardPaths

    if key == "models" and paths.runs_dir().is_dir():
        return paths.runs_dir()
    kind = {"images": QStandardPaths.StandardLocation.PicturesLocation,
            "exports": QStandardPaths.StandardLocation.DocumentsLocation}.get(key)
    folder = QStandardPaths.writableLocation(kind) if kind is not None else ""
    return Path(folder) if folder and Path(folder).is_dir() else Path.home()


def remember_folder(key: str, path: str) -> None:
    from pathlib import Path

    folder = Path(path)
    app_settings().setValue(f"folders/{key}", str(folder if folder.is_dir() else folder.parent))


def ask_save_path(parent, title: str, name: str, filters: str, key: str) -> str:
    """A save dialog in the folder the dialogs of kind ``key`` last used, ``name`` suggested: the
    path chosen ("" if cancelled), with the chosen filter's extension where the name has none (a
    model saved as "my model" had no .safetensors, and File ▸ Open's filter did not list it)."""
    import re
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog

    path, chosen = QFileDialog.getSaveFileName(parent, title, str(Path(last_folder(key)) / name), filters)
    if not path:
        return ""
    extension = re.search(r"\*(\.[A-Za-z0-9]+)", chosen or filters)
    if not Path(path).suffix and extension:
        path += extension.group(1)
    remember_folder(key, path)
    return path
