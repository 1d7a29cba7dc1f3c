"""Reconstruction losses and sparsity penalties.

Each one has two forms that must agree (tests compare them):

* ``loss(...)``: plain differentiable PyTorch, the reference (used by evaluation and tests);
* ``*_grad_(...)``: the hand-derived gradient, written in place into preallocated buffers,
  used by the training engine so that a step allocates nothing (see ``engine.py``). Each
  writes the gradient up to a constant factor and returns that factor, so the engine can
  fold it into a matrix product's ``alpha``/``beta`` instead of spending a pass on it.

Reported values: ``losses/recon`` is the reconstruction loss; ``losses/sparsity`` is the
*unweighted* penalty (Σ KL for kl, mean |z| for l1, 0 for topk), as the tutorial prints it;
``losses/total`` = recon + weight × sparsity, the quantity minimised.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from sae_desktop.config import TrainConfig

RHO_HAT_MIN = 1e-6  # the tutorial clamps ρ̂ to [1e-6, 1 - 1e-6] to keep log finite

_sigmoid_backward = torch.ops.aten.sigmoid_backward.grad_input
_logit_backward = torch.ops.aten.logit_backward.grad_input


def kl_divergence(rho: float, rho_hat: torch.Tensor) -> torch.Tensor:
    """Σ_j KL(ρ ‖ ρ̂_j) for Bernoulli means, ρ̂ clamped as in the tutorial."""
    rho_hat = torch.clamp(rho_hat, RHO_HAT_MIN, 1 - RHO_HAT_MIN)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


class SparsityPenalty:
    """A penalty on the latents. All three are functions of the batch-mean activations ρ̂
    (for ReLU latents mean |z| is the mean of ρ̂), so the engine records one ρ̂ row per
    step and computes penalty values only when it reports."""

    name = ""
    weight = 0.0

    def value(self, rho_hat: torch.Tensor) -> torch.Tensor:
        """Unweighted penalty from batch means ``rho_hat`` ``[..., d_latent]`` → ``[...]``."""
        raise NotImplementedError

    def raw(self, z: torch.Tensor) -> torch.Tensor:
        return self.value(z.mean(dim=0))

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        """The reference, differentiable form: weight × raw penalty of a batch ``z``."""
        return self.weight * self.raw(z)

    def rho_grad_(self, rho_hat: torch.Tensor, batch: int, out: torch.Tensor, scratch: torch.Tensor) -> float:
        """Write ``r`` into ``out`` (``[d_latent]``) and return ``c`` such that
        ∂loss/∂z_ij = c · r_j for a batch of ``batch`` rows whose mean is ``rho_hat``
        (all three penalties are functions of ρ̂ alone). ``c`` = 0 means no gradient.
        ``scratch`` is a preallocated ``[d_latent]`` buffer."""
        raise NotImplementedError


class KLPenalty(SparsityPenalty):
    name = "kl"

    def __init__(self, rho: float, beta: float):
        self.rho, self.weight = rho, beta

    def value(self, rho_hat):
        rho = self.rho
        rho_hat = torch.clamp(rho_hat, RHO_HAT_MIN, 1 - RHO_HAT_MIN)
        return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum(dim=-1)

    def raw(self, z):
        return kl_divergence(self.rho, z.mean(dim=0))

    def rho_grad_(self, rho_hat, batch, out, scratch):
        # dKL/dρ̂ = -ρ/ρ̂ + (1-ρ)/(1-ρ̂) = (ρ̂ - ρ) / (ρ̂ (1 - ρ̂)), and 0 where the clamp acts.
        # logit's backward is exactly "grad / (x (1 - x)), 0 outside [eps, 1 - eps]": two ops
        # instead of six. (At exactly a bound it passes the gradient where autograd's clamp
        # passes none: a measure-zero difference.)
        torch.sub(rho_hat, self.rho, out=scratch)
        _logit_backward(scratch, rho_hat, RHO_HAT_MIN, grad_input=out)
        return self.weight / batch  # ρ̂ is a batch mean: 1/B to each z_ij


class L1Penalty(SparsityPenalty):
    """coefficient × mean |z| over the batch and the latents (on ReLU latents)."""

    name = "l1"

    def __init__(self, coefficient: float):
        self.weight = coefficient

    def value(self, rho_hat):
        return rho_hat.abs().mean(dim=-1)  # exact for ReLU latents, where z ≥ 0

    def raw(self, z):
        return z.abs().mean()

    def rho_grad_(self, rho_hat, batch, out, scratch):
        # d/dz of mean|z| is sign(z)/numel; the ReLU backward zeroes it where z = 0 anyway
        out.fill_(1.0)
        return self.weight / (batch * out.numel())


class TopKPenalty(SparsityPenalty):
    """Top-k latents are sparse by construction (the activation keeps k); no penalty."""

    name = "topk"

    def value(self, rho_hat):
        return torch.zeros(rho_hat.shape[:-1], dtype=rho_hat.dtype, device=rho_hat.device)

    def rho_grad_(self, rho_hat, batch, out, scratch):
        return 0.0


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
                record: torch.Tensor, x_scale: float = 1.0) -> float:
    """Write ∂loss/∂logits of the output layer, divided by the returned factor, into
    ``out``, and the loss × numel into ``record`` (a 0-d slot, divided at report time).
    ``y`` = sigmoid(``logits``); the target is ``x_scale · x``.

    For mse the gradient is 2/n · (y - x) · y(1 - y); for bce it simplifies to (y - x)/n
    and the value uses the stable softplus form.
    """
    n = x.numel()
    torch.sub(y, x, alpha=x_scale, out=out)
    if kind == "mse":
        flat = out.view(-1)
        torch.dot(flat, flat, out=record)
        _sigmoid_backward(out, y, grad_input=out)
        return 2.0 / n
    record.copy_((F.softplus(logits) - x_scale * x * logits).sum())  # allocates; bce is not the default
    return 1.0 / n
