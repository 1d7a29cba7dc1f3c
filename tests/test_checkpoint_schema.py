"""The checkpoint validation layer: any JSON in any header or metadata field is refused in one
line (a :class:`CheckpointError`) or loads as well-typed values; never another exception."""

import json
import math
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sae_desktop.checkpoint import CheckpointError, load_checkpoint, to_bytes
from sae_desktop.checkpoint_schema import METADATA_KEYS
from sae_desktop.config import ModelConfig, TrainConfig
from sae_desktop.snapshot import ModelSnapshot
from tests.test_checkpoint import make_checkpoint

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


def with_header(data: bytes, edit) -> bytes:
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    edit(header)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data[8 + n:]


def load_bytes(tmp_path, blob: bytes):
    path = tmp_path / "c.safetensors"
    path.write_bytes(blob)
    return load_checkpoint(path)


def well_typed(ckpt) -> None:
    assert isinstance(ckpt.epoch, int) and 0 <= ckpt.epoch <= 10_000
    assert isinstance(ckpt.history, list) and all(isinstance(r, dict) for r in ckpt.history)
    q = ckpt.test_error_quantiles
    assert q is None or (all(isinstance(v, float) and math.isfinite(v) for v in q) and q == sorted(q))
    assert isinstance(ckpt.extra, dict) and isinstance(ckpt.extra["versions"], dict)
    assert ckpt.model_config.d_in == 784


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(METADATA_KEYS), value=json_values, as_string=st.booleans())
def test_any_json_in_any_metadata_field(tmp_path, key, value, as_string):
    def edit(header):
        header["__metadata__"][key] = json.dumps(value) if as_string else value

    try:
        ckpt = load_bytes(tmp_path, with_header(to_bytes(make_checkpoint()), edit))
    except CheckpointError as exc:
        assert "\n" not in str(exc)
        return
    well_typed(ckpt)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["W_enc1", "b_dec2", "optimizer.step"]),
       field=st.sampled_from(["dtype", "shape", "data_offsets", None]), value=json_values)
def test_any_json_in_any_tensor_entry(tmp_path, name, field, value):
    def edit(header):
        if field is None:
            header[name] = value
        else:
            header[name][field] = value

    try:
        load_bytes(tmp_path, with_header(to_bytes(make_checkpoint()), edit))
    except CheckpointError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("key,value,reason", [
    ("epoch", "-3", "bad epoch"),
    ("epoch", "99999999999999999999", "bad epoch"),
    ("format_version", "1.0", "format version"),
    ("extra", "[1, 2]", "'extra' should be an object"),
    ("history", '[{"epoch": 1}, 5]', "history record 1"),
    ("history", '"abc"', "'history'"),
    ("test_error_quantiles", '[0.3, 0.1]', "ascending"),
    ("test_error_quantiles", '{"a": 1}', "test_error_quantiles"),
    ("versions", '{"torch": 2}', "'versions'"),
    ("test_density", '{"mean": [0.0]}', "'test_density' should be an object"),
    ("test_density", json.dumps({"mean": [0.0] * 8, "components": [[1.0] * 7], "variances": [1.0], "residual": 1.0,
                                 "quantiles": [0, 1], "combined_quantiles": [0, 1]}), "each component"),
    ("test_density", json.dumps({"mean": [0.0] * 8, "components": [[1.0] * 8], "variances": [0.0], "residual": 1.0,
                                 "quantiles": [0, 1], "combined_quantiles": [0, 1]}), "positive"),
    ("test_density", json.dumps({"mean": [0.0] * 8, "components": [[1.0] * 8], "variances": [1.0], "residual": 1.0,
                                 "quantiles": [1, 0], "combined_quantiles": [0, 1]}), "test_density.quantiles"),
    # (null quantiles: a traceback in the CLI and the window; a mean of 1e308: overflow warnings, a figure lost)
    ("test_density", json.dumps({"mean": [0.0] * 8, "components": [[1.0] * 8], "variances": [1.0], "residual": 1.0,
                                 "quantiles": None, "combined_quantiles": [0, 1]}), "test_density.quantiles"),
    ("test_density", json.dumps({"mean": [0.0] * 8, "components": [[1.0] * 8], "variances": [1.0], "residual": 1.0,
                                 "quantiles": [0, 1], "combined_quantiles": None}), "test_density.combined_quantiles"),
    ("test_density", json.dumps({"mean": [1e308] + [0.0] * 7, "components": [[1.0] * 8], "variances": [1.0],
                                 "residual": 1.0, "quantiles": [0, 1], "combined_quantiles": [0, 1]}), "mean"),
    ("test_density", json.dumps({"mean": [0.0] * 8, "components": [[1.0] * 8], "variances": [1e-300],
                                 "residual": 1.0, "quantiles": [0, 1], "combined_quantiles": [0, 1]}), "variances"),
    ("position", '{"step": -1}', "position"),
    ("model_config", json.dumps({**ModelConfig(d_hidden=8, d_latent=4).to_dict(), "d_in": 100}), "d_in must be 784"),
    ("train_config", json.dumps(TrainConfig(d_hidden=9, d_latent=4).to_dict()), "different model"),
    ("train_config", json.dumps({**TrainConfig(d_hidden=8, d_latent=4).to_dict(), "epochs": -5}), "--epochs"),
    ("model_config", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_each_field_is_refused_in_one_line(tmp_path, key, value, reason):
    def edit(header):
        header["__metadata__"][key] = value

    with pytest.raises(CheckpointError, match=reason) as info:
        load_bytes(tmp_path, with_header(to_bytes(make_checkpoint()), edit))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("edit,reason", [
    (lambda h: h["W_enc1"].update(data_offsets=[0, 4, 8]), "two non-negative integers"),
    (lambda h: h["W_enc1"].update(data_offsets=[0]), "two non-negative integers"),
    (lambda h: h["b_enc1"].update(data_offsets=h["W_enc1"]["data_offsets"]), "offsets"),
    (lambda h: h.update(__metadata__={"format": 1}), "__metadata__"),
    (lambda h: h.pop("optimizer.step"), "incomplete optimizer state"),
])
def test_header_entries_are_refused_in_one_line(tmp_path, edit, reason):
    with pytest.raises(CheckpointError, match=reason):
        load_bytes(tmp_path, with_header(to_bytes(make_checkpoint()), edit))


def test_a_model_for_other_than_28x28_images_is_refused(tmp_path):
    """d_in = 100 with tensors to match: accepted before, and then every probe update raised."""
    import torch

    from sae_desktop.checkpoint import Checkpoint
    from sae_desktop.model import SparseAutoencoder

    cfg = ModelConfig(d_in=100, d_hidden=8, d_latent=4)
    ckpt = Checkpoint(cfg, SparseAutoencoder(cfg).snapshot())
    blob = to_bytes(ckpt)
    with pytest.raises(CheckpointError, match="d_in must be 784"):
        load_bytes(tmp_path, blob)
    with pytest.raises(CheckpointError):
        ModelSnapshot.load(tmp_path / "c.safetensors")
    assert torch.isfinite(torch.zeros(1)).all()


def with_dead_latents(since, reading, optimizer=True):
    """make_checkpoint's (4 latents) with the dead latents' count and AuxK's reading beside Adam's state."""
    import torch

    ckpt = make_checkpoint()
    ckpt.optimizer.update({"dead_latents.images_since_fired": torch.tensor(since, dtype=torch.float32),
                           "dead_latents.reading": torch.tensor(reading, dtype=torch.float32)})
    return to_bytes(ckpt, include_optimizer=optimizer)


def test_the_dead_latents_count_round_trips_and_goes_with_the_optimizer(tmp_path):
    ckpt = load_bytes(tmp_path, with_dead_latents([0, 300, 12, 0], [5, 2, 1, 2, 0, 0]))
    assert ckpt.optimizer["dead_latents.images_since_fired"].tolist() == [0, 300, 12, 0]
    assert ckpt.optimizer["dead_latents.reading"].tolist() == [5, 2, 1, 2, 0, 0]
    assert load_bytes(tmp_path, with_dead_latents([0] * 4, [0] * 6, optimizer=False)).optimizer is None


@pytest.mark.parametrize("since,reading,edit,reason", [
    ([0, 1, 2, 3], [0, 1, 7, 0, 0, 0], None, "holds values no training writes"),  # latent 7 of 4
    ([0, 1, 2, 3], [0, 5, 0, 1, 2, 3], None, "holds values no training writes"),  # 5 dead of 4
    ([0, -1, 2, 3], [0] * 6, None, "holds values no training writes"),
    ([0, float("nan"), 2, 3], [0] * 6, None, "holds values no training writes"),
    ([0, 1, 2, 3], [0, 1, 0.5, 0, 0, 0], None, "holds values no training writes"),
    ([0, 1, 2, 3], [0] * 6, lambda h: h.pop("dead_latents.reading"), "comes with its reading"),
    ([0, 1, 2, 3], [0] * 6, lambda h: h.pop("optimizer.step") and h.pop("optimizer.exp_avg")
     and h.pop("optimizer.exp_avg_sq"), "comes with its reading and Adam's state"),
    ([0, 1, 2, 3], [0] * 6, lambda h: h["dead_latents.reading"].update(shape=[3, 2]), r"F32 of shape \[6\]"),
])
def test_a_dead_latents_count_no_training_writes_is_refused_in_one_line(tmp_path, since, reading, edit, reason):
    blob = with_dead_latents(since, reading)
    with pytest.raises(CheckpointError, match=reason) as info:
        load_bytes(tmp_path, with_header(blob, edit) if edit else blob)
    assert "\n" not in str(info.value)
