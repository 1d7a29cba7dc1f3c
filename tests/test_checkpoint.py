"""Checkpoints: round trip, atomic writes, and strict refusal of anything else."""

import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sae_desktop.checkpoint import (FORMAT_VERSION, Checkpoint, CheckpointError, load_checkpoint, save_checkpoint,
                                    to_bytes)
from safetensors.numpy import load_file as st_load_file
from safetensors.numpy import save_file as st_save_file

from sae_desktop.checkpoint_schema import CODES_KEY
from sae_desktop.config import ModelConfig, TrainConfig
from sae_desktop.density import Density
from sae_desktop.model import SparseAutoencoder


def make_checkpoint(cfg=None):
    cfg = cfg or TrainConfig(d_hidden=8, d_latent=4)
    model = SparseAutoencoder(cfg.model_config())
    n = sum(p.numel() for p in model.parameters())
    optimizer = {"optimizer.exp_avg": torch.randn(n), "optimizer.exp_avg_sq": torch.rand(n),
                 "optimizer.step": torch.tensor([7.0])}
    return Checkpoint(cfg.model_config(), model.snapshot(), cfg, optimizer, epoch=3,
                      history=[{"epoch": 1, "metrics/test_mse": 0.5}], test_error_quantiles=[0.0, 0.1, 0.2])


def test_round_trip(tmp_path):
    ckpt = make_checkpoint()
    loaded = load_checkpoint(save_checkpoint(ckpt, tmp_path / "m.safetensors"))
    assert loaded.model_config == ckpt.model_config and loaded.train_config == ckpt.train_config
    assert loaded.epoch == 3 and loaded.history == ckpt.history and loaded.test_error_quantiles == [0.0, 0.1, 0.2]
    for name, tensor in ckpt.weights.items():  # loaded as NumPy: reading a model never needs torch
        assert isinstance(loaded.weights[name], np.ndarray) and loaded.weights[name].dtype == np.float32
        torch.testing.assert_close(torch.from_numpy(loaded.weights[name]), tensor, rtol=0, atol=0)
    torch.testing.assert_close(torch.from_numpy(loaded.optimizer["optimizer.exp_avg"]),
                               ckpt.optimizer["optimizer.exp_avg"])
    assert loaded.extra["versions"]["torch"] == torch.__version__


def test_the_test_sets_density_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    hidden, percentiles = rng.gamma(1.0, size=(400, 8)), rng.uniform(0, 100, 400)
    ckpt = make_checkpoint()
    ckpt.test_density = Density.fit(hidden, percentiles)
    loaded = load_checkpoint(save_checkpoint(ckpt, tmp_path / "m.safetensors")).test_density
    assert loaded.quantiles == ckpt.test_density.quantiles
    np.testing.assert_allclose(loaded.distance(hidden), ckpt.test_density.distance(hidden), rtol=1e-5)
    ckpt.test_density = None  # older checkpoints have none
    assert load_checkpoint(save_checkpoint(ckpt, tmp_path / "m.safetensors")).test_density is None


def test_the_test_sets_codes_round_trip_as_a_float16_tensor(tmp_path):
    rng = np.random.default_rng(0)
    hidden, codes = rng.gamma(1.0, size=(400, 8)), rng.random((400, 4)).astype(np.float32)
    ckpt = make_checkpoint()
    ckpt.test_density = Density.fit(hidden, rng.uniform(0, 100, 400), codes)
    path = save_checkpoint(ckpt, tmp_path / "m.safetensors")
    tensors = st_load_file(path)
    assert tensors[CODES_KEY].dtype == np.float16 and tensors[CODES_KEY].shape == (400, 4)
    loaded = load_checkpoint(path).test_density
    np.testing.assert_array_equal(loaded.codes, ckpt.test_density.codes)  # float16 values already: exact
    assert loaded.neighbour_quantiles == ckpt.test_density.neighbour_quantiles
    np.testing.assert_allclose(loaded.neighbour_distance(codes[:5]), ckpt.test_density.neighbour_distance(codes[:5]))


@pytest.mark.parametrize("tamper,why", [
    (lambda t, m: t.pop(CODES_KEY), "is missing"),
    (lambda t, m: m.update(test_density=json.dumps({k: v for k, v in json.loads(m["test_density"]).items()
                                                     if k != "neighbour_quantiles"})), "without a test_density"),
    (lambda t, m: t.update({CODES_KEY: t[CODES_KEY][:, :3]}), "should be F16"),
    (lambda t, m: t.update({CODES_KEY: t[CODES_KEY].astype(np.float32)}), "should be F16"),
    (lambda t, m: t.update({CODES_KEY: np.full((400, 4), np.inf, np.float16)}), "NaN or infinite"),
])
def test_the_test_sets_codes_are_checked_against_the_metadata(tmp_path, tamper, why):
    rng = np.random.default_rng(0)
    ckpt = make_checkpoint()
    ckpt.test_density = Density.fit(rng.gamma(1.0, size=(400, 8)), rng.uniform(0, 100, 400), rng.random((400, 4)))
    assert_refused(save_checkpoint(ckpt, tmp_path / "m.safetensors"), tamper, why)


def assert_refused(path, tamper, why: str) -> None:
    """``tamper(tensors, metadata)`` a saved checkpoint's contents in place: loading it then fails with ``why``."""
    with open(path, "rb") as f:
        data = f.read()
    tensors, meta = st_load_file(path), json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])["__metadata__"]
    tamper(tensors, meta)
    st_save_file(tensors, path, metadata=meta)
    with pytest.raises(CheckpointError, match=why):
        load_checkpoint(path)


def test_half_precision_weights_only_copy(tmp_path):
    ckpt = make_checkpoint()
    full = save_checkpoint(ckpt, tmp_path / "full.safetensors")
    slim = save_checkpoint(ckpt, tmp_path / "slim.safetensors", dtype=torch.float16, include_optimizer=False)
    assert slim.stat().st_size < full.stat().st_size / 2.5
    loaded = load_checkpoint(slim)
    assert loaded.optimizer is None and loaded.weights["W_enc1"].dtype == np.float32
    torch.testing.assert_close(torch.from_numpy(loaded.weights["W_enc1"]), ckpt.weights["W_enc1"], atol=1e-3, rtol=1e-3)
    assert load_checkpoint(save_checkpoint(ckpt, tmp_path / "s.safetensors", dtype="float16")).optimizer is not None
    with pytest.raises(ValueError, match="float32 or float16"):
        save_checkpoint(ckpt, tmp_path / "bad.safetensors", dtype="int8")


@pytest.mark.parametrize("content,reason", [
    (b"", "empty"),
    (b"\x01\x02\x03", "truncated"),
    (os.urandom(4096), "not a safetensors file|truncated"),
    (pickle.dumps({"W_enc1": [1, 2]}), "pickle"),
])
def test_refuses_garbage(tmp_path, content, reason):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=reason) as err:
        load_checkpoint(path)
    assert "\n" not in str(err.value)


def test_refuses_zip_renamed(tmp_path):
    path = tmp_path / "model.safetensors"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(CheckpointError, match="zip"):
        load_checkpoint(path)


def test_refuses_a_torch_save_file_without_unpickling(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    torch.save({"W_enc1": torch.zeros(2)}, path)
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(CheckpointError, match="zip|pickle"):
        load_checkpoint(path)


def test_refuses_truncated_file(tmp_path):
    data = to_bytes(make_checkpoint())
    for cut in (len(data) - 1, len(data) // 2, 9):
        path = tmp_path / f"cut{cut}.safetensors"
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated|not a safetensors"):
            load_checkpoint(path)


def _rewrite_metadata(data: bytes, **changes) -> bytes:
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header["__metadata__"].update(changes)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data[8 + n:]


def test_refuses_newer_format_version(tmp_path):
    path = tmp_path / "new.safetensors"
    path.write_bytes(_rewrite_metadata(to_bytes(make_checkpoint()), format_version=str(FORMAT_VERSION + 1)))
    with pytest.raises(CheckpointError, match="newer sae-desktop"):
        load_checkpoint(path)


def test_refuses_shape_config_mismatch(tmp_path):
    path = tmp_path / "mismatch.safetensors"
    lying = json.dumps(ModelConfig(d_hidden=8, d_latent=5).to_dict())
    path.write_bytes(_rewrite_metadata(to_bytes(make_checkpoint()), model_config=lying))
    with pytest.raises(CheckpointError, match=r"W_enc2 has shape \[4, 8\].*needs \[5, 8\]"):
        load_checkpoint(path)


def test_refuses_plain_safetensors_and_non_finite_weights(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "plain.safetensors"
    save_file({"W_enc1": torch.zeros(2)}, str(path))
    with pytest.raises(CheckpointError, match="not an sae-desktop checkpoint"):
        load_checkpoint(path)
    ckpt = make_checkpoint()
    ckpt.weights["b_dec2"][3] = float("nan")
    with pytest.raises(CheckpointError, match="b_dec2 contains NaN"):
        load_checkpoint(save_checkpoint(ckpt, tmp_path / "nan.safetensors"))


def test_unreadable_path_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "absent.safetensors")
    with pytest.raises(CheckpointError, match=r"a folder, not a model file \(\.safetensors\)"):
        load_checkpoint(tmp_path)


def test_failed_save_keeps_previous_file(tmp_path, monkeypatch):
    path = save_checkpoint(make_checkpoint(), tmp_path / "m.safetensors")
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(make_checkpoint(TrainConfig(d_hidden=8, d_latent=4, seed=5)), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temp file left behind


def test_read_only_folder_keeps_previous_file(tmp_path, monkeypatch):
    """Simulated (the tests may run as root, which ignores folder permissions)."""
    import tempfile

    path = save_checkpoint(make_checkpoint(), tmp_path / "m.safetensors")
    before = path.read_bytes()

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(PermissionError):
        save_checkpoint(make_checkpoint(), path)
    assert path.read_bytes() == before


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_only_ever_raise_checkpoint_error(tmp_path, blob):
    path = tmp_path / "fuzz.safetensors"
    path.write_bytes(blob)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_checkpoints_load_or_raise_checkpoint_error(tmp_path, data):
    blob = bytearray(to_bytes(make_checkpoint()))
    for _ in range(data.draw(st.integers(1, 8))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        blob = blob[: data.draw(st.integers(0, len(blob)))]
    path = tmp_path / "mutated.safetensors"
    path.write_bytes(bytes(blob))
    try:
        ckpt = load_checkpoint(path)
    except CheckpointError:
        return
    assert all(np.isfinite(t).all() for t in ckpt.weights.values())


@pytest.mark.parametrize("tamper", [
    lambda t, m: t.update(W_dec2=t["W_dec2"] * 1.5),  # weights edited, their test figures kept
    lambda t, m: m.update(test_score_quantiles=json.dumps([0.0, 0.5, 9.0])),  # figures edited, weights kept
    lambda t, m: m.update(epoch="2"),
])
def test_a_checkpoint_changed_after_saving_is_refused(tmp_path, tamper):
    assert_refused(save_checkpoint(make_checkpoint(), tmp_path / "m.safetensors"), tamper,
                   "changed after it was saved .*describe other weights")


def test_a_byte_changed_on_disk_is_refused(tmp_path):
    path = save_checkpoint(make_checkpoint(), tmp_path / "m.safetensors")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01  # a low bit of the last tensor's value: still a finite number
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="changed after it was saved"):
        load_checkpoint(path)


def test_a_checkpoint_without_a_checksum_loads_as_older_ones_did(tmp_path):
    path = save_checkpoint(make_checkpoint(), tmp_path / "m.safetensors")
    with open(path, "rb") as f:
        data = f.read()
    tensors, meta = st_load_file(path), json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])["__metadata__"]
    meta.pop("checksum")
    tensors["W_dec2"] *= 1.5
    st_save_file(tensors, path, metadata=meta)
    np.testing.assert_array_equal(load_checkpoint(path).weights["W_dec2"], tensors["W_dec2"])
