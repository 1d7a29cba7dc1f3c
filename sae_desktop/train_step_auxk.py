"""AuxK in the fast step: ``losses.Objective``'s AuxK term with its gradient written by hand.

The step (``train_step.TrainStep``) calls :meth:`AuxKStep.forward` once the output layer's
gradient is known and before Adam updates that layer (the term reads its weights), and
:meth:`AuxKStep.add_grads` once the main gradients of the middle layers are written and before
Adam updates them. Everything follows :class:`~sae_desktop.losses.Objective` to the float:
which latents are dead (counted per batch, read every ``DEAD_REFRESH`` steps, those revived
since left out), the code (softplus of the ``k_aux`` largest dead pre-activations), the
decoder run on the live code plus it, the error divided by the live code's, and the weight.
Its gradient reaches only the dead latents' encoder rows and biases and their decoder
columns; the tests hold every gradient against autograd on the Objective.

The dead latents change from reading to reading, so the products over them allocate (a few
KB to ~0.5 MB); once they are revived, the term costs the output layer run once more.
"""

from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sae_desktop.losses import DEAD_REFRESH, auxk_width
from sae_desktop.step_grads import recon_grad_
from sae_desktop.trainer import SMALLEST_NORMAL  # float32's: the live loss is divided by at least this


class AuxKStep(nn.Module):
    """Holds (aliases) the step's tensors it reads; ``since_fired`` is the trainer's
    ``objective.images_since_fired``, so both backends keep the same count."""

    def __init__(self, cfg, batch: int, d_in: int, d_hidden: int, since_fired: Tensor, dead_after: float,
                 reading: Tensor, device: torch.device):
        """``reading``: int64 ``[2 + d_latent]`` shared by the trainer's step modules (one per
        batch size): the steps run so far, the number of latents dead at the last reading, and
        their indices; so the readings follow the Objective's cadence whatever the batch size."""
        super().__init__()
        self.on = cfg.auxk > 0 and cfg.penalty == "topk"
        self.weight, self.k_aux, self.dead_after = float(cfg.auxk), auxk_width(cfg), float(dead_after)
        rows, n_in = (batch, d_in) if self.on else (0, 0)
        self.since_fired, self.batch = since_fired, float(batch)
        # attributes, as TorchScript reads no globals
        self.refresh, self.smallest = DEAD_REFRESH, float(SMALLEST_NORMAL)
        self.reading = reading
        self.z_max = torch.empty(since_fired.numel() if self.on else 0, device=device)
        self.decoder_pre = torch.empty(rows, d_hidden, device=device)
        self.h2, self.d_h2 = torch.empty(rows, d_hidden, device=device), torch.empty(rows, d_hidden, device=device)
        self.y_t, self.d_out_t = torch.empty(n_in, rows, device=device), torch.empty(n_in, rows, device=device)
        self.logits_t = torch.empty(n_in, rows, device=device) if cfg.recon == "bce" else self.y_t
        self.record = torch.zeros((), device=device)
        self.h2_T, self.d_out_rows, self.d_out_flat = self.h2.t(), self.d_out_t.t(), self.d_out_t.view(-1)
        # for add_grads: this step's dead latents, their code and their pre-activations' picks
        self.no_picks = torch.zeros(0, dtype=torch.int64, device=device)  # (all picked)
        self.index, self.z_aux, self.picks, self.values = self.no_picks, self.z_max, self.no_picks, self.z_max
        self.columns = self.decoder_pre
        self.active = False

    def count_firing(self, z: Tensor) -> None:
        """After the top-k: each latent's images since it last fired (Objective.count_firing)."""
        torch.amax(z, 0, out=self.z_max)
        self.since_fired.add_(self.batch).masked_fill_(self.z_max > 0, 0.0)

    def forward(self, h1: Tensor, W_enc2: Tensor, b_enc2: Tensor, W_dec1: Tensor, W_dec2: Tensor,
                b_dec2_col: Tensor, x_t: Tensor, live_record: Tensor, recon: str, extra: Tensor) -> None:
        """The term's forward pass and its gradient down to the decoder's hidden layer; its
        weighted value into ``extra`` (the report's: 0 when no latent is dead)."""
        reading = self.reading
        if int(reading[0]) % self.refresh == 0:
            dead = torch.nonzero(self.since_fired >= self.dead_after).view(-1)
            reading[1] = dead.numel()
            reading[2:2 + dead.numel()].copy_(dead)
        reading[0] += 1
        index = reading[2:2 + int(reading[1])]
        self.active = index.numel() > 0
        if not self.active:
            extra.zero_()
            return
        pre = torch.addmm(b_enc2.index_select(0, index), h1, W_enc2.index_select(0, index).t())
        pre.masked_fill_(self.since_fired.index_select(0, index) < self.dead_after, float("-inf"))
        if self.k_aux < index.numel():  # the k_aux largest per image; else all of them (no sort)
            values, picks = torch.topk(pre, self.k_aux, 1)
            z_aux = torch.zeros_like(pre).scatter_(1, picks, F.softplus(values))
        else:
            values, picks, z_aux = pre, self.no_picks, F.softplus(pre)
        columns = W_dec1.t().index_select(0, index)  # as rows: contiguous where W_dec1 is stored transposed
        torch.addmm(self.decoder_pre, z_aux, columns, out=self.h2).relu_()
        torch.addmm(b_dec2_col, W_dec2, self.h2_T, out=self.logits_t)
        if recon == "mse":
            self.y_t.sigmoid_()
        else:
            torch.sigmoid(self.logits_t, out=self.y_t)
        scale = recon_grad_(recon, self.logits_t, self.y_t, x_t, self.d_out_t, self.d_out_flat, self.record, 1.0 / 255)
        n = float(x_t.numel())
        live = max(float(live_record) / n, self.smallest)  # the live code's loss (record: loss × n)
        torch.mul(self.record, self.weight / (n * live), out=extra)  # weight × (loss with the dead) / live
        torch.mm(self.d_out_rows, W_dec2, out=self.d_h2)
        self.d_h2.mul_(scale * self.weight / live)
        torch.ops.aten.threshold_backward(self.d_h2, self.h2, 0.0, grad_input=self.d_h2)
        self.index, self.z_aux, self.picks, self.values, self.columns = index, z_aux, picks, values, columns

    @torch.jit.export
    def add_grads(self, h1: Tensor, grads: List[Tensor]) -> None:
        """Add the term's gradients to the dead latents' encoder rows, biases and decoder columns."""
        if not self.active:
            return
        index = self.index
        grads[4].t().index_add_(0, index, torch.mm(self.z_aux.t(), self.d_h2))
        d_code = torch.mm(self.d_h2, self.columns.t())
        if self.picks.numel() > 0:
            d_code = d_code.gather(1, self.picks)
        d_code.mul_(torch.sigmoid(self.values))  # softplus' derivative
        d_pre = torch.zeros_like(self.z_aux).scatter_(1, self.picks, d_code) if self.picks.numel() > 0 else d_code
        grads[2].index_add_(0, index, torch.mm(d_pre.t(), h1))
        grads[3].index_add_(0, index, d_pre.sum(0))
