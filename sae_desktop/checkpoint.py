"""Checkpoints: safetensors weights + JSON metadata, written atomically, loaded strictly.

Never unpickles. A file is read as bytes; its safetensors header and our metadata pass one
validation layer (``safetensors_header.py``, ``checkpoint_schema.py``: every field's type, arity
and range, the configs against each other and the tensors against the config) before any tensor
is decoded.
Failures raise :class:`CheckpointError` with one line. Writes go through ``safe_write.py``.

Conversions and checks run in NumPy, not torch: the window loads and saves models on its
main thread, and a torch op there that goes parallel starts a second OpenMP team that
competes with the training thread's (see ``engine.py``). Loading never imports torch
either (the window opens and probes the bundled model before torch is loaded): weights
come back as NumPy arrays, and saving takes NumPy arrays or CPU tensors alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import stat
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from sae_desktop import __version__
from sae_desktop.checkpoint_schema import (CHECKSUM_KEY, CODES_KEY, DEAD_LATENT_KEYS, FORMAT, FORMAT_VERSION,
                                           OPTIMIZER_KEYS, PIXEL_BASIS_KEY, PIXELS_KEY, check_tensors, parse_metadata)
from sae_desktop.config import ModelConfig, TrainConfig
from sae_desktop.density import Density
from sae_desktop.events import Position
from sae_desktop.parameters import param_names
from sae_desktop.pixels import PixelReference
from sae_desktop.safe_write import atomic_write_bytes, describe_os_error
from sae_desktop.safetensors_header import Invalid, parse_header

Array = Any  # np.ndarray or torch.Tensor (CPU float32)
MAX_FILE_BYTES = 2 * 1024**3


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
    position: Position | None = None  # stopped inside epoch ``epoch + 1``: where (resumes exactly there)
    test_score_quantiles: list[float] | None = None  # test-set input scores, for the probe's verdict
    test_density: Density | None = None  # the test set's hidden-layer Gaussian, for the probe's verdict


def torch_version() -> str:
    """The installed torch's version, read without importing it when it is not loaded yet."""
    loaded = sys.modules.get("torch")
    if loaded is not None and hasattr(loaded, "__version__"):
        return str(loaded.__version__)
    try:
        from importlib import metadata  # 30 ms of imports: only when asked (not at start-up)

        return metadata.version("torch")
    except ImportError:  # metadata.PackageNotFoundError is one
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
    tensors = {name: as_numpy(ckpt.weights[name], np_dtype) for name in param_names(ckpt.model_config)}
    if include_optimizer and ckpt.optimizer is not None:
        tensors.update({k: as_numpy(ckpt.optimizer[k], np.float32) for k in OPTIMIZER_KEYS + DEAD_LATENT_KEYS
                        if k in ckpt.optimizer})
    if ckpt.test_density is not None and ckpt.test_density.codes is not None:
        tensors[CODES_KEY] = as_numpy(ckpt.test_density.codes, np.float16)  # the values are float16's already
    if ckpt.test_density is not None and ckpt.test_density.pixels is not None:
        tensors[PIXEL_BASIS_KEY] = as_numpy(ckpt.test_density.pixels.basis, np.float32)
        tensors[PIXELS_KEY] = as_numpy(ckpt.test_density.pixels.points, np.float16)
    meta = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "model_config": json.dumps(ckpt.model_config.to_dict()),
        "train_config": json.dumps(ckpt.train_config.to_dict() if ckpt.train_config else None),
        "epoch": str(ckpt.epoch),
        "history": json.dumps(ckpt.history),
        "test_error_quantiles": json.dumps(ckpt.test_error_quantiles),
        "test_score_quantiles": json.dumps(ckpt.test_score_quantiles),
        "test_density": json.dumps(ckpt.test_density.to_dict() if ckpt.test_density is not None else None),
        "versions": json.dumps(package_versions()),
        "extra": json.dumps(ckpt.extra),
    }
    if ckpt.position is not None:
        meta["position"] = json.dumps(ckpt.position.to_dict())
    meta[CHECKSUM_KEY] = content_checksum(tensors, meta)
    return st_save(tensors, metadata=meta)


def content_checksum(tensors: dict[str, np.ndarray], meta: dict[str, str]) -> str:
    """"sha256:<hex>" of a checkpoint's tensors (names, shapes, bytes) and its other metadata. Stored
    in the file, it tells a checkpoint whose weights were changed after it was saved (edited, or
    damaged on disk: safetensors has no checksum of its own), whose stored test statistics, history
    and verdicts would then describe other weights."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        digest.update(json.dumps([name, array.dtype.str, array.shape]).encode())
        digest.update(memoryview(array).cast("B"))
    digest.update(json.dumps({k: v for k, v in meta.items() if k != CHECKSUM_KEY}, sort_keys=True).encode())
    return "sha256:" + digest.hexdigest()


def save_checkpoint(ckpt: Checkpoint, path: str | os.PathLike, dtype="float32",
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
        if stat.S_ISDIR(info.st_mode):
            raise _fail(path, "a folder, not a model file (.safetensors)")
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
    for name in param_names(m.model_config):
        array = np.ascontiguousarray(tensors[name], dtype=np.float32)
        if not np.isfinite(array).all():
            raise _fail(path, f"{name} contains NaN or infinite values")
        weights[name] = array
    optimizer = None
    if has_optimizer:
        optimizer = {k: np.ascontiguousarray(tensors[k], dtype=np.float32).reshape(-1) for k in OPTIMIZER_KEYS}
        if not all(bool(np.isfinite(t).all()) for t in optimizer.values()) \
                or float(optimizer["optimizer.step"][0]) < 0 or float(optimizer["optimizer.exp_avg_sq"].min()) < 0:
            raise _fail(path, "the optimizer state holds NaN, infinite or negative values")
        if DEAD_LATENT_KEYS[0] in tensors:  # (check_tensors: both, F32, sized to the model)
            since, reading = (np.ascontiguousarray(tensors[k], dtype=np.float32) for k in DEAD_LATENT_KEYS)
            n = reading[1] if np.isfinite(reading[1]) else -1
            if not (np.isfinite(since).all() and since.min() >= 0 and np.isfinite(reading).all()
                    and (reading == np.round(reading)).all() and 0 <= reading[0] and 0 <= n <= since.size
                    and reading[2:].min() >= 0 and reading[2:2 + int(n)].max(initial=0) < since.size):
                raise _fail(path, "the dead latents' count or reading holds values no training writes")
            optimizer.update({DEAD_LATENT_KEYS[0]: since, DEAD_LATENT_KEYS[1]: reading})
    density = m.test_density
    if CODES_KEY in tensors:
        codes = tensors[CODES_KEY]  # kept float16 (converted at the first probe: 9 ms off the window's start)
        if not np.isfinite(codes).all():
            raise _fail(path, f"{CODES_KEY} contains NaN or infinite values")
        density = replace(density, codes=codes)  # check_tensors: with its neighbour_quantiles
    if PIXELS_KEY in tensors:  # (check_tensors: both, with the density's pixel_quantiles)
        basis, points = tensors[PIXEL_BASIS_KEY], tensors[PIXELS_KEY]
        if not (np.isfinite(basis).all() and np.isfinite(points).all()):
            raise _fail(path, f"{PIXELS_KEY} contains NaN or infinite values")
        density = replace(density, pixels=PixelReference(np.ascontiguousarray(basis, dtype=np.float32), points))
    # Last, so that a more precise reason (a NaN, a missing tensor) is the one said; older files have none
    if CHECKSUM_KEY in meta and meta[CHECKSUM_KEY] != content_checksum(tensors, meta):
        raise _fail(path, "its contents changed after it was saved (the checksum it stores no longer matches): "
                          "its stored test figures would describe other weights")
    return Checkpoint(m.model_config, weights, m.train_config, optimizer, m.epoch, m.history,
                      m.test_error_quantiles, {**m.extra, "versions": m.versions}, m.position, m.test_score_quantiles,
                      density)
