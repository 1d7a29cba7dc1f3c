"""The training engine: a plain generator of progress events, fast on a small CPU.

``train(...)`` yields a :class:`RunStart`, then :class:`StepOutput` every ``log_every``
steps and an :class:`EpochOutput` after each epoch, then one :class:`RunEnd`. The CLI
prints them; the window's worker forwards them as signals. Pause, resume and stop are
requests on a :class:`TrainingControl`, honoured between steps (checked before each run of
the ``log_every`` steps between two reports: ~35 ms on the 2-core CPU).

Why it is fast (measured on a 2-core CPU, see ``sae-desktop benchmark``): a step
allocates nothing but the index of the batch's non-blank pixels (a few KB). Fresh 128×784
temporaries cost page faults on every step, more than the arithmetic they hold, so the
forward and backward passes are written by hand into preallocated buffers and run as one
TorchScript module (``train_step.py``), whose first layer skips blank pixels. The
parameters live in one flat buffer, a slice per layer, so Adam is one fused kernel call
per layer (the two small middle layers share one), run while the gradient is still in
cache. Batches are gathered from the uint8 dataset (a quarter of float's memory traffic
and RAM) and converted on the device. The steps between two reports run as one call.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator, Union

import numpy as np
import torch

from sae_desktop.config import TrainConfig
from sae_desktop.data import Dataset
from sae_desktop.devices import describe, resolve_device
from sae_desktop.evaluation import Evaluation, evaluate
from sae_desktop.losses import make_penalty
from sae_desktop.model import PARAM_NAMES, SparseAutoencoder
from sae_desktop.train_step import ADAM_BETAS, ADAM_EPS, build_step
from torch.optim.adam import adam as functional_adam


class TrainingControl:
    """Thread-safe pause / resume / stop requests, checked by the loop between report intervals."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can see the stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; return the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        self._running.wait()
        return time.perf_counter() - start


@dataclass
class RunStart:
    config: TrainConfig
    device: str  # human description, e.g. "cpu (2 threads)"
    n_train: int
    n_test: int
    steps_per_epoch: int
    start_epoch: int  # epochs already done (resume), 0 for a fresh run
    history: list[dict] = field(default_factory=list)  # epoch records so far (resume)


@dataclass
class StepOutput:
    step: int  # optimizer steps done in the run
    epoch: int  # 1-based epoch in progress
    epoch_fraction: float  # progress through this epoch, 0-1
    recon_loss: float  # means over the steps since the previous report
    sparsity_loss: float  # unweighted penalty (Σ KL, mean |z| or 0)
    total_loss: float
    samples_per_s: float
    lr: float
    rho_hat: np.ndarray  # batch-mean activation per latent, averaged over the interval

    def to_json(self) -> dict:
        return {
            "type": "step",
            "step": self.step,
            "epoch": self.epoch,
            "losses/recon": self.recon_loss,
            "losses/sparsity": self.sparsity_loss,
            "losses/total": self.total_loss,
            "metrics/samples_per_s": self.samples_per_s,
            "lr": self.lr,
        }


@dataclass
class EpochOutput:
    epoch: int
    step: int
    train_loss: float  # mean total loss over the epoch's steps
    epoch_seconds: float  # training time of the epoch (pauses and evaluation excluded)
    eval_seconds: float
    evaluation: Evaluation  # per-image test errors and latents (not written to JSON)
    weights: dict[str, torch.Tensor]  # CPU snapshot, safe to share with other threads
    optimizer: dict[str, torch.Tensor]  # CPU copy of Adam's state, for the autosave

    @property
    def test_mse(self) -> float:
        return self.evaluation.test_mse

    def record(self) -> dict:
        """The JSON-able summary kept in metrics.jsonl and in checkpoints."""
        ev = self.evaluation
        return {
            "type": "epoch",
            "epoch": self.epoch,
            "step": self.step,
            "losses/train_total": self.train_loss,
            "metrics/test_mse": ev.test_mse,
            "metrics/l0": ev.l0,
            "metrics/dead_latents": ev.dead_latents,
            "metrics/rho_hat": ev.rho_hat.tolist(),
            "metrics/rho_hat_mean": float(ev.rho_hat.mean()),
            "epoch_seconds": self.epoch_seconds,
            "eval_seconds": self.eval_seconds,
        }


@dataclass
class RunEnd:
    status: str  # "completed", "stopped" or "diverged"
    message: str
    epochs_done: int
    step: int
    weights: dict[str, torch.Tensor]  # the weights kept: final, stopped, or last good
    optimizer: dict[str, torch.Tensor]
    history: list[dict]
    evaluation: Evaluation | None  # test metrics of ``weights`` (None if no test images)
    device: str


Event = Union[RunStart, StepOutput, EpochOutput, RunEnd]


@dataclass
class ResumeState:
    """Where a run continues from: weights, optimizer state, epochs done, history."""

    weights: dict[str, torch.Tensor]
    optimizer: dict[str, torch.Tensor] | None
    epochs_done: int
    history: list[dict]


# Weights kept transposed in the flat buffers (``[in, out]`` in memory; the model and the
# checkpoints see the usual ``[out, in]``). Its gradient product then writes a tall
# [784, 128] block, which MKL runs at ~180 GFLOP/s against ~110 for a wide [128, 784] one
# (2-core CPU, products timed alone). With the pixel-major output layer (train_step.py),
# steps took 3% less time (paired chunks; less than the products alone suggest).
STORED_TRANSPOSED = frozenset({"W_enc1"})


# Adam's moments are flushed of denormal numbers after a run of steps once at least this many have
# run since the last flush (see flush_denormal_moments): at every report with the default log_every.
FLUSH_DENORMALS_EVERY = 16
SMALLEST_NORMAL = torch.finfo(torch.float32).tiny


def _adam_supports_fused(device: torch.device) -> bool:
    try:
        p = torch.zeros(2, device=device)
        torch._fused_adam_([p], [p.clone()], [p.clone()], [p.clone()], [], [torch.ones((), device=device)],
                           lr=1e-3, beta1=ADAM_BETAS[0], beta2=ADAM_BETAS[1], weight_decay=0.0, eps=ADAM_EPS,
                           amsgrad=False, maximize=False)
        return True
    except (RuntimeError, TypeError, AttributeError, NotImplementedError):
        return False


@dataclass
class Report:
    """Means over the steps since the previous report."""

    steps: int
    recon: float
    sparsity: float
    total: float
    rho_hat: np.ndarray
    finite: bool


class FastSAETrainer:
    """Parameters, Adam state and the allocation-free step for one model on one device."""

    def __init__(self, cfg: TrainConfig, device: torch.device, train_u8: torch.Tensor,
                 resume: ResumeState | None = None):
        self.cfg, self.device = cfg, device
        self.model_cfg = mc = cfg.model_config()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            model = SparseAutoencoder(mc)  # default init drawn from the seed, tutorial order
        if resume is not None:
            with torch.no_grad():
                for name, p in model.named_parameters():
                    p.copy_(resume.weights[name])
        model.to(device)
        # One flat buffer for all parameters (and one for gradients): Adam is one kernel.
        self.shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
        self.flat = torch.empty(sum(math.prod(s) for s in self.shapes.values()), device=device)
        self.flat_grad = torch.zeros_like(self.flat)
        self.params, self.grads = self._views(self.flat), self._views(self.flat_grad)
        for name, p in model.named_parameters():
            self.params[name].copy_(p.detach())
            p.data = self.params[name]  # the model now reads the flat buffer
        self.model = model.eval()
        self.exp_avg, self.exp_avg_sq = torch.zeros_like(self.flat), torch.zeros_like(self.flat)
        self.adam_step = torch.zeros((), dtype=torch.float32, device=device)
        if resume is not None and resume.optimizer is not None:
            self.load_optimizer(resume.optimizer)
        self.fused = _adam_supports_fused(device)
        self.steps_since_flush = 0
        self.penalty = make_penalty(cfg)
        self.train_u8 = train_u8.contiguous()
        self.n = train_u8.shape[0]
        # One row per step since the last report: the batch ρ̂ and the summed reconstruction
        # loss. Loss values are computed from them in report(), not in every step.
        self.capacity = cfg.log_every
        # Both live in one buffer, [summed loss, ρ̂...] per row, so a report reads it in one go.
        self.records = torch.zeros(self.capacity, 1 + mc.d_latent, device=device)
        self.recon_rows, self.rho_rows = self.records[:, 0], self.records[:, 1:]
        self.pending_sizes: list[int] = []
        # The step, per batch size (a smaller last batch gets its own buffers). TorchScript only
        # on the CPU, where it is tested and where Python's overhead shows; other devices run
        # the same module as Python (no GPU was available to test it there).
        b = min(cfg.batch_size, self.n)
        tensors = ([self.params[k] for k in PARAM_NAMES], [self.grads[k] for k in PARAM_NAMES],
                   self.rho_rows, self.recon_rows, self._layer_adam())
        self.steps, self.scripted = {}, device.type == "cpu"
        for size in {b, self.n % b} - {0}:
            self.steps[size], scripted = build_step(size, cfg, mc, self.train_u8, *tensors, script=self.scripted)
            self.scripted = self.scripted and scripted

    def _layer_adam(self) -> list[list[list[torch.Tensor]]]:
        """The fused Adam kernel's six tensor lists for each of three slices of the flat
        buffers: the first layer, the two small middle ones together (one call instead of
        two: 1% of a step, paired chunks), the last layer. Empty without a fused kernel
        (then :meth:`step` updates all at once)."""
        if not self.fused:
            return []
        layer_ends = np.cumsum([self.params[name].numel() for name in PARAM_NAMES])[1::2].tolist()
        ends = [layer_ends[0], layer_ends[2], layer_ends[3]]
        return [[[t[a:b]] for t in (self.flat, self.flat_grad, self.exp_avg, self.exp_avg_sq)] + [[], [self.adam_step]]
                for a, b in zip([0, *ends[:-1]], ends)]

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n / min(self.cfg.batch_size, self.n))

    def _views(self, buffer: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each parameter's slice of a flat buffer, in its ``[out, in]`` shape (a transposed
        view for the weights in :data:`STORED_TRANSPOSED`)."""
        views, offset = {}, 0
        for name, shape in self.shapes.items():
            n = math.prod(shape)
            flat = buffer[offset:offset + n]
            views[name] = flat.view(shape[::-1]).t() if name in STORED_TRANSPOSED else flat.view(shape)
            offset += n
        return views

    def optimizer_state(self) -> dict[str, torch.Tensor]:
        """Adam's moments flattened parameter by parameter in ``[out, in]`` order (the
        checkpoint layout, independent of how the buffers are laid out in memory)."""
        def canonical(buffer: torch.Tensor) -> torch.Tensor:
            return torch.cat([v.reshape(-1) for v in self._views(buffer).values()]).cpu()

        return {
            "optimizer.exp_avg": canonical(self.exp_avg.detach()),
            "optimizer.exp_avg_sq": canonical(self.exp_avg_sq.detach()),
            "optimizer.step": self.adam_step.detach().cpu().clone().reshape(1),
        }

    def load_optimizer(self, state: dict[str, torch.Tensor]) -> None:
        sizes = [math.prod(shape) for shape in self.shapes.values()]
        for key, buffer in (("optimizer.exp_avg", self.exp_avg), ("optimizer.exp_avg_sq", self.exp_avg_sq)):
            parts = state[key].to(self.device).reshape(-1).split(sizes)
            for view, part in zip(self._views(buffer).values(), parts):
                view.copy_(part.view(view.shape))
        self.adam_step.copy_(state["optimizer.step"].reshape(()))

    def state_tensors(self) -> list[torch.Tensor]:
        """Everything a step changes and a restore must put back: weights and Adam's state."""
        return [self.flat, self.exp_avg, self.exp_avg_sq, self.adam_step]

    def weights(self) -> dict[str, torch.Tensor]:
        return self.model.snapshot()

    def step(self, idx: torch.Tensor, lr: float) -> None:
        """One Adam step on the training images ``idx``. Call :meth:`report` at least every
        ``log_every`` steps (the loss records of older steps are overwritten)."""
        b = idx.shape[0]
        row = len(self.pending_sizes) % self.capacity
        self.pending_sizes.append(b * self.model_cfg.d_in)
        self.steps[b](idx, row, lr)  # with the fused kernel, Adam's updates too
        if not self.fused:  # no fused kernel on this device (the functional form counts the step itself)
            functional_adam(
                [self.flat], [self.flat_grad], [self.exp_avg], [self.exp_avg_sq], [], [self.adam_step],
                foreach=False, amsgrad=False, beta1=ADAM_BETAS[0], beta2=ADAM_BETAS[1], lr=lr,
                weight_decay=0.0, eps=ADAM_EPS, maximize=False,
            )

    def run_steps(self, idx: torch.Tensor, lrs: list[float]) -> None:
        """``len(lrs)`` steps on consecutive full batches of ``idx`` (or one step on any batch),
        with those learning rates. Several steps are one call into the step module: the
        Python between steps cost ~3% of the time on the 2-core CPU (paired chunks)."""
        count = len(lrs)
        b = idx.shape[0] // count
        first = len(self.pending_sizes) % self.capacity
        if count > 1 and (idx.shape[0] != b * count or b not in self.steps or first + count > self.capacity):
            raise ValueError(f"{count} steps need {count} full batches within one report interval")
        if count == 1 or not self.fused:  # without the fused kernel Adam runs from Python, per step
            for i, lr in enumerate(lrs):
                self.step(idx[i * b:(i + 1) * b], lr)
        else:
            self.pending_sizes.extend([b * self.model_cfg.d_in] * count)
            self.steps[b].run(idx, first, lrs)
        self.steps_since_flush += count
        if self.steps_since_flush >= FLUSH_DENORMALS_EVERY:
            self.flush_denormal_moments()

    def flush_denormal_moments(self) -> None:
        """Zero Adam's moments below float32's smallest normal number (~1.2e-38).

        Where a gradient stays 0 (weights of the blank border pixels of MNIST), the first
        moment decays ×0.9 a step and spends ~150 steps as a denormal number, on which x86
        arithmetic is slow: ~30 000 of them made steps 1.5% slower on the 2-core CPU (paired
        chunks). Their contribution to an update is below 1e-30. (A NaN moment also becomes
        0, but it has already made its weight NaN, which the next report catches.)"""
        self.steps_since_flush = 0
        for moment in (self.exp_avg, self.exp_avg_sq):
            torch.ops.aten.hardshrink.out(moment, SMALLEST_NORMAL, out=moment)

    def report(self) -> Report:
        """Loss means over the steps since the last report (one device sync), then reset."""
        m = min(len(self.pending_sizes), self.capacity)
        # One transfer, then NumPy in float64 on a few rows (see SparsityPenalty).
        records = self.records[:m].cpu().numpy().astype(np.float64)
        recon = records[:, 0] / np.asarray(self.pending_sizes[-m:], dtype=np.float64)
        rows = records[:, 1:]
        sparsity = self.penalty.value(rows)
        total = recon + self.penalty.weight * sparsity
        rho = rows.mean(axis=0).astype(np.float32)
        self.pending_sizes.clear()
        means = [float(v.sum()) / max(m, 1) for v in (recon, sparsity, total)]
        finite = all(math.isfinite(v) for v in means) and bool(np.isfinite(rho).all())
        return Report(m, *means, rho, finite)


def learning_rate(cfg: TrainConfig, step: int, total_steps: int) -> float:
    if cfg.lr_schedule == "cosine":
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / max(1, total_steps)))
    return cfg.lr


def epoch_permutation(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The shuffle of epoch ``epoch`` (0-based): a function of (seed, epoch), so resumes match."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))


class _LastGood:
    """Copies of parameters + Adam state that produced a finite loss (two-stage: a copy
    becomes "good" once the steps that used it have been seen to be finite)."""

    def __init__(self, trainer: FastSAETrainer):
        self.trainer = trainer
        self.good = self._take()
        self.candidate = self._take()
        self.good_step = self.candidate_step = 0

    def _take(self, into: list[torch.Tensor] | None = None) -> list[torch.Tensor]:
        sources = self.trainer.state_tensors()
        if into is None:
            return [s.detach().clone() for s in sources]
        torch._foreach_copy_(into, sources)  # one call: right after the steps every call is slow
        return into

    def promote(self, step: int) -> None:
        """The steps since the candidate was taken were finite: it becomes the good copy."""
        self.good, self.candidate = self.candidate, self.good
        self.good_step = self.candidate_step
        self._take(into=self.candidate)
        self.candidate_step = step

    def restore(self) -> int:
        torch._foreach_copy_(self.trainer.state_tensors(), self.good)
        return self.good_step


def _to_device_images(images: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images).reshape(len(images), -1)).to(device)


def train(cfg: TrainConfig, dataset: Dataset, control: TrainingControl | None = None,
          resume: ResumeState | None = None) -> Iterator[Event]:
    """Train, yielding events. Run it in the thread that should own the tensors."""
    cfg.check()
    control = control or TrainingControl()
    device = resolve_device(cfg.device)
    # Built here, in the training thread: tensors made on another thread ran 2× slower.
    train_u8 = _to_device_images(dataset.train_images, device)
    test_u8 = _to_device_images(dataset.test_images, device)
    trainer = FastSAETrainer(cfg, device, train_u8, resume)
    history = list(resume.history) if resume else []
    start_epoch = resume.epochs_done if resume else 0
    spe = trainer.steps_per_epoch
    total_steps = cfg.epochs * spe
    step = start_epoch * spe
    yield RunStart(cfg, describe(device), trainer.n, int(test_u8.shape[0]), spe, start_epoch, list(history))

    last_good = _LastGood(trainer)
    batch = min(cfg.batch_size, trainer.n)
    full_batches = trainer.n // batch
    status, message = "completed", f"trained {cfg.epochs} epochs"
    epochs_done = start_epoch
    evaluation: Evaluation | None = None
    for epoch in range(start_epoch, cfg.epochs):
        perm = epoch_permutation(cfg.seed, epoch, trainer.n).to(device)
        trainer.flush_denormal_moments()  # flushes then fall at the same steps in resumed runs
        epoch_train_s, epoch_loss_sum, interval_steps = 0.0, 0.0, 0
        interval_start = time.perf_counter()
        done = 0  # steps of this epoch
        while done < spe:
            if control.stop_requested:
                break
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
                yield StepOutput(step, epoch + 1, done / spe, report.recon, report.sparsity, report.total,
                                 interval_steps * batch / elapsed, learning_rate(cfg, step, total_steps),
                                 report.rho_hat)
                interval_steps = 0
                interval_start = time.perf_counter()  # the consumer's time is not training time
        else:
            eval_start = time.perf_counter()
            evaluation = evaluate(trainer.model, test_u8)
            _ = evaluation.histogram  # computed now, in the training thread, so the window does not have to
            out = EpochOutput(epoch + 1, step, epoch_loss_sum / spe, epoch_train_s,
                              time.perf_counter() - eval_start, evaluation, trainer.weights(),
                              trainer.optimizer_state())
            history.append(out.record())
            epochs_done = epoch + 1
            yield out
            continue
        if status == "completed":
            status, message = "stopped", f"stopped by request at step {step} (epoch {epoch + 1}); weights kept"
            if trainer.pending_sizes and not trainer.report().finite:  # steps since the last check
                good_step = last_good.restore()
                message += f" (from step {good_step}: the loss had become non-finite)"
        break
    # After a completed epoch its evaluation already describes the final weights.
    final_eval = evaluation if status == "completed" and evaluation is not None else evaluate(trainer.model, test_u8)
    yield RunEnd(status, message, epochs_done, step, trainer.weights(), trainer.optimizer_state(), history,
                 final_eval, describe(device))


def _divergence_message(cfg: TrainConfig, step: int, epoch: int, good_step: int) -> str:
    return (f"loss became non-finite near step {step} (epoch {epoch}); the learning rate "
            f"({cfg.lr:g}) is probably too high. Kept the weights from step {good_step}, the last finite one.")


__all__ = [
    "TrainingControl", "RunStart", "StepOutput", "EpochOutput", "RunEnd",
    "ResumeState", "FastSAETrainer", "train", "learning_rate", "epoch_permutation",
]
