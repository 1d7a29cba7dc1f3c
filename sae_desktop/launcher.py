"""A launcher in the desktop's applications menu: a freedesktop ``.desktop`` file and the icon.

Written for the current user under ``$XDG_DATA_HOME`` (``~/.local/share``): the entry in
``applications/``, the icon in the ``hicolor`` theme (SVG, plus a 256 px PNG for desktops
that do not scale SVG). ``StartupWMClass`` is the window class the app sets (``APP_ID``), so
the desktop groups the running window under the launcher's icon.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from sae_desktop import APP_ID, APP_NAME, paths

ICONS = {"scalable": f"{APP_ID}.svg", "256x256": f"{APP_ID}.png"}


class LauncherError(RuntimeError):
    """The launcher cannot be written here (not a freedesktop desktop, or a read-only folder)."""


def xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share").expanduser()


def launcher_files(data_home: Path | None = None) -> list[Path]:
    """Every file :func:`install_launcher` writes: the entry first, then the icons."""
    home = data_home or xdg_data_home()
    return [home / "applications" / f"{APP_ID}.desktop",
            *(home / "icons" / "hicolor" / size / "apps" / name for size, name in ICONS.items())]


def launch_command() -> list[str]:
    """How to start this installation: its ``sae-desktop`` script, else this Python with ``-m``."""
    script = Path(sys.executable).with_name("sae-desktop")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "sae_desktop"]


def _exec_arg(arg: str) -> str:
    """Quote one argument by the Desktop Entry spec (Exec key), then escape it as a string value."""
    if any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
        arg = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return arg.replace("%", "%%").replace("\\", "\\\\")


def desktop_entry(command: list[str]) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.0",  # the spec's version it follows (1.5 was refused by desktop-file-validate 0.26, Debian 12)
        f"Name={APP_NAME}",
        "GenericName=Sparse autoencoder trainer",
        "Comment=Train and probe sparse autoencoders on handwritten digits",
        "Exec=" + " ".join(_exec_arg(a) for a in command),
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Science;ArtificialIntelligence;",  # one main category (two: listed twice in some menus)
        "Keywords=autoencoder;sparse;MNIST;neural network;machine learning;",
        f"StartupWMClass={APP_ID}",
        "StartupNotify=true",
        "",
    ])


def install_launcher(data_home: Path | None = None) -> list[Path]:
    """Write the entry and the icons (replacing older ones); returns the files written."""
    if sys.platform in ("win32", "darwin"):
        raise LauncherError("the applications-menu launcher is for Linux desktops (freedesktop); "
                            f"on this system start the app with: {' '.join(launch_command())}")
    entry, *icons = launcher_files(data_home)
    try:
        for icon, name in zip(icons, ICONS.values()):
            icon.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(paths.resources_dir() / name, icon)
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.tmp")
        tmp.write_text(desktop_entry(launch_command()), encoding="utf-8")
        tmp.chmod(0o755)  # some desktops only trust executable entries
        tmp.replace(entry)
    except OSError as exc:
        raise LauncherError(f"could not write the launcher: {exc.strerror or exc} ({exc.filename or ''})") from None
    return [entry, *icons]


def uninstall_launcher(data_home: Path | None = None) -> list[Path]:
    """Remove what :func:`install_launcher` wrote, and the icon folders it made that are empty
    now (``hicolor/64x64/apps`` and so on; the shared ``icons/hicolor`` and ``applications``
    stay); returns the files that were there."""
    removed = []
    shared = (data_home or xdg_data_home()) / "icons" / "hicolor"
    for path in launcher_files(data_home):
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise LauncherError(f"could not remove {path}: {exc.strerror or exc}") from None
        for folder in path.parents:
            if shared not in folder.parents:
                break
            try:
                folder.rmdir()  # only an empty one
            except OSError:
                break
    return removed


def installed(data_home: Path | None = None) -> bool:
    return launcher_files(data_home)[0].is_file()
