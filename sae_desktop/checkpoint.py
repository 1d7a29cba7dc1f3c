"""Checkpoints: safetensors weights + JSON metadata, written atomically, loaded strictly.

Never unpickles. A file is read as bytes; its safetensors header and our metadata pass one
validation layer (``checkpoint_schema.py``: every field's type, arity and range, the configs
against each other and the tensors against the config) before any tensor is decoded.
Failures raise :class:`CheckpointError` with one line. Writes go through ``safe_write.py``.

Conversions and checks run in NumPy, not torch: the window loads and saves models on its
main thread, and a torch op there that goes parallel starts a second OpenMP team that
competes with the training thread's (see ``engine.py``).
"""

from __future__ import annotations

import json
import os
import platform
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from sae_desktop import __version__
from sae_desktop.checkpoint_schema import (FORMAT, FORMAT_VERSION, OPTIMIZER_KEYS, Invalid, check_tensors,
                                           parse_header, parse_metadata)
from sae_desktop.config import ModelConfig, TrainConfig
from sae_desktop.events import Position
from sae_desktop.model import PARAM_NAMES
from sae_desktop.safe_write import atomic_write_bytes, describe_os_error

MAX_FILE_BYTES = 2 * 1024**3


class CheckpointError(ValueError):
    """The file is not a loadable sae-desktop checkpoint; the message says why, in one line."""


@dataclass
class Checkpoint:
    model_config: ModelConfig
    weights: dict[str, torch.Tensor]  # float32, CPU
    train_config: TrainConfig | None = None
    optimizer: dict[str, torch.Tensor] | None = None
    epoch: int = 0  # completed epochs
    history: list[dict] = field(default_factory=list)  # per-epoch records (engine.EpochOutput.record)
    test_error_quantiles: list[float] | None = None  # for out-of-distribution percentiles
    extra: dict = field(default_factory=dict)  # anything else in the metadata (versions, run id…)
    position: Position | None = None  # stopped inside epoch ``epoch + 1``: where (resumes exactly there)


def package_versions() -> dict[str, str]:
    import numpy
    import safetensors

    return {
        "sae_desktop": __version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }


def _as_numpy(tensor: torch.Tensor | np.ndarray, dtype) -> np.ndarray:
    array = tensor.detach().cpu().numpy() if isinstance(tensor, torch.Tensor) else np.asarray(tensor)
    return np.ascontiguousarray(array, dtype=dtype)


def to_bytes(ckpt: Checkpoint, dtype: torch.dtype = torch.float32, include_optimizer: bool = True) -> bytes:
    np_dtype = {torch.float32: np.float32, torch.float16: np.float16}[dtype]
    tensors = {name: _as_numpy(ckpt.weights[name], np_dtype) for name in PARAM_NAMES}
    if include_optimizer and ckpt.optimizer is not None:
        tensors.update({k: _as_numpy(ckpt.optimizer[k], np.float32) for k in OPTIMIZER_KEYS})
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
    if ckpt.position is not None:
        meta["position"] = json.dumps(ckpt.position.to_dict())
    return st_save(tensors, metadata=meta)


def save_checkpoint(ckpt: Checkpoint, path: str | os.PathLike, dtype: torch.dtype = torch.float32,
                    include_optimizer: bool = True, inputs=()) -> Path:
    """Save atomically (see ``safe_write``). Raises ``OSError`` (read-only folder, full disk, a
    target that is not a regular file or is one of ``inputs``) with the old file intact."""
    atomic_write_bytes(path, to_bytes(ckpt, dtype, include_optimizer), inputs)
    return Path(path)


def _fail(path: Path, why: str) -> CheckpointError:
    """The one way a load fails: one line, however odd the names the file holds (newlines, length)."""
    why = " ".join(why.split())
    return CheckpointError(f"cannot load {path.name}: {why if len(why) <= 300 else why[:297] + '...'}")


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Load and validate a checkpoint. Every failure is a one-line :class:`CheckpointError`."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise _fail(path, "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise _fail(path, f"the file is too large ({info.st_size / 1e9:.1f} GB) for a model of this kind")
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except CheckpointError:
        raise
    except OSError as exc:
        raise CheckpointError(f"cannot read {describe_os_error(exc, path)}") from None
    try:
        entries, meta = parse_header(data)
        m = parse_metadata(meta)
        has_optimizer = check_tensors(entries, m)
    except Invalid as exc:
        raise _fail(path, str(exc)) from None
    try:
        tensors = st_load(data)
    except Exception as exc:  # safetensors raises its own error type for any malformation
        raise _fail(path, f"corrupt safetensors data ({type(exc).__name__})") from None
    weights = {}
    for name in PARAM_NAMES:
        array = np.ascontiguousarray(tensors[name], dtype=np.float32)
        if not np.isfinite(array).all():
            raise _fail(path, f"{name} contains NaN or infinite values")
        weights[name] = torch.from_numpy(array)  # shares memory: no torch op runs here
    optimizer = None
    if has_optimizer:
        optimizer = {k: torch.from_numpy(np.ascontiguousarray(tensors[k], dtype=np.float32).reshape(-1))
                     for k in OPTIMIZER_KEYS}
        if not all(bool(np.isfinite(t.numpy()).all()) for t in optimizer.values()) \
                or float(optimizer["optimizer.step"][0]) < 0 or float(optimizer["optimizer.exp_avg_sq"].min()) < 0:
            raise _fail(path, "the optimizer state holds NaN, infinite or negative values")
    extra = dict(m.extra)
    extra["versions"] = m.versions
    return Checkpoint(m.model_config, weights, m.train_config, optimizer, m.epoch, m.history,
                      m.test_error_quantiles, extra, m.position)
