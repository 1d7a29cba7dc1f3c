"""Hand-written gradients the fast step (``train_step.py``, ``train_step_auxk.py``) shares:
each writes into a preallocated buffer; the tests hold them against autograd."""

import torch
import torch.nn.functional as F

from sae_desktop.losses import RHO_HAT_MIN


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
