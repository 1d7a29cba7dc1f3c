"""The one validation layer of checkpoint files: our metadata, and the tensors against it (the
safetensors header beneath it is ``safetensors_header.py``'s).

Every field read from a file passes here, checked for type, arity and range, before any of it
is used or any tensor is decoded; a failure is :class:`Invalid` with one line saying why
(``checkpoint.py`` adds the file's name). Nothing here executes or imports anything a file names.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from sae_desktop.config import MAX_EPOCHS, ConfigError, ModelConfig, TrainConfig
from sae_desktop.density import MAX_CODE_WIDTH, MAX_CODES, Density
from sae_desktop.density import MAX_WIDTH as DENSITY_MAX_WIDTH
from sae_desktop.events import Position
from sae_desktop.json_values import is_int, is_number
from sae_desktop.pixels import MAX_POINTS, MIN_POINTS
from sae_desktop.parameters import BUFFER_NAMES, param_names, param_shapes
from sae_desktop.safetensors_header import Entry, Invalid

FORMAT = "sae-desktop-checkpoint"
FORMAT_VERSION = 1
OPTIMIZER_KEYS = ("optimizer.exp_avg", "optimizer.exp_avg_sq", "optimizer.step")
# …and beside Adam's state, which latents are dead (AuxK's and resampling's count of the training images since each
# fired, F32 [d_latent]; AuxK's last reading, losses.Objective.reading, F32 [2 + d_latent]): files before them lack them
DEAD_LATENT_KEYS = ("dead_latents.images_since_fired", "dead_latents.reading")
CODES_KEY = "test_density.codes"  # F16 [M, d_latent]: the test digits' codes (density.py's nearest neighbours)
PIXEL_BASIS_KEY = "test_density.pixel_basis"  # F32 [1 + K, d_in]: the reference digits' mean and directions…
PIXELS_KEY = "test_density.pixels"  # …and F16 [M, K]: their coordinates (pixels.py's nearest digits)
REFERENCE_KEYS = (CODES_KEY, PIXEL_BASIS_KEY, PIXELS_KEY)
MAX_QUANTILES = 100_000
CHECKSUM_KEY = "checksum"  # "sha256:<hex>" of every tensor and the other metadata (checkpoint.content_checksum)
METADATA_KEYS = ("format", "format_version", "model_config", "train_config", "epoch", "history",
                 "test_error_quantiles", "test_score_quantiles", "test_density", "versions", "extra", "position",
                 CHECKSUM_KEY)


@dataclass
class Metadata:
    model_config: ModelConfig
    train_config: TrainConfig | None
    epoch: int
    history: list[dict]
    test_error_quantiles: list[float] | None
    versions: dict[str, str]
    extra: dict
    position: Position | None = None
    unknown: list[str] = field(default_factory=list)
    test_score_quantiles: list[float] | None = None  # of the test set's input scores (the probe's verdict)
    test_density: Density | None = None  # the test set's hidden-layer Gaussian (the probe's verdict)


def _json(text: Any, what: str) -> Any:
    if not isinstance(text, str):
        raise Invalid(f"metadata field {what!r} should be a JSON string, got {type(text).__name__}")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise Invalid(f"metadata field {what!r} is not valid JSON (or nested too deeply)") from None


def parse_metadata(meta: dict[str, str]) -> Metadata:
    """Our metadata, every field typed and ranged, configs consistent with each other."""
    if meta.get("format") != FORMAT:
        raise Invalid("a safetensors file, but not an sae-desktop checkpoint (no format metadata)")
    raw_version = meta.get("format_version", "")
    if not (isinstance(raw_version, str) and raw_version.isascii() and raw_version.isdigit()
            and len(raw_version) < 6 and int(raw_version) >= 1):
        raise Invalid(f"bad format version {str(raw_version)[:20]!r}")
    if int(raw_version) > FORMAT_VERSION:
        raise Invalid(f"written by a newer sae-desktop (format {int(raw_version)}; this one reads up to "
                      f"{FORMAT_VERSION}); upgrade sae-desktop to open it")
    if "model_config" not in meta:
        raise Invalid("metadata field 'model_config' is missing")
    try:
        model_cfg = ModelConfig.from_dict(_json(meta["model_config"], "model_config"))
        raw_train = _json(meta.get("train_config", "null"), "train_config")
        train_cfg = TrainConfig.from_dict(raw_train).check() if raw_train is not None else None
    except ConfigError as exc:
        raise Invalid(str(exc)) from None
    raw_epoch = meta.get("epoch", "0")
    if not (raw_epoch.isascii() and raw_epoch.isdigit() and int(raw_epoch) <= MAX_EPOCHS):
        raise Invalid(f"bad epoch {raw_epoch[:20]!r} (a count of completed epochs, at most {MAX_EPOCHS})")
    epoch = int(raw_epoch)
    history = _history(_json(meta.get("history", "[]"), "history"), epoch)
    quantiles = _quantiles(_json(meta.get("test_error_quantiles", "null"), "test_error_quantiles"))
    scores = _quantiles(_json(meta.get("test_score_quantiles", "null"), "test_score_quantiles"),
                        "test_score_quantiles")
    density = _density(_json(meta.get("test_density", "null"), "test_density"), model_cfg)
    versions = _json(meta.get("versions", "{}"), "versions")
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise Invalid("metadata field 'versions' should map package names to version strings")
    extra = _json(meta.get("extra", "{}"), "extra")
    if extra is None:
        extra = {}
    if not isinstance(extra, dict):
        raise Invalid(f"metadata field 'extra' should be an object, got {type(extra).__name__}")
    raw_position = _json(meta.get("position", "null"), "position")
    try:
        position = Position.from_dict(raw_position) if raw_position is not None else None
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if position is not None and train_cfg is None:
        raise Invalid("a position inside an epoch needs the training config")
    return Metadata(model_cfg, train_cfg, epoch, history, quantiles, versions, extra, position,
                    sorted(set(meta) - set(METADATA_KEYS)), scores, density)


def _history(history: Any, epoch: int) -> list[dict]:
    if not isinstance(history, list) or len(history) > epoch:
        raise Invalid(f"metadata field 'history' should be a list of at most {epoch} epoch records")
    for i, record in enumerate(history):
        if not isinstance(record, dict) or not all(isinstance(k, str) for k in record):
            raise Invalid(f"history record {i} should be an object")
        for key, value in record.items():
            ok = (isinstance(value, str) or is_number(value)
                  or (isinstance(value, list) and len(value) <= 65536 and all(is_number(v) for v in value)))
            if not ok:
                raise Invalid(f"history record {i}: {key[:40]!r} should be a finite number, text or a list of "
                              "numbers")
        if not (is_int(record.get("epoch")) and 1 <= record["epoch"] <= epoch):
            raise Invalid(f"history record {i}: 'epoch' should be a whole number from 1 to {epoch}")
    return history


def _quantiles(quantiles: Any, name: str = "test_error_quantiles") -> list[float] | None:
    if quantiles is None:
        return None
    if (not isinstance(quantiles, list) or not 2 <= len(quantiles) <= MAX_QUANTILES
            or not all(is_number(q) and q >= 0 for q in quantiles)
            or any(b < a for a, b in zip(quantiles, quantiles[1:]))):
        raise Invalid(f"metadata field '{name}' should be an ascending list of non-negative numbers")
    return [float(q) for q in quantiles]


# a density's numbers beyond these overflowed its distance (a fit's least variance is 1e-18: density.py's floor)
DENSITY_LARGEST, DENSITY_LEAST_POSITIVE = 1e12, 1e-30


def _numbers(values: Any, length: int, what: str, positive: bool = False) -> list[float]:
    if (not isinstance(values, list) or len(values) != length
            or not all(is_number(v) and abs(v) <= DENSITY_LARGEST and (v >= DENSITY_LEAST_POSITIVE or not positive)
                       for v in values)):
        raise Invalid(f"metadata field 'test_density': {what} should be {length} "
                      f"{'positive numbers from 1e-30' if positive else 'numbers'} to 1e12")
    return values


def _density(raw: Any, model_cfg: ModelConfig) -> Density | None:
    """The test set's hidden-layer Gaussian (``density.Density.to_dict``), sized to the model."""
    if raw is None:
        return None
    keys = {"mean", "components", "variances", "residual", "quantiles", "combined_quantiles"}
    if not isinstance(raw, dict) or not keys <= set(raw) <= keys | {"neighbour_quantiles", "pixel_quantiles"}:
        raise Invalid(f"metadata field 'test_density' should be an object with {', '.join(sorted(keys))}")
    width = model_cfg.d_hidden
    if width > DENSITY_MAX_WIDTH:
        raise Invalid(f"metadata field 'test_density' is for hidden layers of at most {DENSITY_MAX_WIDTH} units")
    _numbers(raw["mean"], width, "mean")
    components = raw["components"]
    if not isinstance(components, list) or not 1 <= len(components) <= width:
        raise Invalid(f"metadata field 'test_density': components should be 1 to {width} lists")
    for row in components:
        _numbers(row, width, "each component")
    _numbers(raw["variances"], len(components), "variances (one per component)", positive=True)
    _numbers([raw["residual"]], 1, "residual", positive=True)
    for name in ("quantiles", "combined_quantiles", "neighbour_quantiles", "pixel_quantiles"):
        if _quantiles(raw.get(name), f"test_density.{name}") is None and name in keys:  # (null: a traceback)
            raise Invalid(f"metadata field 'test_density.{name}' should be an ascending list of non-negative numbers")
    return Density.from_dict(raw)


def check_tensors(entries: dict[str, Entry], meta: Metadata) -> bool:
    """Names and shapes against the model config, and the training config against the model
    config, before decoding; True when Adam's state is there."""
    model_cfg = meta.model_config
    shapes, names = param_shapes(model_cfg), param_names(model_cfg)
    missing = [n for n in names if n not in entries]
    if missing:
        raise Invalid(f"missing tensors {', '.join(missing)}")
    unknown = sorted(set(entries) - set(names) - set(OPTIMIZER_KEYS) - set(REFERENCE_KEYS) - set(DEAD_LATENT_KEYS))
    if unknown:
        raise Invalid(f"unexpected tensors {', '.join(u[:40] for u in unknown[:4])}")
    _check_codes(entries.get(CODES_KEY), meta.test_density, model_cfg)
    _check_pixels(entries.get(PIXEL_BASIS_KEY), entries.get(PIXELS_KEY), meta.test_density, model_cfg)
    for name in names:
        if entries[name].shape != shapes[name]:
            raise Invalid(f"{name} has shape {list(entries[name].shape)} but the config "
                          f"(d_in={model_cfg.d_in}, d_hidden={model_cfg.d_hidden}, "
                          f"d_latent={model_cfg.d_latent}) needs {list(shapes[name])}")
    if meta.train_config is not None and meta.train_config.model_config() != model_cfg:
        raise Invalid("the training config describes a different model than the model config")
    present = [k for k in OPTIMIZER_KEYS if k in entries]
    if present and len(present) != len(OPTIMIZER_KEYS):
        raise Invalid(f"incomplete optimizer state (has {', '.join(present)})")
    dead = [k for k in DEAD_LATENT_KEYS if k in entries]
    if dead and (len(dead) != len(DEAD_LATENT_KEYS) or not present):
        raise Invalid("the dead latents' count comes with its reading and Adam's state, or not at all")
    for key, size in zip(dead, (model_cfg.d_latent, 2 + model_cfg.d_latent)):
        if entries[key].shape != (size,) or entries[key].dtype != "F32":
            raise Invalid(f"{key} should be F32 of shape [{size}]")
    if not present:
        return False
    total = sum(math.prod(s) for n, s in shapes.items() if n not in BUFFER_NAMES)  # Adam: parameters only
    if any(math.prod(entries[k].shape) != total for k in OPTIMIZER_KEYS[:2]):
        raise Invalid("optimizer state does not match the model size")
    if math.prod(entries["optimizer.step"].shape) != 1:
        raise Invalid("optimizer step count should be a single number")
    return True


def _check_codes(entry: Entry | None, density: Density | None, model_cfg: ModelConfig) -> None:
    """The test digits' codes come with the density's nearest-neighbour quantiles, or neither does."""
    expects = density is not None and density.neighbour_quantiles is not None
    if entry is None:
        if expects:
            raise Invalid(f"metadata field 'test_density' has neighbour_quantiles but tensor {CODES_KEY} is missing")
        return
    if not expects:
        raise Invalid(f"tensor {CODES_KEY} without a test_density that has neighbour_quantiles")
    if (len(entry.shape) != 2 or entry.dtype != "F16" or not 2 <= entry.shape[0] <= MAX_CODES
            or entry.shape[1] != model_cfg.d_latent or model_cfg.d_latent > MAX_CODE_WIDTH):
        raise Invalid(f"{CODES_KEY} should be F16 [2 to {MAX_CODES}, d_latent={model_cfg.d_latent}] "
                      f"(codes at most {MAX_CODE_WIDTH} wide), got {entry.dtype} {list(entry.shape)}")


def _check_pixels(basis: Entry | None, points: Entry | None, density: Density | None, model_cfg: ModelConfig) -> None:
    """The reference digits' pixels (both tensors) come with the density's pixel_quantiles, or nothing does."""
    expects = density is not None and density.pixel_quantiles is not None
    if basis is None and points is None and not expects:
        return
    if basis is None or points is None or not expects:
        raise Invalid(f"tensors {PIXEL_BASIS_KEY} and {PIXELS_KEY} and the metadata field "
                      "'test_density.pixel_quantiles' come together")
    if (len(basis.shape) != 2 or basis.dtype != "F32" or basis.shape[1] != model_cfg.d_in
            or not 2 <= basis.shape[0] <= model_cfg.d_in + 1 or len(points.shape) != 2 or points.dtype != "F16"
            or points.shape[1] != basis.shape[0] - 1 or not MIN_POINTS <= points.shape[0] <= MAX_POINTS):
        raise Invalid(f"{PIXEL_BASIS_KEY} should be F32 [1 + K, d_in={model_cfg.d_in}] and {PIXELS_KEY} "
                      f"F16 [{MIN_POINTS} to {MAX_POINTS}, K], got {basis.dtype} {list(basis.shape)} and "
                      f"{points.dtype} {list(points.shape)}")
