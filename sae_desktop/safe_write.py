"""Every file sae-desktop writes goes through here, and every I/O failure is said in one line.

A write goes to a temp file beside the target, is fsynced, then renamed over it, so a crash or
a full disk at any moment leaves either the old file or the new one. Before that the target is
checked: an existing target that is not a regular file (a device such as ``/dev/null``, a FIFO,
a folder) is refused rather than replaced; a symlink is followed on purpose (its target is
replaced, the link stays); and a target that is one of the command's input files is refused.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Iterable

FAULT_SAVE_DELAY_ENV = "SAE_DESKTOP_FAULT_SAVE_DELAY"  # fault injection: sleep before the rename (kill tests)


class OutputRefused(OSError):
    """A write was refused before anything was touched; the message is one line naming the path."""


def describe_os_error(exc: OSError, path: str | os.PathLike | None = None) -> str:
    """One line naming the path and the cause, e.g. ``/x/y: No space left on device``."""
    if isinstance(exc, OutputRefused):
        return str(exc)
    where = exc.filename if exc.filename is not None else path
    cause = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENAMETOOLONG:
        cause = "the file name is too long for this file system"
    elif exc.errno == errno.ENOTDIR:
        cause = "a part of the path is a file, not a folder"
    elif exc.errno == errno.EEXIST and where is not None and not os.path.isdir(where):  # (a folder made
        cause = "a file is there, where a folder is needed"  # where a file is: "File exists" said nothing)
    text = f"{where}: {cause}" if where is not None else cause
    return " ".join(text.split())  # one line, whatever the path holds


def _same_file(a: Path, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def output_target(path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """The file a write to ``path`` would replace (symlinks followed), or :class:`OutputRefused`."""
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        info = os.stat(target)
    except FileNotFoundError:
        if not target.parent.is_dir():  # said now, not after a training whose result it was to hold
            raise OutputRefused(f"cannot write {path}: the folder {target.parent} does not exist") from None
        return target
    except OSError as exc:
        raise OutputRefused(f"cannot write {describe_os_error(exc, target)}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
        raise OutputRefused(f"{path}: refusing to write there: it exists and is {kind}, not a regular file")
    for source in inputs:
        if _same_file(target, source):
            raise OutputRefused(f"{path}: refusing to write over the input file {source}; choose another path")
    return target


def _umask() -> int:
    """The process's umask, read without changing it (os.umask sets it, for every thread, until
    it is set back); 0o022 where /proc does not say."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0o022


def _replace_with(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:200]}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        delay = os.environ.get(FAULT_SAVE_DELAY_ENV)
        if delay:
            time.sleep(float(delay))
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)  # a replaced file keeps its permissions
        except FileNotFoundError:
            mode = 0o666 & ~_umask()  # a new one gets open()'s (mkstemp's 0600: a saved model others could not read)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Write ``data`` to ``path`` atomically (see the module's docstring); return the file written.

    Raises :class:`OSError` (full disk, read-only folder, missing folder, …) or
    :class:`OutputRefused`, with the previous file, if any, unchanged.
    """
    target = output_target(path, inputs)
    try:
        _replace_with(target, data)
    except OutputRefused:
        raise
    except OSError as exc:  # named after the file being written, not its temp file
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from None
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        try:
            dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass
    return target

