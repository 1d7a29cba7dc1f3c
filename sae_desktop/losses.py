"""Reconstruction losses, sparsity penalties and the training objective, defined once.

They are plain differentiable PyTorch: the autograd backend (``trainer.py``) trains on
:class:`Objective` as written, and the tests hold the fast step's hand-written gradients
(``train_step.py``) against it.

Reported values: ``losses/recon`` is the reconstruction loss; ``losses/sparsity`` is the
*unweighted* penalty (Σ KL for kl, mean |z| for l1, the mean number of active latents for
jumprelu, 0 for topk and batchtopk), as the tutorial prints it; ``losses/total`` is the quantity
minimised: recon + weight × sparsity + the other weighted terms (:attr:`LossTerms.extra`: AuxK's,
when on, which revives dead latents, and JumpReLU's pre-activation loss). (It left them out, and
with AuxK the window drew "total" over "reconstruction" as one line, for a loss nearly twice it.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from sae_desktop import architecture
from sae_desktop.config import AUXK_DEAD_AFTER, JUMPRELU_PRE_ACT, RHO_HAT_MIN, TOPK_PENALTIES, TrainConfig
from sae_desktop.model import TORCH, SparseAutoencoder, jump_step


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
    from_rho = True  # value() needs only the batch means ρ̂ (else the trainer records raw() per step)

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


class L0Penalty(SparsityPenalty):
    """JumpReLU's: coefficient × mean number of active latents per image. Its gradient reaches
    the thresholds and the pre-activations through the step's straight-through estimator
    (``model.jump_step``). With the pre-activations pushed down, a latent whose pre-activation
    falls below θ on every input would get no gradient again: :meth:`pre_act` (Anthropic's
    pre-activation loss, ``JUMPRELU_PRE_ACT`` × Σ_j ReLU(θ_j − pre_j)·‖decoder column j‖)
    pulls the ones below their threshold back up."""

    name = "jumprelu"
    from_rho = False

    def __init__(self, coefficient: float):
        self.weight = coefficient

    def raw(self, z):
        raise NotImplementedError("the L0 penalty needs the pre-activations: see Objective")

    def of_pre(self, pre: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        return jump_step(pre, theta).sum(dim=-1).mean()

    @staticmethod
    def pre_act(pre: torch.Tensor, theta: torch.Tensor, decoder_norms: torch.Tensor) -> torch.Tensor:
        """The weighted pre-activation loss (see the class docstring), a mean over the batch."""
        return JUMPRELU_PRE_ACT * (torch.relu(theta - pre) * decoder_norms).sum(dim=-1).mean()


def make_penalty(cfg: TrainConfig) -> SparsityPenalty:
    if cfg.penalty == "kl":
        return KLPenalty(cfg.rho, cfg.beta)
    if cfg.penalty == "l1":
        return L1Penalty(cfg.l1)
    if cfg.penalty in TOPK_PENALTIES:
        return TopKPenalty()
    if cfg.penalty == "jumprelu":
        return L0Penalty(cfg.l0_coeff)
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
    sparsity: torch.Tensor | None = None  # the unweighted penalty, where it is not a function of ρ̂
    aux: torch.Tensor | None = None  # the AuxK loss (unweighted), when on
    extra: torch.Tensor | None = None  # total's weighted terms beyond recon + weight × sparsity (AuxK's, pre-act)


def auxk_latents(pre: torch.Tensor, dead: torch.Tensor, k_aux: int) -> torch.Tensor:
    """AuxK's code (Gao et al., 2024): softplus of each row's ``k_aux`` largest pre-activations
    among the dead latents (``dead``: bool over ``pre``'s columns), the rest 0.

    The reference trainers (OpenAI's, dictionary_learning's) take the ReLU, which suits their
    wide linear encoders, where a dead latent still has positive pre-activations that lose the
    top-k. Here (an MLP encoder) a latent dies with its pre-activation negative on every
    input: rectified, it gets no gradient from the aux loss at all. Softplus is positive, like
    the code the latent will write once it fires (an unrectified, negative code taught the
    decoder columns the opposite direction: 1024 latents, TopK k=16, test MSE 0.0124 against
    0.0120 without AuxK), and its gradient never vanishes, so it lifts the pre-activations
    where the residual needs the latent. A live latent is never picked (-inf, softplus 0)."""
    candidates = torch.where(dead, pre, torch.full_like(pre, float("-inf")))
    keep = torch.topk(candidates, min(k_aux, pre.shape[-1]), dim=-1).indices
    return torch.zeros_like(pre).scatter_(-1, keep, F.softplus(candidates.gather(-1, keep)))


DEAD_REFRESH = 16  # steps between two readings of which latents are dead (a device sync each)


def auxk_width(cfg: TrainConfig) -> int:
    """``k_aux``, the number of dead latents in AuxK's code (see :class:`Objective`)."""
    return max(min(cfg.d_hidden, cfg.d_latent // 2), 1)


class Objective:
    """What training minimises: reconstruction loss + weight × sparsity penalty of the
    model's latents (+ AuxK's term for top-k latents, when on). The autograd backend calls it
    on every batch; a new mechanism's loss term belongs here (and its activation in
    ``model.SparseAutoencoder.activate``).

    AuxK: the dead latents (not active in the last :attr:`dead_after` training images, counted
    here) reconstruct what the live ones missed: the decoder is run on the live code (held
    fixed) plus the ``k_aux`` largest dead latents (:func:`auxk_latents`), and its error,
    divided by the live code's own (a ratio of the batch's means, where the reference averages each
    image's ratio to its own residual's size: close, not equal; the term is ~1 whatever the loss's
    scale), is added with weight ``auxk``. Only the dead latents
    learn from it (their encoder rows and biases, their decoder columns), as in the reference,
    whose decoder is linear: the shared layers (the encoder's first, the decoder's second) and
    the live latents' columns are held fixed, so the term never trades the live code's
    reconstruction for the dead latents' (it is also cheap: its products cover the dead
    latents only).

    ``k_aux`` is the width the dead latents write into, the decoder's hidden layer, and at
    most half the dictionary: 16 at 32 latents, 128 at 1024. Measured at 1024 latents, TopK
    k=16, AuxK 1/32, 10 epochs (seeds 0, 1): 36 and 58 dead, test MSE 0.01125 and 0.01142,
    against 938 and 926 dead, 0.0121 and 0.0120 without AuxK; with k_aux 64, 88 and 124
    dead; without the division, 575 dead."""

    def __init__(self, cfg: TrainConfig, dead_after: int = AUXK_DEAD_AFTER):
        self.recon_kind = cfg.recon
        self.penalty = make_penalty(cfg)
        self.auxk = cfg.auxk if cfg.penalty in TOPK_PENALTIES else 0.0
        self.k_aux = auxk_width(cfg)
        self.dead_after = dead_after
        self.images_since_fired = torch.zeros(cfg.d_latent)
        self.active_above = cfg.model_config().active_threshold  # (a sigmoid latent is never 0: 0.1)
        self.calls = 0
        self.dead_index = torch.zeros(0, dtype=torch.long)  # the latents dead at the last reading

    def dead(self) -> torch.Tensor:
        """Latents not active on any of the last ``dead_after`` training images."""
        return self.images_since_fired >= self.dead_after

    def reading(self) -> torch.Tensor:
        """AuxK's last reading of the dead latents as the fast step holds it (int64, ``2 + d_latent``, on the CPU):
        the steps since the first reading (modulo :data:`DEAD_REFRESH`: the readings' cadence), how many latents
        were dead, which (checkpoints store it, with the count, so that a resumed run reads as one never stopped)."""
        out = torch.zeros(2 + self.images_since_fired.numel(), dtype=torch.int64)
        out[0], out[1] = self.calls % DEAD_REFRESH, self.dead_index.numel()
        out[2:2 + self.dead_index.numel()] = self.dead_index.cpu()
        return out

    def read_from(self, reading: torch.Tensor) -> None:
        """Take up :meth:`reading`'s state."""
        reading = reading.reshape(-1).to("cpu", torch.int64)
        self.calls = int(reading[0])
        self.dead_index = reading[2:2 + int(reading[1])].clone().to(self.images_since_fired.device)

    @torch.no_grad()
    def count_firing(self, z: torch.Tensor) -> None:
        if self.images_since_fired.device != z.device:
            self.images_since_fired = self.images_since_fired.to(z.device)
            self.dead_index = self.dead_index.to(z.device)  # (read from a checkpoint on the CPU)
        # fired: active, as L0 and the test set's dead latents count it (above 0, a sigmoid latent always
        # was: with KL, resampling found no latent dead, ever)
        fired = architecture.active(z, self.active_above).any(dim=0)
        self.images_since_fired.add_(z.shape[0]).masked_fill_(fired, 0)

    def __call__(self, model: SparseAutoencoder, x: torch.Tensor) -> LossTerms:
        params = model.params
        h = architecture.hidden(params, x, TORCH)
        pre = architecture.latent_pre(params, h, TORCH)
        z = model.activate(pre, batch=True)
        self.count_firing(z)
        decoder_pre = architecture.decoder_pre(params, z, TORCH)
        recon = recon_loss(self.recon_kind, architecture.logits_from_decoder_pre(params, decoder_pre, TORCH), x)
        extra = None
        if isinstance(self.penalty, L0Penalty):
            theta = model.thresholds
            sparsity = self.penalty.of_pre(pre, theta)
            extra = self.penalty.pre_act(pre, theta, model.W_dec1.norm(dim=0))
            total = recon + self.penalty.weight * sparsity + extra
        else:
            sparsity, total = None, recon + self.penalty.loss(z)
        if model.cfg.latent == "batchtopk":
            update_batchtopk_threshold(model, z)
        aux = None
        if self.auxk > 0:
            if self.calls % DEAD_REFRESH == 0:
                self.dead_index = torch.nonzero(self.dead()).flatten()
            self.calls += 1
            if self.dead_index.numel():
                aux = self.auxk_loss(params, h, decoder_pre, x, recon)
                total = total + self.auxk * aux
                extra = self.auxk * aux if extra is None else extra + self.auxk * aux
        return LossTerms(total, recon, z, sparsity, aux, extra)

    def auxk_loss(self, params: dict, h: torch.Tensor, decoder_pre: torch.Tensor, x: torch.Tensor,
                  live: torch.Tensor) -> torch.Tensor:
        """AuxK's normalised reconstruction loss (see the class docstring) over the latents dead at
        the last reading that are still dead now (a revived one leaves the term at once); ``live``:
        the live code's reconstruction loss."""
        index = self.dead_index
        dead_rows = {"W_enc2": params["W_enc2"][index], "b_enc2": params["b_enc2"][index]}
        z_aux = auxk_latents(architecture.latent_pre(dead_rows, h.detach(), TORCH), self.dead()[index], self.k_aux)
        fixed = {"W_dec2": params["W_dec2"].detach(), "b_dec2": params["b_dec2"].detach()}
        pre = decoder_pre.detach() + F.linear(z_aux, params["W_dec1"][:, index])
        with_dead = recon_loss(self.recon_kind, architecture.logits_from_decoder_pre(fixed, pre, TORCH), x)
        return with_dead / live.detach().clamp_min(torch.finfo(live.dtype).tiny)


THRESHOLD_DECAY = 0.99  # BatchTopK's threshold: an exponential average over ~100 steps


@torch.no_grad()
def update_batchtopk_threshold(model: SparseAutoencoder, z: torch.Tensor) -> None:
    """BatchTopK's inference threshold (Bussmann et al., 2024): a running average of the
    smallest activation the batch kept; the first batch sets it. No host sync."""
    smallest = torch.where(z > 0, z, torch.full_like(z, float("inf"))).min()
    theta = model.threshold
    new = torch.where(theta > 0, THRESHOLD_DECAY * theta + (1 - THRESHOLD_DECAY) * smallest, smallest)
    theta.copy_(torch.where(torch.isfinite(smallest), new, theta))
