"""The training generator: learning, determinism, controls, divergence, resume."""

import threading

import numpy as np
import pytest
import torch

from sae_desktop import fast_trainer, train_step
from sae_desktop.config import TrainConfig
from sae_desktop.engine import make_trainer, train
from sae_desktop.events import (EpochOutput, Holding, IntervalOutput, ResumeState, Revival, RunEnd, RunStart,
                                TrainingControl)
from sae_desktop.fast_trainer import FastSAETrainer
from sae_desktop.trainer import AutogradTrainer, Trainer
from tests.conftest import stroke_digits

FAST = TrainConfig(epochs=2, batch_size=64, d_hidden=32, d_latent=8, device="cpu", log_every=2)


@pytest.fixture(params=["fast", "autograd"])
def backend(request):
    """The engine's two training backends: engine tests run on both."""
    return request.param


def run(cfg, dataset, backend="auto", **kw):
    return list(train(cfg, dataset, backend=backend, **kw))


def test_loss_falls_on_a_repeated_batch(backend):
    images = torch.from_numpy(stroke_digits(64, seed=3)[0].reshape(64, -1))
    trainer = make_trainer(TrainConfig(batch_size=64, d_hidden=32, d_latent=8, lr=3e-3), torch.device("cpu"), images,
                           backend=backend)
    assert trainer.backend == backend
    idx = torch.arange(64)
    losses = []
    for _ in range(60):
        trainer.step(idx, 3e-3)
        losses.append(trainer.report().total)
    assert losses[-1] < 0.5 * losses[0]
    assert all(np.isfinite(losses))


def test_the_fast_steps_multi_step_call_runs_as_python_too(step_kind):
    """``run`` (several steps in one call) as TorchScript and as plain Python: same numbers."""
    images = torch.from_numpy(stroke_digits(64, seed=4)[0].reshape(64, -1))
    cfg = TrainConfig(batch_size=16, d_hidden=32, d_latent=8, log_every=4)
    trainer = FastSAETrainer(cfg, torch.device("cpu"), images)
    assert trainer.scripted == (step_kind == "scripted")
    reference = AutogradTrainer(cfg, torch.device("cpu"), images)
    idx, lrs = torch.randperm(64, generator=torch.Generator().manual_seed(0)), [1e-3, 2e-3, 3e-3, 4e-3]
    for t in (trainer, reference):
        t.run_steps(idx, lrs)
    for name, weight in reference.weights().items():
        torch.testing.assert_close(trainer.weights()[name], weight, rtol=1e-4, atol=1e-6, msg=name)
    assert trainer.report().total == pytest.approx(reference.report().total, rel=1e-5)
    assert trainer.optimizer_state()["optimizer.step"].item() == 4


def test_steps_run_together_match_steps_run_one_by_one(backend):
    images = torch.from_numpy(stroke_digits(64, seed=4)[0].reshape(64, -1))
    cfg = TrainConfig(batch_size=16, d_hidden=32, d_latent=8, log_every=4)
    together, one_by_one = (make_trainer(cfg, torch.device("cpu"), images, backend=backend) for _ in range(2))
    idx, lrs = torch.randperm(64), [1e-3, 2e-3, 3e-3, 4e-3]
    together.run_steps(idx, lrs)
    for i, lr in enumerate(lrs):
        one_by_one.step(idx[16 * i:16 * (i + 1)], lr)
    for name, weight in together.weights().items():
        torch.testing.assert_close(weight, one_by_one.weights()[name], rtol=0, atol=0)
    a, b = together.report(), one_by_one.report()
    assert (a.steps, a.recon, a.sparsity, a.total) == (b.steps, b.recon, b.sparsity, b.total) and a.steps == 4
    np.testing.assert_array_equal(a.rho_hat, b.rho_hat)
    if backend == "fast":
        with pytest.raises(ValueError, match="full batches"):
            together.run_steps(idx[:40], [1e-3, 1e-3])  # 20-image batches: no step module for them
    together.step(idx[:16], 1e-3)
    with pytest.raises(ValueError, match="within one report interval"):
        together.run_steps(idx, [1e-3] * 4)  # 5 unreported steps: records would be overwritten


def test_an_epoch_uses_every_image_once_in_runs_up_to_each_report(tiny_dataset, monkeypatch, backend):
    """640 images in batches of 48: 13 full batches and a last one of 16, which runs alone."""
    calls = []
    original = Trainer.run_steps

    def recording(self, idx, lrs):
        calls.append((idx.clone(), len(lrs)))
        original(self, idx, lrs)

    monkeypatch.setattr(Trainer, "run_steps", recording)
    events = run(FAST.replace(epochs=1, batch_size=48, log_every=4), tiny_dataset, backend)
    assert [len(idx) for idx, _ in calls] == [192, 192, 192, 48, 16]
    assert [count for _, count in calls] == [4, 4, 4, 1, 1]
    assert sorted(torch.cat([idx for idx, _ in calls]).tolist()) == list(range(640))
    reports = [e for e in events if isinstance(e, IntervalOutput)]
    assert [r.step for r in reports] == [4, 8, 12, 14] and reports[-1].epoch_fraction == 1.0
    assert events[-1].status == "completed" and events[-1].step == 14


def test_denormal_adam_moments_are_flushed_and_normal_ones_kept(backend):
    images = torch.from_numpy(stroke_digits(64, seed=5)[0].reshape(64, -1))
    images[:, 0] = 0  # pixel 0 is blank: its weights get zero gradients, their moments only decay
    trainer = make_trainer(TrainConfig(batch_size=16, d_hidden=32, d_latent=8, log_every=16),
                           torch.device("cpu"), images, backend=backend)
    blank = trainer._moments()["W_enc1"][0][:, 0]  # W_enc1's column for pixel 0
    blank.fill_(1e-39)  # a denormal: ×0.9 a step keeps it one
    tiny = torch.finfo(torch.float32).tiny
    trainer.run_steps(torch.arange(64).repeat(4)[:240], [1e-3] * 15)
    assert ((blank > 0) & (blank < tiny)).all()  # no flush yet: decayed, still denormal
    trainer.report()
    trainer.run_steps(torch.arange(16), [1e-3])  # the 16th step since the last flush
    assert (blank == 0).all()
    moments = [m for pair in trainer._moments().values() for m in pair]
    for moment in moments:
        assert not ((moment != 0) & (moment.abs() < tiny)).any()
    assert sum(int((m.abs() >= tiny).sum()) for m in moments[::2]) > 1000  # the others were kept


def test_event_sequence_and_metrics(tiny_dataset, backend):
    events = run(FAST, tiny_dataset, backend)
    assert events[0].backend == backend
    assert isinstance(events[0], RunStart) and isinstance(events[-1], RunEnd)
    steps = [e for e in events if isinstance(e, IntervalOutput)]
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


def test_same_seed_same_numbers_and_different_seed_differs(tiny_dataset, backend):
    a = [e.test_mse for e in run(FAST, tiny_dataset, backend) if isinstance(e, EpochOutput)]
    b = [e.test_mse for e in run(FAST, tiny_dataset, backend) if isinstance(e, EpochOutput)]
    c = [e.test_mse for e in run(FAST.replace(seed=1), tiny_dataset, backend) if isinstance(e, EpochOutput)]
    assert a == b and a != c


def test_resume_continues_exactly(tiny_dataset, backend):
    full = run(FAST.replace(epochs=3), tiny_dataset, backend)[-1]
    first = run(FAST.replace(epochs=1), tiny_dataset, backend)[-1]
    resumed = run(FAST.replace(epochs=3), tiny_dataset, backend,
                  resume=ResumeState(first.weights, first.optimizer, first.epochs_done, first.history))
    assert resumed[0].start_epoch == 1
    end = resumed[-1]
    for name in full.weights:
        torch.testing.assert_close(end.weights[name], full.weights[name], rtol=0, atol=0)
    assert [h["metrics/test_mse"] for h in end.history] == [h["metrics/test_mse"] for h in full.history]


def test_stop_keeps_weights_and_ends_promptly(tiny_dataset, backend):
    control = TrainingControl()
    events = []
    for event in train(FAST.replace(epochs=50), tiny_dataset, control, backend=backend):
        events.append(event)
        if isinstance(event, IntervalOutput) and event.step >= 4:
            control.stop()
    end = events[-1]
    assert end.status == "stopped" and end.step < 8 and end.epochs_done == 0
    assert end.evaluation is not None and np.isfinite(end.evaluation.test_mse)
    initial = make_trainer(FAST, torch.device("cpu"), torch.zeros(8, 784, dtype=torch.uint8), backend=backend)
    assert not torch.equal(end.weights["W_enc1"], initial.weights()["W_enc1"])  # the steps done are kept
    assert end.optimizer["optimizer.step"].item() == end.step


def test_a_stop_between_two_epochs_says_after_which(tiny_dataset, backend):
    """Ctrl+C just after epoch 1's evaluation said "stopped by request at step 10 (epoch 2)", read as a
    stop inside epoch 2, with 1 epoch done and nothing of epoch 2 run."""
    control = TrainingControl()
    events = []
    for event in train(FAST.replace(epochs=5), tiny_dataset, control, backend=backend):
        events.append(event)
        if isinstance(event, EpochOutput):
            control.stop()
    end = events[-1]
    assert end.status == "stopped" and end.epochs_done == 1 and end.position is None
    assert end.message == f"stopped by request at step {end.step} (after epoch 1); weights kept"
    control = TrainingControl()
    control.stop()  # before any step
    assert "(before the first step)" in list(train(FAST, tiny_dataset, control, backend=backend))[-1].message


def test_pause_blocks_between_steps_and_resume_continues(tiny_dataset, backend):
    control = TrainingControl()
    gen = train(FAST, tiny_dataset, control, backend=backend)
    next(gen)  # RunStart
    first = next(gen)
    control.pause()
    held = next(gen)  # the loop says it holds, then waits
    assert isinstance(held, Holding) and held.step == first.step
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


def test_stop_while_paused_wakes_the_loop(tiny_dataset, backend):
    control = TrainingControl()
    gen = train(FAST, tiny_dataset, control, backend=backend)
    next(gen), next(gen)
    control.pause()
    control.stop()
    assert list(gen)[-1].status == "stopped"


def test_non_finite_loss_stops_and_keeps_last_good_weights(tiny_dataset, monkeypatch, backend):
    """A weight turning NaN mid-run (as a too-high learning rate does) ends the run cleanly."""
    original = Trainer.run_steps
    steps = []

    def steps_then_blow_up(self, idx, lrs):
        original(self, idx, lrs)
        steps.extend(lrs)
        if len(steps) == 6:
            with torch.no_grad():
                self.model.b_enc1[5] = float("inf")  # the next forward pass turns the loss into NaN

    monkeypatch.setattr(Trainer, "run_steps", steps_then_blow_up)
    events = run(FAST.replace(log_every=2, epochs=5), tiny_dataset, backend)
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
def test_other_penalties_train(tiny_dataset, penalty, backend):
    end = run(FAST.replace(penalty=penalty, k=3, l1=1e-2), tiny_dataset, backend)[-1]
    assert end.status == "completed"
    if penalty == "topk":
        assert end.evaluation.active.sum(axis=1).max() <= 3


def test_both_backends_give_the_same_run(tiny_dataset):
    """Same events, same numbers (to float rounding), checkpoints in the same layout."""
    runs = {b: run(FAST.replace(penalty="topk", k=3, recon="bce"), tiny_dataset, b) for b in ("fast", "autograd")}
    kinds = {b: [type(e).__name__ for e in events] for b, events in runs.items()}
    assert kinds["fast"] == kinds["autograd"] and kinds["fast"].count("IntervalOutput") == 10
    for a, f in zip(runs["autograd"], runs["fast"]):
        if isinstance(a, IntervalOutput):
            assert (a.step, a.epoch, a.epoch_fraction) == (f.step, f.epoch, f.epoch_fraction)
            assert a.total_loss == pytest.approx(f.total_loss, rel=1e-4)
            np.testing.assert_allclose(a.rho_hat, f.rho_hat, rtol=1e-4, atol=1e-6)
    a, f = runs["autograd"][-1], runs["fast"][-1]
    for name in f.weights:
        torch.testing.assert_close(a.weights[name], f.weights[name], rtol=1e-4, atol=1e-5, msg=name)
    for key in f.optimizer:
        assert a.optimizer[key].shape == f.optimizer[key].shape
        torch.testing.assert_close(a.optimizer[key], f.optimizer[key], rtol=1e-3, atol=1e-7, msg=key)


@pytest.mark.parametrize("first,then", [("fast", "autograd"), ("autograd", "fast")])
def test_a_run_resumes_on_the_other_backend(tiny_dataset, first, then):
    full = run(FAST.replace(epochs=2), tiny_dataset, then)[-1]
    half = run(FAST.replace(epochs=1), tiny_dataset, first)[-1]
    resumed = run(FAST.replace(epochs=2), tiny_dataset, then,
                  resume=ResumeState(half.weights, half.optimizer, half.epochs_done, half.history))[-1]
    assert resumed.step == full.step and resumed.optimizer["optimizer.step"].item() == full.step
    for name in full.weights:
        torch.testing.assert_close(resumed.weights[name], full.weights[name], rtol=1e-4, atol=1e-5, msg=name)


class _AtenWithout:
    """``torch.ops.aten`` with some ops missing, as a torch release might have them."""

    def __init__(self, aten, missing):
        self._aten, self._missing = aten, set(missing)

    def __getattr__(self, name):
        if name in self._missing:
            raise AttributeError(name)
        return getattr(self._aten, name)


def test_an_epoch_trains_without_the_fast_steps_private_torch_api(tiny_dataset, monkeypatch):
    """With torch's private ops gone, the engine picks the autograd backend (public API only)."""
    monkeypatch.delattr(torch, "_fused_adam_")
    monkeypatch.delattr(torch, "_foreach_copy_", raising=False)
    monkeypatch.setattr(torch.ops, "aten", _AtenWithout(torch.ops.aten, train_step.PRIVATE_ATEN_OPS))
    fast_trainer.fast_step_works.cache_clear()
    monkeypatch.setattr(fast_trainer, "fast_step_works", fast_trainer.fast_step_works.__wrapped__)
    assert not fast_trainer.supports(FAST, torch.device("cpu"))
    with pytest.raises(ValueError, match="autograd backend"):
        next(train(FAST, tiny_dataset, backend="fast"))
    events = run(FAST.replace(log_every=3), tiny_dataset)
    assert events[0].backend == "autograd"
    end = events[-1]
    assert end.status == "completed" and end.epochs_done == 2
    assert end.history[1]["metrics/test_mse"] < end.history[0]["metrics/test_mse"]
    assert end.optimizer["optimizer.step"].item() == 20


def test_a_private_op_that_fails_also_means_the_autograd_backend(monkeypatch):
    def changed_signature(*args, **kwargs):
        raise TypeError("_fused_adam_() got an unexpected keyword argument 'beta1'")

    monkeypatch.setattr(torch, "_fused_adam_", changed_signature)
    monkeypatch.setattr(fast_trainer, "fast_step_works", fast_trainer.fast_step_works.__wrapped__)
    images = torch.zeros(16, 784, dtype=torch.uint8)
    assert isinstance(make_trainer(FAST, torch.device("cpu"), images), AutogradTrainer)


def test_the_autograd_backend_runs_without_adams_fused_kernel(monkeypatch):
    from sae_desktop import trainer as trainer_module

    images = torch.from_numpy(stroke_digits(32, seed=8)[0].reshape(32, -1))
    fused = AutogradTrainer(FAST, torch.device("cpu"), images)
    monkeypatch.setattr(trainer_module, "fused_adam_works", lambda device: False)
    plain = AutogradTrainer(FAST, torch.device("cpu"), images)
    assert fused.fused and not plain.fused
    for trainer in (plain, fused):
        trainer.run_steps(torch.arange(32), [1e-3, 1e-3])
    for name, weight in fused.weights().items():
        torch.testing.assert_close(plain.weights()[name], weight, rtol=1e-5, atol=1e-6, msg=name)
    assert plain.optimizer_state()["optimizer.step"].item() == 2


def test_topk_with_auxk_trains_on_the_fast_step_and_its_dead_count_is_the_objectives(tiny_dataset):
    """AuxK for TopK runs in the hand-written step (train_step_auxk.py); BatchTopK's stays on autograd."""
    images = torch.from_numpy(tiny_dataset.train_images.reshape(-1, 784).copy())
    cfg = FAST.replace(penalty="topk", k=2, auxk=1 / 32)
    trainer = make_trainer(cfg, torch.device("cpu"), images)
    assert isinstance(trainer, FastSAETrainer)
    assert isinstance(make_trainer(cfg.replace(penalty="batchtopk"), torch.device("cpu"), images), AutogradTrainer)
    trainer.run_steps(torch.arange(128), [1e-3, 1e-3])
    since = trainer.objective.images_since_fired  # counted by the step itself, in the Objective's tensor
    assert since.max() == 128 and (since < 128).any()
    # a smaller last batch has its own step module; they count the steps (read the dead latents) as one
    odd = make_trainer(cfg, torch.device("cpu"), images[:100])
    odd.step(torch.arange(64), 1e-3)
    odd.step(torch.arange(64, 100), 1e-3)
    odd.step(torch.arange(64), 1e-3)
    assert sorted(odd.step_modules) == [36, 64]
    assert [int(module.aux.reading[0]) for module in odd.step_modules.values()] == [3, 3]


@pytest.mark.parametrize("backend", ["fast", "autograd"])
def test_auxk_reports_the_dead_latents_that_fired_again(tiny_dataset, backend, monkeypatch):
    """A report counts the latents dead at the previous one (Objective.dead) that fired since,
    on either backend; the engine yields them as Revival events of kind "auxk"."""
    images = torch.from_numpy(tiny_dataset.train_images.reshape(-1, 784).copy())
    cfg = FAST.replace(penalty="topk", k=4, auxk=1 / 32)
    trainer = FastSAETrainer(cfg, torch.device("cpu"), images) if backend == "fast" else \
        AutogradTrainer(cfg, torch.device("cpu"), images)
    batch = torch.arange(64)
    trainer.step(batch, 0.0)
    trainer.objective.images_since_fired[:6] = 1e9  # 6 of 8 latents dead at this report
    assert trainer.report().revived == 0
    with torch.no_grad():
        fired = (trainer.model.encode(images[batch].float() / 255, batch=True) > 0).any(0)
    assert fired[:6].any()  # lr 0: the weights that fire are the ones encoded here
    trainer.step(batch, 0.0)
    assert trainer.report().revived == int(fired[:6].sum())
    trainer.step(batch, 0.0)
    assert trainer.report().revived == 0  # they are alive now: nothing more came back
    record = Revival(10, 0.5, 3, "auxk").to_json()
    assert record["by"] == "auxk" and record["metrics/revived"] == 3
    # the engine passes each report's count on, where the report is
    monkeypatch.setattr(Trainer, "_revived_since_report", lambda self, images: 2)
    events = list(train(cfg.replace(epochs=1), tiny_dataset, backend=backend))
    revivals = [e for e in events if isinstance(e, Revival)]
    reports = [e for e in events if isinstance(e, IntervalOutput)]
    assert [(r.step, r.count, r.kind) for r in revivals] == [(e.step, 2, "auxk") for e in reports]
