"""Training-time mechanisms that act on the weights between steps rather than through the
loss: unit-norm decoder columns, and resampling of dead latents. Used by the autograd
backend (``trainer.AutogradTrainer``); the loss-side ones (AuxK, JumpReLU's L0, BatchTopK's
threshold) live in ``losses.py``.

**Unit-norm decoder columns.** Latent j writes into the decoder through column j of
``W_dec1``. With a norm constraint an L1 penalty cannot be dodged by shrinking a latent and
growing its column. As the reference trainers do: the gradient's component along each
column is removed before the step (:func:`project_decoder_grad`), and the columns are
renormalised after it (:func:`normalise_decoder`).

**Resampling** (Bricken et al., 2023, for L1-style penalties): every half epoch, in the first
70 % of training, each latent that has not fired in that time is re-initialised towards a
training image the model reconstructs badly (drawn with probability ∝ its loss²): its
encoder row points at that image's hidden activations (at 0.2× the live rows' mean norm),
its decoder column along the direction that most reduces that image's error (at the live
columns' mean norm), its bias is the live latents' median, a JumpReLU latent's threshold its
starting one, and Adam's moments of all these are reset to 0 so stale statistics do not throw
them straight back.
"""

from __future__ import annotations

import math

import torch

from sae_desktop.config import JUMPRELU_THRESHOLD_INIT
from sae_desktop.model import SparseAutoencoder

RESAMPLE_UNTIL = 0.7  # of training: later resamples would not have time to learn
RESAMPLE_POOL = 4096  # training images scored to pick the badly reconstructed ones
ENCODER_SCALE = 0.2


@torch.no_grad()
def normalise_decoder(model: SparseAutoencoder) -> None:
    w = model.W_dec1  # [hidden, latent]: column j is latent j's
    w.div_(w.norm(dim=0, keepdim=True).clamp_min(1e-12))


@torch.no_grad()
def project_decoder_grad(model: SparseAutoencoder) -> None:
    """Remove from W_dec1's gradient its component along each (unit) column."""
    w, g = model.W_dec1, model.W_dec1.grad
    if g is not None:
        g.sub_(w * (w * g).sum(dim=0, keepdim=True))


def resample_dead(model: SparseAutoencoder, optimizer: torch.optim.Optimizer, dead: torch.Tensor,
                  images_u8: torch.Tensor, generator: torch.Generator, recon_kind: str = "mse") -> int:
    """Re-initialise the latents where ``dead`` (see the module docstring); return how many."""
    from sae_desktop.losses import recon_loss

    index = torch.nonzero(dead).flatten()
    n = int(index.numel())
    if n == 0 or n == dead.numel():
        return 0
    pool = torch.randint(0, images_u8.shape[0], (min(RESAMPLE_POOL, images_u8.shape[0]),), generator=generator)
    x = images_u8[pool.to(images_u8.device)].to(torch.float32).div_(255.0)
    with torch.no_grad():
        z = model.encode(x)
        logits = model.decode_logits(z)
        err = ((torch.sigmoid(logits) - x).square() if recon_kind == "mse" else
               torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")).mean(dim=1)
    weights = err.square().cpu().double() + 1e-12
    chosen = x[torch.multinomial(weights, n, replacement=n > len(x), generator=generator).to(x.device)]
    # the decoder direction that most reduces each chosen image's error, in W_dec1's column space
    h_pre = torch.nn.functional.linear(model.encode(chosen).detach(), model.W_dec1, model.b_dec1).detach()
    h_pre.requires_grad_(True)
    out = torch.nn.functional.linear(torch.relu(h_pre), model.W_dec2, model.b_dec2)
    recon_loss(recon_kind, out, chosen).backward(inputs=[h_pre])
    direction = -h_pre.grad
    with torch.no_grad():
        h_enc = torch.relu(torch.nn.functional.linear(chosen, model.W_enc1, model.b_enc1))
        alive = ~dead
        enc_norm = model.W_enc2[alive].norm(dim=1).mean()
        dec_norm = model.W_dec1[:, alive].norm(dim=0).mean()
        model.W_enc2[index] = h_enc / h_enc.norm(dim=1, keepdim=True).clamp_min(1e-12) * enc_norm * ENCODER_SCALE
        model.b_enc2[index] = model.b_enc2[alive].median()
        model.W_dec1[:, index] = (direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-12)).T * dec_norm
        resets = [model.W_enc2, model.b_enc2]
        if model.cfg.latent == "jumprelu":  # (a threshold grown above every pre-activation kept it dead)
            model.log_threshold[index] = math.log(JUMPRELU_THRESHOLD_INIT)
            resets.append(model.log_threshold)
        for p in resets:
            state = optimizer.state[p]
            state["exp_avg"][index] = 0
            state["exp_avg_sq"][index] = 0
        state = optimizer.state[model.W_dec1]
        state["exp_avg"][:, index] = 0
        state["exp_avg_sq"][:, index] = 0
    return n
