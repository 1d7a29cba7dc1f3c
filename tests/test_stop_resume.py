"""A stop (Ctrl+C, the Stop button) resumes as exactly as a kill does, with a clean history."""

import numpy as np
import pytest
import torch

from sae_desktop.checkpoint import load_checkpoint
from sae_desktop.config import ConfigError, TrainConfig
from sae_desktop.engine import train
from sae_desktop.events import IntervalOutput, Revival, RunEnd, TrainingControl
from sae_desktop.runs import RunFolder, recorded
from sae_desktop.snapshot import ModelSnapshot

# 640 images / 64 = 10 steps an epoch; a report every 3 steps (below the trainer's 16-step
# denormal-flush rhythm, so the flush count must be carried over too) and at each epoch's end.
CFG = TrainConfig(epochs=3, batch_size=64, d_hidden=16, d_latent=8, device="cpu", log_every=3, seed=3)


def run_to_end(dataset, run, resume=None, stop_at_step=None, backend="auto"):
    control = TrainingControl()
    end = None
    for event in recorded(train(CFG, dataset, control, resume, backend), run):
        if isinstance(event, IntervalOutput) and stop_at_step is not None and event.step >= stop_at_step:
            control.stop()
        if isinstance(event, RunEnd):
            end = event
    return end


def resume_from(run):
    return ModelSnapshot.load(run.checkpoint_path).resume_state()


@pytest.mark.parametrize("stops,backend", [([3], "auto"), ([6, 16], "auto"), ([9, 21, 24], "auto"),
                                           ([6, 16], "autograd")])
def test_stop_then_resume_gives_the_uninterrupted_weights_and_a_clean_history(tiny_dataset, tmp_path, stops,
                                                                               backend):
    straight = run_to_end(tiny_dataset, RunFolder.create(CFG, tmp_path / "a"), backend=backend)
    run = RunFolder.create(CFG, tmp_path / "b")
    end = run_to_end(tiny_dataset, run, stop_at_step=stops[0], backend=backend)
    for stop in [*stops[1:], None]:
        assert end.status == "stopped" and end.position is not None
        ckpt = load_checkpoint(run.checkpoint_path)
        assert ckpt.position == end.position and ckpt.epoch == end.position.step // 10
        end = run_to_end(tiny_dataset, run, resume_from(run), stop_at_step=stop, backend=backend)
    assert end.status == "completed"
    for name, weight in straight.weights.items():
        assert torch.equal(weight, end.weights[name]), name  # bit for bit
    assert [r["losses/train_total"] for r in end.history] == [r["losses/train_total"] for r in straight.history]
    records = run.read_metrics()
    steps = [r["step"] for r in records if r["type"] == "step"]
    assert steps == sorted(set(steps)) and steps[-1] == 30  # no repeat, no going back
    assert [r["epoch"] for r in records if r["type"] == "epoch"] == [1, 2, 3]
    assert [r["type"] for r in records].count("summary") == 1 and records[-1]["status"] == "completed"


def test_a_stopped_checkpoint_needs_epochs_for_its_started_epoch(tiny_dataset, tmp_path):
    run = RunFolder.create(CFG, tmp_path)
    run_to_end(tiny_dataset, run, stop_at_step=13)  # inside epoch 2
    with pytest.raises(ConfigError, match="--epochs 1 is fewer than the checkpoint's 2 started epochs"):
        next(iter(train(CFG.replace(epochs=1), tiny_dataset, None, resume_from(run))))


def test_a_seed_up_to_2_63_minus_1_trains(tiny_dataset):
    cfg = CFG.replace(epochs=1, seed=2**63 - 1).check()
    assert [type(e).__name__ for e in train(cfg, tiny_dataset)][-1] == "RunEnd"
    assert list(train(CFG.replace(epochs=1, seed=10**14), tiny_dataset))[-1].status == "completed"


def test_a_run_continued_inside_an_epoch_resamples_on_its_own_steps(tiny_dataset, tmp_path):
    """Continued inside an epoch, the trainer counted its steps from the epoch's start: it resampled 3
    steps late and recorded the revival at a step before the one it came after."""
    cfg = CFG.replace(penalty="l1", l1=0.05, resample=True)
    run = RunFolder.create(cfg, tmp_path)
    control = TrainingControl()
    for event in recorded(train(cfg, tiny_dataset, control, backend="autograd"), run):
        if isinstance(event, IntervalOutput) and event.step >= 13:  # inside epoch 2
            control.stop()
    reports, revivals = [], []
    for event in recorded(train(cfg, tiny_dataset, None, resume_from(run), backend="autograd"), run):
        if isinstance(event, IntervalOutput):
            reports.append(event.step)
        elif isinstance(event, Revival):
            revivals.append((event.step, reports[-1]))
    assert revivals, "a strong L1 leaves latents dead; resampling should have revived some"
    assert [(s, r) for s, r in revivals if not (s % 10 in (0, 5) and s < r <= s + cfg.log_every)] == []


def test_a_run_stopped_at_an_epochs_end_is_named_stopped_after_a_restart(tiny_dataset, tmp_path):
    """Stopped as epoch 1 ended, the window said "stopped at step 10 (after epoch 1)"; its
    checkpoint, loaded after a restart, said "epoch 1", as of a run still training."""
    run = RunFolder.create(CFG, tmp_path)
    end = run_to_end(tiny_dataset, run, stop_at_step=10)
    assert end.status == "stopped" and end.position is None and end.epochs_done == 1 and end.step == 10
    assert ModelSnapshot.load(run.checkpoint_path).name == f"{run.path.name}, stopped at step 10 (after epoch 1)"
    lines = run.metrics_path.read_text().splitlines(keepends=True)
    run.metrics_path.write_text("".join(lines[:-1]))  # no summary: killed, or still training
    assert ModelSnapshot.load(run.checkpoint_path).name == f"{run.path.name}, epoch 1"
    run.metrics_path.write_text("".join(lines).replace('"epochs_done": 1', '"epochs_done": 0'))  # not these weights'
    assert ModelSnapshot.load(run.checkpoint_path).name == f"{run.path.name}, epoch 1"


@pytest.mark.parametrize("cfg,backend", [
    (CFG.replace(penalty="topk", k=2, auxk=0.5), "fast"),
    (CFG.replace(penalty="topk", k=2, auxk=0.5), "autograd"),
    (CFG.replace(penalty="batchtopk", k=2, auxk=0.5), "autograd"),
    (CFG.replace(penalty="l1", l1=0.05, resample=True), "autograd"),
])
def test_a_stop_keeps_which_latents_are_dead(tiny_dataset, tmp_path, monkeypatch, cfg, backend):
    """The count of images since each latent fired was not in the checkpoint: after a stop inside an epoch, AuxK
    found no latent dead for 10 000 images (its term 0 in the reports, the total the reconstruction's), and a
    resampling check right after the stop found none to revive; the run ended with other weights than a run never
    stopped. The count and AuxK's last reading are stored with Adam's state."""
    from sae_desktop.losses import Objective

    monkeypatch.setattr(Objective.__init__, "__defaults__", (128,))  # dead after 2 steps' images, not 10 000
    monkeypatch.setattr("tests.test_stop_resume.CFG", cfg)
    straight = run_to_end(tiny_dataset, RunFolder.create(cfg, tmp_path / "a"), backend=backend)
    run = RunFolder.create(cfg, tmp_path / "b")
    end = run_to_end(tiny_dataset, run, stop_at_step=12, backend=backend)
    assert end.status == "stopped" and end.position is not None
    end = run_to_end(tiny_dataset, run, resume_from(run), backend=backend)
    for name, weight in straight.weights.items():
        assert torch.equal(weight, end.weights[name]), name  # bit for bit
    since = load_checkpoint(run.checkpoint_path).optimizer["dead_latents.images_since_fired"]
    assert since.shape == (cfg.d_latent,) and np.array_equal(since, straight.optimizer[
        "dead_latents.images_since_fired"].numpy())
