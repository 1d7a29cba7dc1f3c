"""Reconstruction losses and sparsity penalties.

Each one has two forms that must agree (tests compare them):

* ``loss(...)``: plain differentiable PyTorch, the reference (used by evaluation and tests);
* ``*_grad_(...)``: the hand-derived gradient, written in place into preallocated buffers,
  used by the training engine so that a step allocates nothing (see ``engine.py``).

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

    def add_grad_(self, z: torch.Tensor, rho_hat: torch.Tensor, dz: torch.Tensor, scratch: torch.Tensor) -> None:
        """Add ∂loss/∂z to ``dz`` in place. ``rho_hat`` = z.mean(0) is given; ``scratch`` is
        a preallocated ``[3, d_latent]`` buffer."""
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

    def add_grad_(self, z, rho_hat, dz, scratch):
        clamped, g, den = scratch[0], scratch[1], scratch[2]
        torch.clamp(rho_hat, RHO_HAT_MIN, 1 - RHO_HAT_MIN, out=clamped)
        # dKL/dρ̂ = -ρ/ρ̂ + (1-ρ)/(1-ρ̂) = (ρ̂ - ρ) / (ρ̂ (1 - ρ̂))
        torch.sub(clamped, self.rho, out=g)
        torch.addcmul(clamped, clamped, clamped, value=-1.0, out=den)
        g.div_(den)
        g.masked_fill_(rho_hat != clamped, 0.0)  # clamp passes no gradient where it clamps
        dz.add_(g, alpha=self.weight / z.shape[0])  # ρ̂ is a batch mean: 1/B to each z_ij


class L1Penalty(SparsityPenalty):
    """coefficient × mean |z| over the batch and the latents (on ReLU latents)."""

    name = "l1"

    def __init__(self, coefficient: float):
        self.weight = coefficient

    def value(self, rho_hat):
        return rho_hat.abs().mean(dim=-1)  # exact for ReLU latents, where z ≥ 0

    def raw(self, z):
        return z.abs().mean()

    def add_grad_(self, z, rho_hat, dz, scratch):
        # d/dz of mean|z| is sign(z)/numel; the ReLU backward zeroes it where z = 0 anyway
        dz.add_(self.weight / z.numel())


class TopKPenalty(SparsityPenalty):
    """Top-k latents are sparse by construction (the activation keeps k); no penalty."""

    name = "topk"

    def value(self, rho_hat):
        return torch.zeros(rho_hat.shape[:-1], dtype=rho_hat.dtype, device=rho_hat.device)

    def add_grad_(self, z, rho_hat, dz, scratch):
        pass


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
                record: torch.Tensor) -> None:
    """Write ∂loss/∂logits of the output layer into ``out`` and the loss × numel into
    ``record`` (a 0-d slot, divided at report time). ``y`` = sigmoid(``logits``).

    For mse the gradient goes through sigmoid's derivative; for bce it simplifies to
    (y - x) / n and the value uses the stable softplus form.
    """
    n = x.numel()
    torch.sub(y, x, out=out)
    if kind == "mse":
        flat = out.view(-1)
        torch.dot(flat, flat, out=record)
        out.mul_(2.0 / n)
        _sigmoid_backward(out, y, grad_input=out)
        return
    record.copy_((F.softplus(logits) - x * logits).sum())
    out.mul_(1.0 / n)
