"""The trainer's state on one device: parameters and Adam's moments in flat buffers, and
the allocation-free steps of ``train_step.py`` that update them.

Why it is fast (measured on a 2-core CPU, see ``sae-desktop benchmark``): a step
allocates nothing but the index of the batch's non-blank pixels (a few KB). Fresh 128×784
temporaries cost page faults on every step, more than the arithmetic they hold, so the
forward and backward passes are written by hand into preallocated buffers and run as one
TorchScript module, whose first layer skips blank pixels. The parameters live in one flat
buffer, a slice per layer, so Adam is one fused kernel call per layer (the two small
middle layers share one), run while the gradient is still in cache. Batches are gathered
from the uint8 dataset (a quarter of float's memory traffic and RAM) and converted on the
device. The steps between two reports run as one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.optim.adam import adam as functional_adam

from sae_desktop.config import TrainConfig
from sae_desktop.events import ResumeState
from sae_desktop.losses import make_penalty
from sae_desktop.model import PARAM_NAMES, SparseAutoencoder
from sae_desktop.train_step import ADAM_BETAS, ADAM_EPS, build_step


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
