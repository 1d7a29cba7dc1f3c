"""Whether the window can open here: Qt aborts the whole process (SIGABRT) when it finds no
display, so the command asks first and says what to do instead, in one line."""

from __future__ import annotations

import os
import re
import socket
import sys

# Platforms that need no screen (tests, screenshots, remote desktops that serve their own).
_HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "vkkhrdisplay", "eglfs", "linuxfb")
ADVICE = ("connect with a display (ssh -X, a remote desktop, or a local session), or use the command "
          "line: sae-desktop train / evaluate / probe (see --help)")


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """None when a window can open; otherwise one line: what is missing and what to do."""
    env = dict(os.environ) if env is None else env
    platform = platform or sys.platform
    if not platform.startswith("linux") and "bsd" not in platform:
        return None  # Windows and macOS always have a window server for a logged-in user
    requested = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].split(";", 1)[0].strip()
    if requested in _HEADLESS_PLATFORMS:
        return None
    if requested.startswith("wayland"):
        if env.get("WAYLAND_DISPLAY"):
            return None
        return f"no display: QT_QPA_PLATFORM is {requested} but WAYLAND_DISPLAY is not set; {ADVICE}"
    if not requested and env.get("WAYLAND_DISPLAY"):
        return None
    display = env.get("DISPLAY", "")
    if not display:
        return f"no display: DISPLAY is not set (no X server or Wayland session here); {ADVICE}"
    if not x_display_reachable(display):
        return f"no display: cannot reach the X server at DISPLAY={display}; {ADVICE}"
    return None


def x_display_reachable(display: str, timeout: float = 1.0) -> bool:
    """A cheap check of an X display name (``:0``, ``host:10.0``, ``unix:1``): the local socket
    exists, or the TCP port answers. Unknown forms count as reachable (Qt decides)."""
    match = re.fullmatch(r"(?P<host>[^:]*):(?P<number>\d+)(\.\d+)?", display)
    if not match:
        return True
    host, number = match["host"], int(match["number"])
    if host in ("", "unix"):
        return os.path.exists(f"/tmp/.X11-unix/X{number}") or _abstract_socket(number)
    try:
        with socket.create_connection((host, 6000 + number), timeout=timeout):
            return True
    except OSError:
        return False


def _abstract_socket(number: int) -> bool:
    """Linux X servers also listen on an abstract socket (no file), e.g. in containers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            s.connect(f"\0/tmp/.X11-unix/X{number}")
            return True
    except OSError:
        return False
