"""Checkpoints: safetensors weights + JSON metadata, written atomically, loaded strictly.

Never unpickles. A file is read as bytes, its safetensors header is checked by hand
(size, offsets, dtypes) before anything is decoded, and every tensor is checked against
the model config it claims. Failures raise :class:`CheckpointError` with one line.

Conversions and checks run in NumPy, not torch: the window loads and saves models on its
main thread, and a torch op there that goes parallel starts a second OpenMP team that
competes with the training thread's (see ``engine.py``). Loading never imports torch
either (the window opens and probes the bundled model before torch is loaded): weights
come back as NumPy arrays, and saving takes NumPy arrays or CPU tensors alike.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from sae_desktop import __version__
from sae_desktop.config import ConfigError, ModelConfig, TrainConfig
from sae_desktop.parameters import PARAM_NAMES, param_shapes

Array = Any  # np.ndarray or torch.Tensor (CPU float32)
FORMAT = "sae-desktop-checkpoint"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 64 * 1024 * 1024
MAX_FILE_BYTES = 2 * 1024**3
_FLOAT_DTYPES = ("F32", "F16")
OPTIMIZER_KEYS = ("optimizer.exp_avg", "optimizer.exp_avg_sq", "optimizer.step")


class CheckpointError(ValueError):
    """The file is not a loadable sae-desktop checkpoint; the message says why, in one line."""


@dataclass
class Checkpoint:
    model_config: ModelConfig
    weights: dict[str, Array]  # float32, CPU: NumPy arrays when loaded, tensors when from training
    train_config: TrainConfig | None = None
    optimizer: dict[str, Array] | None = None
    epoch: int = 0  # completed epochs
    history: list[dict] = field(default_factory=list)  # per-epoch records (engine.EpochOutput.record)
    test_error_quantiles: list[float] | None = None  # for out-of-distribution percentiles
    extra: dict = field(default_factory=dict)  # anything else in the metadata (versions, run id…)


def torch_version() -> str:
    """The installed torch's version, read without importing it when it is not loaded yet."""
    loaded = sys.modules.get("torch")
    if loaded is not None and hasattr(loaded, "__version__"):
        return str(loaded.__version__)
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "not installed"


def package_versions() -> dict[str, str]:
    import numpy
    import safetensors

    return {
        "sae_desktop": __version__,
        "torch": torch_version(),
        "numpy": numpy.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync, then rename over ``path``.

    A crash (or a full disk) at any moment leaves either the old file or the new one.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        delay = os.environ.get("SAE_DESKTOP_FAULT_SAVE_DELAY")  # fault injection for kill tests
        if delay:
            time.sleep(float(delay))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        try:
            dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass


def as_numpy(array: Array, dtype=None) -> np.ndarray:
    """A NumPy view (no copy where possible) of a NumPy array or a torch tensor (any device)."""
    if hasattr(array, "detach"):  # a torch tensor; checked by duck type so torch need not be imported
        array = array.detach().cpu().numpy()
    return np.ascontiguousarray(array, dtype=dtype)


def storage_dtype(dtype) -> np.dtype:
    """``float32`` or ``float16``, given as a string, a NumPy dtype or a torch dtype."""
    name = str(dtype).removeprefix("torch.")
    if name not in ("float32", "float16"):
        raise ValueError(f"checkpoints store float32 or float16, not {dtype}")
    return np.dtype(name)


def to_bytes(ckpt: Checkpoint, dtype="float32", include_optimizer: bool = True) -> bytes:
    np_dtype = storage_dtype(dtype)
    tensors = {name: as_numpy(ckpt.weights[name], np_dtype) for name in PARAM_NAMES}
    if include_optimizer and ckpt.optimizer is not None:
        tensors.update({k: as_numpy(ckpt.optimizer[k], np.float32) for k in OPTIMIZER_KEYS})
    meta = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "model_config": json.dumps(ckpt.model_config.to_dict()),
        "train_config": json.dumps(ckpt.train_config.to_dict() if ckpt.train_config else None),
        "epoch": str(ckpt.epoch),
        "history": json.dumps(ckpt.history),
        "test_error_quantiles": json.dumps(ckpt.test_error_quantiles),
        "versions": json.dumps(package_versions()),
        "extra": json.dumps(ckpt.extra),
    }
    return st_save(tensors, metadata=meta)


def save_checkpoint(ckpt: Checkpoint, path: str | os.PathLike, dtype="float32",
                    include_optimizer: bool = True) -> Path:
    """Save atomically. Raises ``OSError`` (read-only folder, full disk) with the old file intact."""
    path = Path(path)
    atomic_write_bytes(path, to_bytes(ckpt, dtype, include_optimizer))
    return path


def _fail(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"cannot load {path.name}: {why}")


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"PK\x03\x04":
        return "it is a zip archive (e.g. a PyTorch .pt file); only safetensors files are read, never pickles"
    if data[:1] == b"\x80" and len(data) > 1 and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "it is a Python pickle; pickles can run code and are never loaded"
    return None


def _parse_header(path: Path, data: bytes) -> dict:
    if len(data) == 0:
        raise _fail(path, "the file is empty")
    sniffed = _sniff(data)
    if sniffed:
        raise _fail(path, sniffed)
    if len(data) < 8:
        raise _fail(path, f"the file is truncated ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n < 2 or n > MAX_HEADER_BYTES or 8 + n > len(data):
        raise _fail(path, "not a safetensors file, or truncated (bad header length)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _fail(path, "not a safetensors file (header is not JSON)") from None
    if not isinstance(header, dict):
        raise _fail(path, "not a safetensors file (header is not an object)")
    body = len(data) - 8 - n
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or not isinstance(info.get("data_offsets"), list):
            raise _fail(path, f"corrupt header entry for {name!r}")
        if info.get("dtype") not in _FLOAT_DTYPES:
            raise _fail(path, f"tensor {name!r} has unsupported dtype {info.get('dtype')!r}")
        lo, hi = info["data_offsets"]
        if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi):
            raise _fail(path, f"corrupt offsets for {name!r}")
        end = max(end, hi)
    if end > body:
        raise _fail(path, f"the file is truncated ({body} data bytes, header needs {end})")
    return header


def _meta_json(path: Path, meta: dict, key: str, default=None):
    if key not in meta:
        return default
    try:
        return json.loads(meta[key])
    except (TypeError, json.JSONDecodeError):
        raise _fail(path, f"metadata field {key!r} is not valid JSON") from None


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Load and validate a checkpoint. Every failure is a one-line :class:`CheckpointError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise _fail(path, "not a regular file")
        if size > MAX_FILE_BYTES:
            raise _fail(path, f"the file is too large ({size / 1e9:.1f} GB) for a model of this kind")
        data = path.read_bytes()
    except CheckpointError:
        raise
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror or exc}") from None
    header = _parse_header(path, data)
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _fail(path, "a safetensors file, but not an sae-desktop checkpoint (no format metadata)")
    try:
        version = int(meta.get("format_version", ""))
    except ValueError:
        raise _fail(path, f"bad format version {meta.get('format_version')!r}") from None
    if version > FORMAT_VERSION:
        raise _fail(path, f"written by a newer sae-desktop (format {version}; this one reads up to "
                          f"{FORMAT_VERSION}); upgrade sae-desktop to open it")
    try:
        model_cfg = ModelConfig.from_dict(_meta_json(path, meta, "model_config"))
        raw_train = _meta_json(path, meta, "train_config")
        train_cfg = TrainConfig.from_dict(raw_train) if raw_train is not None else None
    except ConfigError as exc:
        raise _fail(path, str(exc)) from None
    try:
        tensors = st_load(data)
    except Exception as exc:  # safetensors raises its own error type for any malformation
        raise _fail(path, f"corrupt safetensors data ({type(exc).__name__})") from None
    shapes = param_shapes(model_cfg)
    missing = [n for n in PARAM_NAMES if n not in tensors]
    if missing:
        raise _fail(path, f"missing tensors {', '.join(missing)}")
    unknown = sorted(set(tensors) - set(PARAM_NAMES) - set(OPTIMIZER_KEYS))
    if unknown:
        raise _fail(path, f"unexpected tensors {', '.join(unknown[:4])}")
    weights = {}
    for name in PARAM_NAMES:
        array = tensors[name]
        if tuple(array.shape) != shapes[name]:
            raise _fail(path, f"{name} has shape {list(array.shape)} but the config "
                              f"(d_in={model_cfg.d_in}, d_hidden={model_cfg.d_hidden}, "
                              f"d_latent={model_cfg.d_latent}) needs {list(shapes[name])}")
        array = np.ascontiguousarray(array, dtype=np.float32)
        if not np.isfinite(array).all():
            raise _fail(path, f"{name} contains NaN or infinite values")
        weights[name] = array
    optimizer = None
    if all(k in tensors for k in OPTIMIZER_KEYS):
        total = sum(int(np.prod(s)) for s in shapes.values())
        optimizer = {k: np.ascontiguousarray(tensors[k], dtype=np.float32) for k in OPTIMIZER_KEYS}
        if optimizer["optimizer.exp_avg"].size != total or optimizer["optimizer.exp_avg_sq"].size != total:
            raise _fail(path, "optimizer state does not match the model size")
    try:
        epoch = int(meta.get("epoch", "0"))
    except ValueError:
        raise _fail(path, "bad epoch metadata") from None
    history = _meta_json(path, meta, "history", [])
    quantiles = _meta_json(path, meta, "test_error_quantiles")
    if not isinstance(history, list) or (quantiles is not None and not isinstance(quantiles, list)):
        raise _fail(path, "bad history or quantile metadata")
    extra = _meta_json(path, meta, "extra", {}) or {}
    extra["versions"] = _meta_json(path, meta, "versions", {})
    return Checkpoint(model_cfg, weights, train_cfg, optimizer, epoch, history, quantiles, extra)
