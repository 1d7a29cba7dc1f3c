"""MNIST and Fashion-MNIST from IDX files in torchvision's folder layout.

``<root>/MNIST/raw/train-images-idx3-ubyte`` (and the three other files), or the same
under ``<root>/FashionMNIST/raw``. Files may also be gzip-compressed (``.gz``), as
torchvision downloads them. The folder is ``--data-dir``, else ``$SAE_DESKTOP_DATA``,
else the per-user data folder (see :mod:`sae_desktop.paths`). Images are returned as
uint8 NumPy arrays; converting to float happens on the training device, in its thread.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sae_desktop import paths

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
DISPLAY_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
CLASS_NAMES = {"mnist": tuple(str(d) for d in range(10)),
               "fashion-mnist": ("T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
                                 "bag", "boot")}
_IMAGE_MAGIC, _LABEL_MAGIC = 2051, 2049
# Far more than any MNIST-like set (MNIST's training images are 47 MB): a file that is, or
# expands to, more than this is refused before it is read, so memory stays bounded.
MAX_IDX_BYTES = 64 * 1024 * 1024
N_CLASSES = 10
TRAIN_IMAGES = 60_000  # MNIST's and Fashion-MNIST's training images (a run's planned steps, before it says)
OFFLINE_ENV = "SAE_DESKTOP_OFFLINE"  # "1": never try to download (demos, tests, air-gapped machines)


class DatasetError(RuntimeError):
    """The dataset is missing, partial or corrupt; the message says how to fix it."""


@dataclass(frozen=True)
class Dataset:
    name: str
    train_images: np.ndarray  # uint8 [60000, 28, 28]
    train_labels: np.ndarray  # uint8 [60000]
    test_images: np.ndarray  # uint8 [10000, 28, 28]
    test_labels: np.ndarray  # uint8 [10000]
    root: Path


def raw_folder(name: str, root: Path) -> Path:
    return Path(root) / FOLDERS[name] / "raw"


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / (stem + ".gz")):
        try:
            if candidate.is_file():
                return candidate
        except OSError as exc:  # e.g. a folder on the way that cannot be searched
            from sae_desktop.safe_write import describe_os_error

            raise DatasetError(f"cannot read the folder {folder}: {describe_os_error(exc)}") from None
    return None


def missing_files(name: str, root: str | os.PathLike) -> list[str]:
    """The dataset's files (of :data:`FILES`) not found under ``root``: a quick check by name,
    before anything is read or downloaded. Raises :class:`DatasetError` for an unreadable folder,
    or a file in the folder's place."""
    if Path(root).exists() and not Path(root).is_dir():
        raise DatasetError(f"⚠ {root} is a file, not a folder: choose the folder that holds {FOLDERS[name]}/raw/")
    folder = raw_folder(name, Path(root))
    return [stem for stem in FILES if _find(folder, stem) is None]


def dataset_root(folder: str | os.PathLike) -> Path:
    """The data folder meant by a folder a user picked: the folder itself, or the one above it
    when the pick was a dataset's own folder (``…/MNIST``) or its ``raw`` folder (``…/MNIST/raw``)."""
    folder = Path(folder).expanduser()
    if folder.name == "raw" and folder.parent.name in FOLDERS.values():
        return folder.parent.parent
    return folder.parent if folder.name in FOLDERS.values() else folder


def _read_bounded(path: Path) -> bytes:
    """The file's bytes (decompressed if ``.gz``), never more than :data:`MAX_IDX_BYTES`."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise DatasetError(f"cannot read {path}: not a regular file")
        if info.st_size > MAX_IDX_BYTES:  # also a huge sparse file: refused without reading it
            raise DatasetError(f"{path} is {info.st_size / 1e6:,.0f} MB, far more than an MNIST-like dataset "
                               f"(limit {MAX_IDX_BYTES // 2**20} MiB)")
        if path.suffix != ".gz":
            with open(path, "rb") as f:
                return f.read(MAX_IDX_BYTES + 1)
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_IDX_BYTES + 1)  # a decompression bomb stops here
    except DatasetError:
        raise
    except OSError as exc:  # includes gzip.BadGzipFile
        from sae_desktop.safe_write import describe_os_error

        raise DatasetError(f"cannot read {describe_os_error(exc, path)}") from None
    except (EOFError, zlib.error) as exc:
        raise DatasetError(f"corrupt compressed file {path}: {exc or 'it ends too early'}") from None
    if len(raw) > MAX_IDX_BYTES:
        raise DatasetError(f"{path} expands to more than {MAX_IDX_BYTES // 2**20} MiB, far more than an "
                           "MNIST-like dataset (a corrupt or hostile file?)")
    return raw


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Parse one IDX file, checking its magic number, shape and length, in bounded memory."""
    raw = _read_bounded(path)
    if len(raw) < 8:
        raise DatasetError(f"corrupt IDX file {path}: only {len(raw)} bytes")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise DatasetError(f"corrupt IDX file {path}: magic number {magic}, expected {expected_magic}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"corrupt IDX file {path}: header cut short")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = math.prod(shape)  # Python integers: header dimensions cannot overflow
    if len(raw) - header != count:
        raise DatasetError(
            f"corrupt or partial IDX file {path}: {len(raw) - header:,} data bytes, where its header says "
            f"{' × '.join(f'{n:,}' for n in shape)}{f' = {count:,}' if len(shape) > 1 else ''}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()  # writable, owns its memory


def missing_message(name: str, root: Path, reason: str = "", stems: tuple[str, ...] = FILES,
                    download: bool = True) -> str:
    """What is missing, and the fix: ``stems``, the files needed (the test split's two, to evaluate);
    ``download``: whether running online would fetch them (not for `evaluate`, which never downloads)."""
    folder = raw_folder(name, root)
    if root.exists() and not root.is_dir():  # (it advised downloading into the file)
        return (f"The data folder {root} is a file, not a folder. Fix: choose the folder that holds "
                f"{FOLDERS[name]}/raw/ (in the window: the training panel's Data folder, Choose…; on the command "
                "line: --data-dir or SAE_DESKTOP_DATA).")
    lines = [
        f"{DISPLAY_NAMES[name]} was not found in {folder}" + (f" ({reason})" if reason else "") + ".",
        f"Expected the {'four' if len(stems) == 4 else 'two'} files {', '.join(stems)} (optionally .gz).",
        "Fix: choose a folder that holds "
        f"{FOLDERS[name]}/raw/ with those files (in the window: the training panel's Data folder, Choose…; "
        "on the command line: --data-dir or SAE_DESKTOP_DATA)"
        + (f", or run once online to download them into {root}." if download else "."),
    ]
    return "\n".join(lines)


def describe_failure(exc: BaseException, limit: int = 300) -> str:
    """One line naming the error and its causes, never empty. torchvision's download error is
    "Error downloading train-images-idx3-ubyte.gz:" with the reason on the following lines or
    in the chained exception (e.g. URLError: [Errno -3] Temporary failure in name resolution)."""
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        parts.append(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    line = "; caused by ".join(parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"


OFFLINE_SIGNS = {  # what the download's error says → the cause in plain words
    "no network: the server's name could not be looked up": ("Name or service not known", "name resolution",
                                                             "nodename nor servname", "getaddrinfo failed"),
    "no network: the server could not be reached": ("Network is unreachable", "No route to host",
                                                    "Connection refused", "timed out", "Connection reset"),
    "the disk is full": ("No space left on device",),
}


def download_failure(exc: BaseException) -> str:
    """Why a download failed, in plain words where the error says it ("no network: the server's name could not be
    looked up" for torchvision's "RuntimeError: Error downloading train-images-idx3-ubyte.gz: Tried https://…, got:
    <urlopen error [Errno -2] Name or service not known> Tried http://…"), else :func:`describe_failure`'s line."""
    told = describe_failure(exc, limit=10_000)
    plain = next((cause for cause, signs in OFFLINE_SIGNS.items() if any(sign in told for sign in signs)), None)
    if plain is None and (code := re.search(r"HTTP Error (\d{3})", told)):
        plain = f"the server answered HTTP {code.group(1)}"
    return plain or describe_failure(exc)


def downloads_allowed() -> bool:
    return os.environ.get(OFFLINE_ENV) != "1"


def download(name: str, root: Path) -> None:
    """Fetch the dataset with torchvision into ``root`` (needs a network). A failure removes
    what it left behind: partial files, and the folders it created if they are empty."""
    from torchvision import datasets  # imported here: only online users need it

    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[name]
    raw = raw_folder(name, root)
    folders = [root, raw.parent, raw]
    created = [f for f in folders if not f.exists()]
    before = set(raw.iterdir()) if raw.is_dir() else set()
    try:
        root.mkdir(parents=True, exist_ok=True)
        for train in (True, False):
            cls(root=str(root), train=train, download=True)
    except BaseException:
        if raw.is_dir():
            for leftover in set(raw.iterdir()) - before:
                if leftover.is_file():
                    leftover.unlink(missing_ok=True)
        for folder in reversed(created):
            try:
                folder.rmdir()  # only if empty
            except OSError:
                pass
        raise


def load_dataset(name: str = "mnist", root: str | os.PathLike | None = None, allow_download: bool = False,
                 test_only: bool = False) -> Dataset:
    """Load the dataset as uint8 arrays, downloading first if allowed and absent. ``test_only``:
    the test split alone, its training arrays empty (evaluating, the window's test digits: a folder
    of the two t10k files was refused for lacking the training files, and the window read those
    47 MB at every start for nothing).

    Every failure is a :class:`DatasetError` whose message names the folder, the files and
    the fix, so callers can show it without a traceback.
    """
    if name not in FOLDERS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(FOLDERS)}")
    root = paths.data_dir(root)
    above = dataset_root(root)  # (…/MNIST or …/MNIST/raw given, as the window's Choose… takes them)
    if above != root and not raw_folder(name, root).is_dir() and raw_folder(name, above).is_dir():
        root = above
    folder = raw_folder(name, root)
    stems = FILES[2:] if test_only else FILES
    found = {stem: _find(folder, stem) for stem in stems}
    allow_download = allow_download and downloads_allowed()
    if not all(found.values()) and allow_download:
        try:
            download(name, root)
        except Exception as exc:  # offline, DNS, disk: all end in the same advice
            reason = f"download failed: {download_failure(exc)}"
            raise DatasetError(missing_message(name, root, reason)) from None
        found = {stem: _find(folder, stem) for stem in stems}
    missing = [stem for stem, path in found.items() if path is None]
    if missing:
        raise DatasetError(missing_message(name, root, "missing " + ", ".join(missing), tuple(stems),
                                           download=allow_download or not test_only))
    arrays = {
        stem: read_idx(path, _IMAGE_MAGIC if "images" in stem else _LABEL_MAGIC) for stem, path in found.items()
    }
    empty = (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
    train_x, train_y = empty if test_only else (arrays[FILES[0]], arrays[FILES[1]])
    test_x, test_y = arrays[FILES[2]], arrays[FILES[3]]
    for images, labels, split in ((train_x, train_y, "train"), (test_x, test_y, "test"))[test_only:]:
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DatasetError(f"corrupt {split} images in {folder}: shape {images.shape}, expected [N, 28, 28]")
        if labels.ndim != 1 or len(labels) != len(images):
            raise DatasetError(f"corrupt {split} labels in {folder}: {len(labels)} labels for {len(images)} images")
        if len(images) == 0:
            raise DatasetError(f"the {split} images in {folder} hold no images (the header says 0)")
        if labels.max() >= N_CLASSES:
            raise DatasetError(f"corrupt {split} labels in {folder}: label {int(labels.max())}, expected 0-9")
    return Dataset(name, train_x, train_y, test_x, test_y, root)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (used to build small test datasets)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = _IMAGE_MAGIC if array.ndim == 3 else _LABEL_MAGIC
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + array.tobytes())
