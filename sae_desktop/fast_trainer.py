"""The fast backend: the hand-written, allocation-free steps of ``train_step.py`` on flat
parameter buffers (the :class:`~sae_desktop.trainer.Trainer` interface; the engine picks it
where :func:`supports` says it applies, the autograd backend elsewhere).

Why it is fast (2-core CPU; ``sae-desktop benchmark`` times both backends): a step allocates
nothing but the index of the batch's non-blank pixels (a few KB), as fresh 128×784
temporaries cost page faults on every step, more than the arithmetic they hold. The
parameters live in one flat buffer, a slice per layer, so Adam is one fused kernel call per
layer. Batches are gathered from the uint8 dataset (a quarter of float's memory traffic and
RAM). How the step itself saves time: see ``train_step.py``.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from sae_desktop.config import TrainConfig
from sae_desktop.events import ResumeState
from sae_desktop.losses import DEAD_REFRESH
from sae_desktop.model import PARAM_NAMES
from sae_desktop.train_step import build_step, private_ops_present
from sae_desktop.train_step_sparse import decodes_sparsely
from sae_desktop.trainer import SMALLEST_NORMAL, Trainer, seeded_model

# Weights kept transposed in the flat buffers (``[in, out]`` in memory; the model and the
# checkpoints see the usual ``[out, in]``). Its gradient product then writes a tall
# [784, 128] block, which MKL runs at ~180 GFLOP/s against ~110 for a wide [128, 784] one
# (2-core CPU, products timed alone). With the pixel-major output layer (train_step.py),
# steps took 3% less time (paired chunks; less than the products alone suggest).
STORED_TRANSPOSED = frozenset({"W_enc1"})


def stored_transposed(cfg: TrainConfig, device: torch.device) -> frozenset[str]:
    """:data:`STORED_TRANSPOSED`, and the decoder's first layer where the step gathers a kept
    latent's column of it as a contiguous row (train_step_sparse.py)."""
    mc = cfg.model_config()
    return STORED_TRANSPOSED | ({"W_dec1"} if decodes_sparsely(mc.d_latent, mc.k, mc.latent, device.type) else set())

# What the hand-written step implements. Anything else trains with the autograd backend.
FAST_PENALTIES = frozenset({"kl", "l1", "topk"})
FAST_RECON = frozenset({"mse", "bce"})


def supports(cfg: TrainConfig, device: torch.device) -> bool:
    """Whether the fast step applies: its mechanisms, on the CPU (where it was tuned, tested and
    measured to earn its keep), with every private torch op it calls present and working."""
    return (cfg.penalty in FAST_PENALTIES and cfg.recon in FAST_RECON and device.type == "cpu"
            and not (cfg.resample or cfg.unit_norm_decoder)
            and fast_step_works(device.type))


@functools.lru_cache(maxsize=None)
def fast_step_works(device_type: str) -> bool:
    """Whether the step's private torch API exists and runs here: one unscripted step of a
    tiny sigmoid/KL/MSE and top-k/BCE model (which between them call every private op)."""
    if not private_ops_present():
        return False
    images = torch.arange(4 * 784, dtype=torch.float32).remainder_(251).to(torch.uint8).view(4, 784)
    try:
        for cfg in (TrainConfig(d_hidden=4, d_latent=3, batch_size=4, log_every=1),
                    TrainConfig(d_hidden=4, d_latent=3, batch_size=4, log_every=1, penalty="topk", k=2, recon="bce")):
            trainer = FastSAETrainer(cfg, torch.device(device_type), images.to(device_type), script=False)
            trainer.step(torch.arange(4, device=device_type), 1e-3)
            trainer.flush_denormal_moments()
            if not trainer.report().finite:
                return False
    except (RuntimeError, TypeError, AttributeError, NotImplementedError, ValueError):
        return False
    return True


class FastSAETrainer(Trainer):
    """Flat parameter and Adam buffers and the allocation-free step for one model on one device."""

    backend = "fast"

    def __init__(self, cfg: TrainConfig, device: torch.device, train_u8: torch.Tensor,
                 resume: ResumeState | None = None, script: bool = True):
        super().__init__(cfg, device, train_u8)
        model = seeded_model(cfg, resume).to(device)
        self.transposed = stored_transposed(cfg, device)
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
        self.dead_reading = torch.zeros(2 + cfg.d_latent, dtype=torch.int64, device=device)  # (AuxKStep's reading)
        if resume is not None and resume.optimizer is not None:
            self.load_optimizer(resume.optimizer)
        # The step module, per batch size (a smaller last batch gets its own buffers); TorchScript
        # where it can (see train_step.py), else the same module as Python.
        b = min(cfg.batch_size, self.n)
        tensors = ([self.params[k] for k in PARAM_NAMES], [self.grads[k] for k in PARAM_NAMES],
                   self.rho_rows, self.recon_rows, self.extra_rows, self._layer_adam(),
                   self.objective.images_since_fired,
                   float(self.objective.dead_after), self.dead_reading)
        self.step_modules, self.scripted = {}, script
        for size in {b, self.n % b} - {0}:
            self.step_modules[size], scripted = build_step(size, cfg, self.model_cfg, self.train_u8, *tensors,
                                                           script=script)
            self.scripted = self.scripted and scripted

    def _layer_adam(self) -> list[list[list[torch.Tensor]]]:
        """The fused Adam kernel's six tensor lists for each of three slices of the flat
        buffers: the first layer, the two small middle ones together (one call instead of
        two: 1% of a step, paired chunks), the last layer."""
        layer_ends = np.cumsum([self.params[name].numel() for name in PARAM_NAMES])[1::2].tolist()
        ends = [layer_ends[0], layer_ends[2], layer_ends[3]]
        return [[[t[a:b]] for t in (self.flat, self.flat_grad, self.exp_avg, self.exp_avg_sq)] + [[], [self.adam_step]]
                for a, b in zip([0, *ends[:-1]], ends)]

    def _views(self, buffer: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each parameter's slice of a flat buffer, in its ``[out, in]`` shape (a transposed
        view for the weights in :func:`stored_transposed`)."""
        views, offset = {}, 0
        for name, shape in self.shapes.items():
            n = math.prod(shape)
            flat = buffer[offset:offset + n]
            views[name] = flat.view(shape[::-1]).t() if name in self.transposed else flat.view(shape)
            offset += n
        return views

    def _moments(self):
        exp_avg, exp_avg_sq = self._views(self.exp_avg), self._views(self.exp_avg_sq)
        return {name: (exp_avg[name], exp_avg_sq[name]) for name in PARAM_NAMES}

    def _adam_steps(self):
        return [self.adam_step]

    def state_tensors(self):
        return [self.flat, self.exp_avg, self.exp_avg_sq, self.adam_step]

    def reading(self) -> torch.Tensor:
        out = self.dead_reading.cpu().clone()
        out[0] %= DEAD_REFRESH  # (the steps since the first reading: only their cadence matters)
        return out

    def read_from(self, reading: torch.Tensor) -> None:
        self.dead_reading.copy_(reading.reshape(-1).to(torch.int64))

    def _run(self, idx: torch.Tensor, first_row: int, lrs: list[float]) -> None:
        """Several steps are one call into the step module: the Python between steps cost
        ~3% of the time on the 2-core CPU (paired chunks)."""
        b = idx.shape[0] // len(lrs)
        if b not in self.step_modules:
            raise ValueError(f"{len(lrs)} steps need {len(lrs)} full batches within one report interval")
        if len(lrs) == 1:
            self.step_modules[b](idx, first_row, lrs[0])
        else:
            self.step_modules[b].run(idx, first_row, lrs)

    def flush_denormal_moments(self) -> None:
        """As :meth:`Trainer.flush_denormal_moments`, in place on the flat buffers (no mask)."""
        self.steps_since_flush = 0
        for moment in (self.exp_avg, self.exp_avg_sq):
            torch.ops.aten.hardshrink.out(moment, SMALLEST_NORMAL, out=moment)
