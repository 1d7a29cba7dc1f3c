"""Reconstruction losses, sparsity penalties and the training objective, defined once.

They are plain differentiable PyTorch: the autograd backend (``trainer.py``) trains on
:class:`Objective` as written, and the tests hold the fast step's hand-written gradients
(``train_step.py``) against it.

Reported values: ``losses/recon`` is the reconstruction loss; ``losses/sparsity`` is the
*unweighted* penalty (Σ KL for kl, mean |z| for l1, 0 for topk), as the tutorial prints it;
``losses/total`` = recon + weight × sparsity, the quantity minimised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from sae_desktop.config import TrainConfig
from sae_desktop.model import SparseAutoencoder

RHO_HAT_MIN = 1e-6  # the tutorial clamps ρ̂ to [1e-6, 1 - 1e-6] to keep log finite


def kl_divergence(rho: float, rho_hat):
    """Σ_j KL(ρ ‖ ρ̂_j) over the last axis for Bernoulli means ``rho_hat`` (a torch tensor,
    differentiable, or NumPy rows ``[..., d_latent]``), ρ̂ clamped as in the tutorial."""
    xp = np if isinstance(rho_hat, np.ndarray) else torch
    rho_hat = xp.clip(rho_hat, RHO_HAT_MIN, 1 - RHO_HAT_MIN)
    return (rho * xp.log(rho / rho_hat) + (1 - rho) * xp.log((1 - rho) / (1 - rho_hat))).sum(-1)


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
        return kl_divergence(self.rho, np.asarray(rho_hat))

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


def make_penalty(cfg: TrainConfig) -> SparsityPenalty:
    if cfg.penalty == "kl":
        return KLPenalty(cfg.rho, cfg.beta)
    if cfg.penalty == "l1":
        return L1Penalty(cfg.l1)
    if cfg.penalty == "topk":
        return TopKPenalty()
    raise ValueError(f"unknown penalty {cfg.penalty!r}")


def recon_loss(kind: str, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean reconstruction loss over every pixel of the output ``sigmoid(logits)`` against
    ``x``: ``mse``, or ``bce`` (from the logits: stable where the output saturates)."""
    if kind == "mse":
        return F.mse_loss(torch.sigmoid(logits), x)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, x)
    raise ValueError(f"unknown reconstruction loss {kind!r}")


@dataclass
class LossTerms:
    total: torch.Tensor  # what training minimises (differentiable)
    recon: torch.Tensor  # mean reconstruction loss
    z: torch.Tensor  # the batch's latents


class Objective:
    """What training minimises: reconstruction loss + weight × sparsity penalty of the
    model's latents. The autograd backend calls it on every batch; a new mechanism's loss
    term belongs here (and its activation in ``model.latent_activation``)."""

    def __init__(self, cfg: TrainConfig):
        self.recon_kind = cfg.recon
        self.penalty = make_penalty(cfg)

    def __call__(self, model: SparseAutoencoder, x: torch.Tensor) -> LossTerms:
        z = model.encode(x)
        recon = recon_loss(self.recon_kind, model.decode_logits(z), x)
        return LossTerms(recon + self.penalty.loss(z), recon, z)
