"""The training engine: a plain generator of progress events, fast on a small CPU.

``train(...)`` yields a :class:`RunStart`, then :class:`IntervalOutput` every ``log_every``
steps and an :class:`EpochOutput` after each epoch, then one :class:`RunEnd` (the events
are in ``events.py``). The CLI prints them; the window's worker forwards them as signals.
Pause, resume and stop are requests on a :class:`TrainingControl`, honoured between steps
(checked before each run of the ``log_every`` steps between two reports: ~35 ms on the
2-core CPU). The steps run on a :class:`~sae_desktop.trainer.Trainer` backend (see
``trainer.py``), picked by :func:`make_trainer`.
"""

from __future__ import annotations

import math
import time
from typing import Iterator

import numpy as np
import torch

from sae_desktop.config import ConfigError, TrainConfig
from sae_desktop.data import Dataset
from sae_desktop.devices import describe, resolve_device
from sae_desktop.evaluation import Evaluation
from sae_desktop.events import (EpochOutput, Event, Holding, IntervalOutput, Position, ResumeState, Revival, RunEnd,
                                RunStart, TrainingControl)
from sae_desktop.fast_trainer import FastSAETrainer, supports
from sae_desktop.pixels import for_dataset
from sae_desktop.trainer import AutogradTrainer, Trainer, copy_tensors
from sae_desktop.words import counted

BACKENDS = ("auto", "fast", "autograd")


def make_trainer(cfg: TrainConfig, device: torch.device, train_u8: torch.Tensor, resume: ResumeState | None = None,
                 backend: str = "auto") -> Trainer:
    """The fast step where it applies (``auto``) or is asked for, else the autograd backend."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown training backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    fast = supports(cfg, device)
    if backend == "fast" and not fast:
        raise ValueError(f"the fast step does not support {cfg.penalty}/{cfg.recon} on {device.type} "
                         "with this torch; use the autograd backend")
    if backend != "autograd" and fast:
        return FastSAETrainer(cfg, device, train_u8, resume)
    return AutogradTrainer(cfg, device, train_u8, resume)


def learning_rate(cfg: TrainConfig, step: int, total_steps: int) -> float:
    if cfg.lr_schedule == "cosine":
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / max(1, total_steps)))
    return cfg.lr


def epoch_permutation(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The shuffle of epoch ``epoch`` (0-based): a function of (seed, epoch), so resumes match."""
    # modulo 2^64: every valid seed (up to 2^63-1) gives a valid generator seed, unchanged below 2^63
    return torch.randperm(n, generator=torch.Generator().manual_seed((seed * 1_000_003 + epoch) % 2**64))


class _LastGood:
    """Copies of parameters + Adam state that produced a finite loss (two-stage: a copy
    becomes "good" once the steps that used it have been seen to be finite)."""

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.good = [t.detach().clone() for t in trainer.state_tensors()]
        self.candidate = [t.clone() for t in self.good]
        self.good_step = self.candidate_step = 0

    def promote(self, step: int) -> None:
        """The steps since the candidate was taken were finite: it becomes the good copy."""
        self.good, self.candidate = self.candidate, self.good
        self.good_step = self.candidate_step
        copy_tensors(self.candidate, self.trainer.state_tensors())
        self.candidate_step = step

    def restore(self) -> int:
        copy_tensors(self.trainer.state_tensors(), self.good)
        return self.good_step


def _to_device_images(images: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images).reshape(len(images), -1)).to(device)


def train(cfg: TrainConfig, dataset: Dataset, control: TrainingControl | None = None,
          resume: ResumeState | None = None, backend: str = "auto") -> Iterator[Event]:
    """Train, yielding events. Run it in the thread that should own the tensors. ``backend``:
    see :func:`make_trainer` (the default picks; tests and the benchmark choose)."""
    cfg.check()
    control = control or TrainingControl()
    device = resolve_device(cfg.device)
    # Built here, in the training thread: tensors made on another thread ran 2× slower.
    train_u8 = _to_device_images(dataset.train_images, device)
    test_u8 = _to_device_images(dataset.test_images, device)
    trainer = make_trainer(cfg, device, train_u8, resume, backend)
    history = list(resume.history) if resume else []
    start_epoch = resume.epochs_done if resume else 0
    spe = trainer.steps_per_epoch
    total_steps = cfg.epochs * spe
    position = _check_resume(cfg, resume, spe)
    step = position.step if position else start_epoch * spe
    pixels = for_dataset(dataset.train_images, dataset.test_images)  # the verdict's nearest digits (pixels.py)
    yield RunStart(cfg, describe(device), trainer.n, int(test_u8.shape[0]), spe, start_epoch, list(history),
                   trainer.backend, step, resume is not None)

    last_good = _LastGood(trainer)
    batch = min(cfg.batch_size, trainer.n)
    full_batches = trainer.n // batch
    status, message = "completed", f"trained {counted(cfg.epochs, 'epoch')}"
    epochs_done = start_epoch
    evaluation: Evaluation | None = None

    def evaluate() -> Evaluation:
        return trainer.model.evaluate(test_u8, pixels)

    for epoch in range(start_epoch, cfg.epochs):
        perm = epoch_permutation(cfg.seed, epoch, trainer.n).to(device)
        epoch_train_s, epoch_loss_sum, interval_steps = 0.0, 0.0, 0
        done = 0  # steps of this epoch
        if position is not None:  # resuming a stop inside this epoch: carry on exactly where it was
            done, epoch_loss_sum, epoch_train_s = position.step - epoch * spe, position.epoch_loss_sum, \
                position.epoch_seconds
            trainer.steps_since_flush, position = position.steps_since_flush, None
        else:
            trainer.flush_denormal_moments()  # flushes then fall at the same steps in resumed runs
        interval_start = time.perf_counter()
        while done < spe:
            if control.stop_requested:
                break
            if control.paused:
                yield Holding(step)  # (the steps have stopped: "Paused" is true from here)
            interval_start += control.wait_while_paused()
            if control.stop_requested:
                break
            # The steps up to the next report run as one call; the last, smaller batch runs alone.
            count = min(cfg.log_every - interval_steps, (full_batches if done < full_batches else spe) - done)
            trainer.run_steps(perm[done * batch:(done + count) * batch],
                              [learning_rate(cfg, step + j, total_steps) for j in range(count)])
            done += count
            step += count
            interval_steps += count
            if interval_steps == cfg.log_every or done == spe:
                report = trainer.report()
                if not report.finite:
                    status, message = "diverged", _divergence_message(cfg, step, epoch + 1, last_good.restore())
                    break
                last_good.promote(step)
                now = time.perf_counter()
                elapsed = max(now - interval_start, 1e-9)
                epoch_train_s += elapsed
                epoch_loss_sum += report.total * report.steps
                yield IntervalOutput(step, epoch + 1, done / spe, report.recon, report.sparsity, report.total,
                                 interval_steps * batch / elapsed, learning_rate(cfg, step, total_steps),
                                 report.rho_hat)
                while trainer.revivals:  # resampled latents since the last report
                    at, count = trainer.revivals.pop(0)
                    yield Revival(at, at / spe, count)
                if report.revived:  # dead latents AuxK brought back since the last report
                    yield Revival(step, step / spe, report.revived, "auxk")
                interval_steps = 0
                interval_start = time.perf_counter()  # the consumer's time is not training time
        else:
            eval_start = time.perf_counter()
            evaluation = evaluate()
            _ = evaluation.histogram  # computed now, in the training thread, so the window does not have to
            out = EpochOutput(epoch + 1, step, epoch_loss_sum / spe, epoch_train_s,
                              time.perf_counter() - eval_start, evaluation, trainer.weights(),
                              trainer.optimizer_state())
            history.append(out.record())
            epochs_done = epoch + 1
            yield out
            continue
        if status == "completed":
            # (where none of this epoch's steps ran, "at step 2814 (epoch 7)" read as a stop inside epoch 7)
            where = f"epoch {epoch + 1}" if done else f"after epoch {epoch}" if epoch else "before the first step"
            status, message = "stopped", f"stopped by request at step {step} ({where}); weights kept"
            if trainer.pending and not trainer.report().finite:  # steps since the last check
                good_step = last_good.restore()
                message += f" (from step {good_step}: the loss had become non-finite)"
            elif done:  # a stop lands between reports: the checkpoint can resume exactly here
                position = Position(step, epoch_loss_sum, epoch_train_s, trainer.steps_since_flush)
        break
    # After a completed epoch its evaluation already describes the final weights.
    final_eval = evaluation if status == "completed" and evaluation is not None else evaluate()
    yield RunEnd(status, message, epochs_done, step, trainer.weights(), trainer.optimizer_state(), history,
                 final_eval, describe(device), position)


def _check_resume(cfg: TrainConfig, resume: ResumeState | None, spe: int) -> Position | None:
    """The position to resume inside an epoch at (None: at the start of the next one), or a
    one-line :class:`ConfigError` if the checkpoint cannot continue with these settings and data."""
    if resume is None:
        return None
    position, done = resume.position, resume.epochs_done
    if position is not None and not done * spe < position.step < (done + 1) * spe:
        raise ConfigError(f"the checkpoint stopped at step {position.step}, which is not inside epoch {done + 1} "
                          f"of this dataset ({spe} steps per epoch); resume it with the data it was trained on")
    needed = done + (position is not None)
    if cfg.epochs < needed:
        raise ConfigError(f"--epochs {cfg.epochs} is fewer than the checkpoint's {needed} "
                          f"{'started ' if position else ''}epochs; ask for at least {needed}")
    return position


def _divergence_message(cfg: TrainConfig, step: int, epoch: int, good_step: int) -> str:
    return (f"loss became non-finite near step {step} (epoch {epoch}); the learning rate "
            f"({cfg.lr:g}) is probably too high. Kept the weights from step {good_step}, the last finite one.")
