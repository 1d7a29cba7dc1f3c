"""Where sae-desktop keeps its files: one per-user folder, overridable for tests and demos."""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

HOME_ENV = "SAE_DESKTOP_HOME"
DATA_ENV = "SAE_DESKTOP_DATA"


def app_home() -> Path:
    """The per-user folder: ``$SAE_DESKTOP_HOME``, else the platform's user data folder."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "sae-desktop"


def runs_dir() -> Path:
    """Each training run gets a folder in here."""
    return app_home() / "runs"


def default_data_dir() -> Path:
    """Where datasets are looked for (and downloaded to) when nothing else is said."""
    return app_home() / "datasets"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Dataset folder: an explicit ``--data-dir``, else ``$SAE_DESKTOP_DATA``, else the per-user one."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return default_data_dir()


def package_dir() -> Path:
    """Where the ``sae_desktop`` package is (a source tree or an installed wheel)."""
    return Path(__file__).resolve().parent


def resources_dir() -> Path:
    """The package data (bundled model, icon), found by ``importlib.resources`` so that an
    installed wheel finds it as well as a source tree does."""
    return Path(str(resources.files("sae_desktop") / "resources"))
