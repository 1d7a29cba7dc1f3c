"""The headless core on a GPU: every mechanism trains there as it does on the CPU, and a model
trained there is saved, loaded, shown and continued anywhere.

These tests need a CUDA device and skip without one (CI has none); a session lent a device machine
runs them there (``benchmarks/device_check.sh``). ``SAE_DESKTOP_TEST_DEVICE=cpu`` runs the same
comparisons CPU against CPU (autograd against the engine's pick), to check the tests themselves
on a machine without a GPU.
"""

import os

import numpy as np
import pytest
import torch

from sae_desktop.checkpoint import load_checkpoint
from sae_desktop.config import TrainConfig
from sae_desktop.devices import describe, resolve_device
from sae_desktop.engine import train
from sae_desktop.events import IntervalOutput, RunEnd, RunStart, TrainingControl
from sae_desktop.runs import RunFolder, recorded
from sae_desktop.snapshot import ModelSnapshot

DEVICE = os.environ.get("SAE_DESKTOP_TEST_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(DEVICE == "cuda" and not torch.cuda.is_available(), reason="no CUDA device")

# 640 images / 64 = 10 steps an epoch.
CFG = TrainConfig(epochs=2, batch_size=64, d_hidden=32, d_latent=12, log_every=3, seed=5)
MECHANISMS = {
    "kl": {},
    "kl-resample-unit-norm": {"resample": True, "unit_norm_decoder": True},
    "l1": {"penalty": "l1", "l1": 0.01},
    "topk": {"penalty": "topk", "k": 3},
    "topk-auxk": {"penalty": "topk", "k": 3, "auxk": 0.5},
    "batchtopk": {"penalty": "batchtopk", "k": 3},
    "jumprelu": {"penalty": "jumprelu", "l0_coeff": 0.01},
    "bce-cosine": {"recon": "bce", "lr_schedule": "cosine"},
}


def run_on(device, dataset, cfg, run=None, resume=None, stop_at_step=None):
    """The run's events. The device runs autograd (the engine's choice on a GPU), so that a check
    CPU against CPU compares two backends too; the CPU runs the engine's own choice."""
    control, events = TrainingControl(), []
    stream = train(cfg.replace(device=device), dataset, control, resume, "auto" if device == "cpu" else "autograd")
    for event in recorded(stream, run) if run else stream:
        if isinstance(event, IntervalOutput) and stop_at_step is not None and event.step >= stop_at_step:
            control.stop()
        events.append(event)
    return events


@pytest.mark.parametrize("name", MECHANISMS)
def test_each_mechanism_trains_on_the_device_as_on_the_cpu(tiny_dataset, name):
    cfg = CFG.replace(**MECHANISMS[name])
    on_device, on_cpu = (run_on(d, tiny_dataset, cfg) for d in (DEVICE, "cpu"))
    start, end = on_device[0], on_device[-1]
    assert isinstance(start, RunStart) and start.device == describe(resolve_device(DEVICE))
    assert isinstance(end, RunEnd) and end.status == "completed" and end.epochs_done == 2
    # The same events, in the same order, at the same steps.
    assert [(type(e).__name__, getattr(e, "step", None)) for e in on_device] == \
           [(type(e).__name__, getattr(e, "step", None)) for e in on_cpu]
    for name_, weight in end.weights.items():
        assert weight.device.type == "cpu", name_  # what leaves the engine is on the CPU
        assert torch.isfinite(weight).all(), name_
    cpu_end = on_cpu[-1]
    # Same seed, same data, same steps: the devices differ only by rounding (no TF32 here).
    assert end.evaluation.test_mse == pytest.approx(cpu_end.evaluation.test_mse, rel=0.02)
    losses = [e.total_loss for e in on_device if isinstance(e, IntervalOutput)]
    cpu_losses = [e.total_loss for e in on_cpu if isinstance(e, IntervalOutput)]
    np.testing.assert_allclose(losses, cpu_losses, rtol=0.02)
    assert losses[-1] < losses[0]


def test_a_device_run_stops_saves_loads_on_the_cpu_and_continues_on_either(tiny_dataset, tmp_path):
    cfg = CFG.replace(epochs=3)
    straight = run_on(DEVICE, tiny_dataset, cfg)[-1]
    run = RunFolder.create(cfg.replace(device=DEVICE), tmp_path / "run")
    stopped = run_on(DEVICE, tiny_dataset, cfg, run, stop_at_step=13)[-1]
    assert stopped.status == "stopped" and stopped.position is not None
    ckpt = load_checkpoint(run.checkpoint_path)
    assert ckpt.position == stopped.position
    snapshot = ModelSnapshot.load(run.checkpoint_path)  # the window's NumPy model: no device involved
    codes = snapshot.encode(tiny_dataset.test_images[:5].reshape(5, -1).astype(np.float32) / 255)
    assert np.isfinite(codes).all() and codes.shape == (5, cfg.d_latent)

    on_cpu = run_on("cpu", tiny_dataset, cfg, resume=snapshot.resume_state())[-1]
    on_device = run_on(DEVICE, tiny_dataset, cfg, resume=snapshot.resume_state())[-1]
    for end in (on_cpu, on_device):
        assert end.status == "completed" and end.epochs_done == 3
        assert end.evaluation.test_mse == pytest.approx(straight.evaluation.test_mse, rel=0.02)
    for name, weight in straight.weights.items():  # the same device resumes exactly
        torch.testing.assert_close(on_device.weights[name], weight, rtol=1e-5, atol=1e-6, msg=name)


def test_auto_picks_the_gpu_where_there_is_one():
    if DEVICE != "cuda":
        pytest.skip("only meaningful with a GPU")
    assert resolve_device("auto").type == "cuda"
    assert describe(resolve_device("auto")).startswith("cuda (")
