"""The training generator: learning, determinism, controls, divergence, resume."""

import threading

import numpy as np
import pytest
import torch

from sae_desktop import trainer as trainer_module
from sae_desktop.config import TrainConfig
from tests.conftest import stroke_digits
from sae_desktop.engine import (EpochOutput, FastSAETrainer, ResumeState, RunEnd, RunStart, StepOutput,
                                TrainingControl, train)

FAST = TrainConfig(epochs=2, batch_size=64, d_hidden=32, d_latent=8, device="cpu", log_every=2)


def run(cfg, dataset, **kw):
    return list(train(cfg, dataset, **kw))


def test_loss_falls_on_a_repeated_batch():
    images = torch.from_numpy(stroke_digits(64, seed=3)[0].reshape(64, -1))
    trainer = FastSAETrainer(TrainConfig(batch_size=64, d_hidden=32, d_latent=8, lr=3e-3), torch.device("cpu"), images)
    idx = torch.arange(64)
    losses = []
    for _ in range(60):
        trainer.step(idx, 3e-3)
        losses.append(trainer.report().total)
    assert losses[-1] < 0.5 * losses[0]
    assert all(np.isfinite(losses))


@pytest.mark.parametrize("fused", [True, False], ids=["one call", "per step without the fused kernel"])
def test_steps_run_together_match_steps_run_one_by_one(fused, monkeypatch):
    monkeypatch.setattr(trainer_module, "_adam_supports_fused", lambda device: fused)
    images = torch.from_numpy(stroke_digits(64, seed=4)[0].reshape(64, -1))
    cfg = TrainConfig(batch_size=16, d_hidden=32, d_latent=8, log_every=4)
    together, one_by_one = (FastSAETrainer(cfg, torch.device("cpu"), images) for _ in range(2))
    idx, lrs = torch.randperm(64), [1e-3, 2e-3, 3e-3, 4e-3]
    together.run_steps(idx, lrs)
    for i, lr in enumerate(lrs):
        one_by_one.step(idx[16 * i:16 * (i + 1)], lr)
    torch.testing.assert_close(together.flat, one_by_one.flat, rtol=0, atol=0)
    a, b = together.report(), one_by_one.report()
    assert (a.steps, a.recon, a.sparsity, a.total) == (b.steps, b.recon, b.sparsity, b.total) and a.steps == 4
    np.testing.assert_array_equal(a.rho_hat, b.rho_hat)
    with pytest.raises(ValueError, match="full batches"):
        together.run_steps(idx[:40], [1e-3, 1e-3])  # 20-image batches: no step module for them
    together.step(idx[:16], 1e-3)
    with pytest.raises(ValueError, match="within one report interval"):
        together.run_steps(idx, [1e-3] * 4)  # 5 unreported steps: records would be overwritten


def test_an_epoch_uses_every_image_once_in_runs_up_to_each_report(tiny_dataset, monkeypatch):
    """640 images in batches of 48: 13 full batches and a last one of 16, which runs alone."""
    calls = []
    original = FastSAETrainer.run_steps

    def recording(self, idx, lrs):
        calls.append((idx.clone(), len(lrs)))
        original(self, idx, lrs)

    monkeypatch.setattr(FastSAETrainer, "run_steps", recording)
    events = run(FAST.replace(epochs=1, batch_size=48, log_every=4), tiny_dataset)
    assert [len(idx) for idx, _ in calls] == [192, 192, 192, 48, 16]
    assert [count for _, count in calls] == [4, 4, 4, 1, 1]
    assert sorted(torch.cat([idx for idx, _ in calls]).tolist()) == list(range(640))
    reports = [e for e in events if isinstance(e, StepOutput)]
    assert [r.step for r in reports] == [4, 8, 12, 14] and reports[-1].epoch_fraction == 1.0
    assert events[-1].status == "completed" and events[-1].step == 14


def test_denormal_adam_moments_are_flushed_and_normal_ones_kept():
    images = torch.from_numpy(stroke_digits(64, seed=5)[0].reshape(64, -1))
    images[:, 0] = 0  # pixel 0 is blank: its weights get zero gradients, their moments only decay
    trainer = FastSAETrainer(TrainConfig(batch_size=16, d_hidden=32, d_latent=8, log_every=16),
                             torch.device("cpu"), images)
    blank = trainer._views(trainer.exp_avg)["W_enc1"][:, 0]  # W_enc1's column for pixel 0
    blank.fill_(1e-39)  # a denormal: ×0.9 a step keeps it one
    tiny = torch.finfo(torch.float32).tiny
    trainer.run_steps(torch.arange(64).repeat(4)[:240], [1e-3] * 15)
    assert ((blank > 0) & (blank < tiny)).all()  # no flush yet: decayed, still denormal
    trainer.report()
    trainer.run_steps(torch.arange(16), [1e-3])  # the 16th step since the last flush
    assert (blank == 0).all()
    for moment in (trainer.exp_avg, trainer.exp_avg_sq):
        assert not ((moment != 0) & (moment.abs() < tiny)).any()
    assert (trainer.exp_avg.abs() >= tiny).sum() > 1000  # the others were kept


def test_event_sequence_and_metrics(tiny_dataset):
    events = run(FAST, tiny_dataset)
    assert isinstance(events[0], RunStart) and isinstance(events[-1], RunEnd)
    steps = [e for e in events if isinstance(e, StepOutput)]
    epochs = [e for e in events if isinstance(e, EpochOutput)]
    assert [e.epoch for e in epochs] == [1, 2]
    assert steps[-1].step == 2 * 10 and all(s.samples_per_s > 0 for s in steps)
    assert steps[-1].total_loss == pytest.approx(steps[-1].recon_loss + FAST.beta * steps[-1].sparsity_loss, rel=1e-5)
    ev = epochs[-1].evaluation
    assert ev.latents.shape == (160, 8) and ev.rho_hat.shape == (8,)
    assert 0 <= ev.l0 <= 8 and 0 <= ev.dead_latents <= 8
    assert epochs[-1].test_mse < epochs[0].test_mse
    end = events[-1]
    assert end.status == "completed" and end.epochs_done == 2 and len(end.history) == 2
    assert end.evaluation is ev  # the final weights are the last epoch's


def test_same_seed_same_numbers_and_different_seed_differs(tiny_dataset):
    a = [e.test_mse for e in run(FAST, tiny_dataset) if isinstance(e, EpochOutput)]
    b = [e.test_mse for e in run(FAST, tiny_dataset) if isinstance(e, EpochOutput)]
    c = [e.test_mse for e in run(FAST.replace(seed=1), tiny_dataset) if isinstance(e, EpochOutput)]
    assert a == b and a != c


def test_resume_continues_exactly(tiny_dataset):
    full = run(FAST.replace(epochs=3), tiny_dataset)[-1]
    first = run(FAST.replace(epochs=1), tiny_dataset)[-1]
    resumed = run(FAST.replace(epochs=3), tiny_dataset,
                  resume=ResumeState(first.weights, first.optimizer, first.epochs_done, first.history))
    assert resumed[0].start_epoch == 1
    end = resumed[-1]
    for name in full.weights:
        torch.testing.assert_close(end.weights[name], full.weights[name], rtol=0, atol=0)
    assert [h["metrics/test_mse"] for h in end.history] == [h["metrics/test_mse"] for h in full.history]


def test_stop_keeps_weights_and_ends_promptly(tiny_dataset):
    control = TrainingControl()
    events = []
    for event in train(FAST.replace(epochs=50), tiny_dataset, control):
        events.append(event)
        if isinstance(event, StepOutput) and event.step >= 4:
            control.stop()
    end = events[-1]
    assert end.status == "stopped" and end.step < 8 and end.epochs_done == 0
    assert end.evaluation is not None and np.isfinite(end.evaluation.test_mse)
    start = events[0]
    assert not torch.equal(end.weights["W_enc1"], FastSAETrainer(FAST, torch.device("cpu"),
                           torch.zeros(8, 784, dtype=torch.uint8)).weights()["W_enc1"]) or start


def test_pause_blocks_between_steps_and_resume_continues(tiny_dataset):
    control = TrainingControl()
    gen = train(FAST, tiny_dataset, control)
    next(gen)  # RunStart
    first = next(gen)
    control.pause()
    got = []
    thread = threading.Thread(target=lambda: got.append(next(gen)))
    thread.start()
    thread.join(0.3)
    assert thread.is_alive() and not got  # paused: no progress
    control.resume()
    thread.join(5)
    assert got and got[0].step > first.step
    control.stop()
    assert isinstance(list(gen)[-1], RunEnd)


def test_stop_while_paused_wakes_the_loop(tiny_dataset):
    control = TrainingControl()
    gen = train(FAST, tiny_dataset, control)
    next(gen), next(gen)
    control.pause()
    control.stop()
    assert list(gen)[-1].status == "stopped"


def test_non_finite_loss_stops_and_keeps_last_good_weights(tiny_dataset, monkeypatch):
    """A weight turning NaN mid-run (as a too-high learning rate does) ends the run cleanly."""
    original = FastSAETrainer.run_steps
    steps = []

    def steps_then_blow_up(self, idx, lrs):
        original(self, idx, lrs)
        steps.extend(lrs)
        if len(steps) == 6:
            self.params["b_enc1"][5] = float("inf")  # the next forward pass turns the loss into NaN

    monkeypatch.setattr(FastSAETrainer, "run_steps", steps_then_blow_up)
    events = run(FAST.replace(log_every=2, epochs=5), tiny_dataset)
    end = events[-1]
    assert end.status == "diverged"
    assert "non-finite near step 8" in end.message and "learning rate" in end.message
    assert "step 4" in end.message  # last good copy: validated by the finite steps after it
    assert all(torch.isfinite(w).all() for w in end.weights.values())
    assert end.evaluation is not None and np.isfinite(end.evaluation.test_mse)
    assert not any(isinstance(e, EpochOutput) for e in events)


def test_the_first_layer_leaves_out_pixels_blank_in_the_whole_batch(step_kind):
    """Shown with weights no product could read and stay finite (inf · 0 = NaN)."""
    images = torch.from_numpy(stroke_digits(16, seed=6)[0].reshape(16, -1))
    blank = int(torch.nonzero(images.amax(0) == 0)[0])
    trainer = FastSAETrainer(TrainConfig(batch_size=16, d_hidden=16, d_latent=6), torch.device("cpu"), images)
    assert trainer.scripted == (step_kind == "scripted")
    trainer.params["W_enc1"][:, blank] = float("inf")
    trainer.step(torch.arange(16), 1e-3)
    assert trainer.report().finite
    assert (trainer.grads["W_enc1"][:, blank] == 0).all()
    assert torch.isfinite(trainer.grads["W_enc1"]).all() and trainer.grads["W_enc1"].abs().sum() > 0
    trainer.train_u8[3, blank] = 1  # the pixel is in use now: its weights are read
    trainer.step(torch.arange(16), 1e-3)
    assert not trainer.report().finite


def test_bad_config_is_refused_before_training(tiny_dataset):
    from sae_desktop.config import ConfigError

    with pytest.raises(ConfigError):
        next(train(FAST.replace(batch_size=0), tiny_dataset))


def test_absent_cuda_is_a_clear_error(tiny_dataset):
    from sae_desktop.devices import DeviceError

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError, match="cuda.*--device cpu"):
        next(train(FAST.replace(device="cuda"), tiny_dataset))


@pytest.mark.parametrize("penalty", ["l1", "topk"])
def test_other_penalties_train(tiny_dataset, penalty):
    end = run(FAST.replace(penalty=penalty, k=3, l1=1e-2), tiny_dataset)[-1]
    assert end.status == "completed"
    if penalty == "topk":
        assert end.evaluation.active.sum(axis=1).max() <= 3
