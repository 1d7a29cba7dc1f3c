"""Reconstruction losses and sparsity penalties.

Each one has two forms that must agree (tests compare them):

* ``loss(...)``: plain differentiable PyTorch, the reference (used by evaluation and tests);
* ``*_grad_(...)``: the hand-derived gradient, written in place into preallocated buffers,
  used by the training step so that it allocates nothing (see ``train_step.py``, which
  compiles them with TorchScript: keep them to plain typed tensor code). They leave out
  constant factors, which the step folds into a matrix product's ``alpha``/``beta``.

Reported values: ``losses/recon`` is the reconstruction loss; ``losses/sparsity`` is the
*unweighted* penalty (Σ KL for kl, mean |z| for l1, 0 for topk), as the tutorial prints it;
``losses/total`` = recon + weight × sparsity, the quantity minimised.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from sae_desktop.config import TrainConfig

RHO_HAT_MIN = 1e-6  # the tutorial clamps ρ̂ to [1e-6, 1 - 1e-6] to keep log finite


def kl_divergence(rho: float, rho_hat: torch.Tensor) -> torch.Tensor:
    """Σ_j KL(ρ ‖ ρ̂_j) for Bernoulli means, ρ̂ clamped as in the tutorial."""
    rho_hat = torch.clamp(rho_hat, RHO_HAT_MIN, 1 - RHO_HAT_MIN)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


class SparsityPenalty:
    """A penalty on the latents. All three are functions of the batch-mean activations ρ̂
    (for ReLU latents mean |z| is the mean of ρ̂), so the engine records one ρ̂ row per
    step and computes penalty values only when it reports (every ``log_every`` steps), on
    the host, in NumPy: for a few rows, tiny torch ops cost more than the arithmetic (a
    report took 91 µs with them, 49 µs without, warm, on the 2-core CPU)."""

    name = ""
    weight = 0.0

    def value(self, rho_hat: np.ndarray) -> np.ndarray:
        """Unweighted penalty from batch means ``rho_hat`` ``[..., d_latent]`` → ``[...]``."""
        raise NotImplementedError

    def raw(self, z: torch.Tensor) -> torch.Tensor:
        """The unweighted penalty of a batch of latents ``z``, differentiable."""
        raise NotImplementedError

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        """The reference, differentiable form: weight × raw penalty of a batch ``z``."""
        return self.weight * self.raw(z)


class KLPenalty(SparsityPenalty):
    name = "kl"

    def __init__(self, rho: float, beta: float):
        self.rho, self.weight = rho, beta

    def value(self, rho_hat):
        rho = self.rho
        rho_hat = np.clip(rho_hat, RHO_HAT_MIN, 1 - RHO_HAT_MIN)
        return (rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))).sum(axis=-1)

    def raw(self, z):
        return kl_divergence(self.rho, z.mean(dim=0))


class L1Penalty(SparsityPenalty):
    """coefficient × mean |z| over the batch and the latents (on ReLU latents)."""

    name = "l1"

    def __init__(self, coefficient: float):
        self.weight = coefficient

    def value(self, rho_hat):
        return np.abs(rho_hat).mean(axis=-1)  # exact for ReLU latents, where z ≥ 0

    def raw(self, z):
        return z.abs().mean()


class TopKPenalty(SparsityPenalty):
    """Top-k latents are sparse by construction (the activation keeps k); no penalty."""

    name = "topk"

    def value(self, rho_hat):
        return np.zeros(np.shape(rho_hat)[:-1])

    def raw(self, z):
        return z.new_zeros(())


def kl_rho_grad_(rho_hat: torch.Tensor, rho: torch.Tensor, out: torch.Tensor, scratch: torch.Tensor,
                 eps: float = RHO_HAT_MIN) -> None:
    """Write d/dρ̂ of Σ_j KL(ρ ‖ clamp(ρ̂_j, eps, 1 - eps)) into ``out`` (``rho``: a 0-d tensor).

    dKL/dρ̂ = -ρ/ρ̂ + (1-ρ)/(1-ρ̂) = (ρ̂ - ρ) / (ρ̂ (1 - ρ̂)), and 0 where the clamp acts:
    exactly logit's backward ("grad / (x (1 - x)), 0 outside [eps, 1 - eps]"), so two ops.
    At exactly a bound it passes the gradient where autograd's clamp passes none (a
    measure-zero difference).
    """
    torch.sub(rho_hat, rho, out=scratch)
    torch.ops.aten.logit_backward(scratch, rho_hat, eps, grad_input=out)


def make_penalty(cfg: TrainConfig) -> SparsityPenalty:
    if cfg.penalty == "kl":
        return KLPenalty(cfg.rho, cfg.beta)
    if cfg.penalty == "l1":
        return L1Penalty(cfg.l1)
    if cfg.penalty == "topk":
        return TopKPenalty()
    raise ValueError(f"unknown penalty {cfg.penalty!r}")


def recon_loss(kind: str, recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean reconstruction loss over every pixel: ``mse`` or ``bce`` (the reference form)."""
    if kind == "mse":
        return F.mse_loss(recon, x)
    if kind == "bce":
        return F.binary_cross_entropy(recon, x)
    raise ValueError(f"unknown reconstruction loss {kind!r}")


def recon_grad_(kind: str, logits: torch.Tensor, y: torch.Tensor, x: torch.Tensor, out: torch.Tensor,
                out_flat: torch.Tensor, record: torch.Tensor, x_scale: float = 1.0) -> float:
    """Write ∂loss/∂logits of the output layer, divided by the returned factor, into
    ``out`` (``out_flat``: the same buffer, flat), and the loss × numel into ``record`` (a 0-d
    slot, divided at report time). ``y`` = sigmoid(``logits``); the target is ``x_scale · x``.

    For mse the gradient is 2/n · (y - x) · y(1 - y); for bce it simplifies to (y - x)/n
    and the value uses the stable softplus form.
    """
    n = x.numel()
    torch.sub(y, x, alpha=x_scale, out=out)
    if kind == "mse":
        torch.dot(out_flat, out_flat, out=record)
        torch.ops.aten.sigmoid_backward(out, y, grad_input=out)
        return 2.0 / n
    record.copy_((F.softplus(logits) - x_scale * x * logits).sum())  # allocates; bce is not the default
    return 1.0 / n
