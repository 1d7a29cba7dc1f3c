"""One training step (forward, hand-written backward, fused Adam by layer) as a TorchScript module.

A step is ~40 ops on preallocated buffers. Called from Python, each op costs 3-4 µs of
interpreter and argument parsing (~130 µs per step on the 2-core CPU this was tuned on),
while the other OpenMP thread waits. Scripted, the very same ops run back to back from
C++: 6% less time per epoch there (paired A/B over 16 epochs), identical numerics (no
fusion or code generation happens; scripting takes milliseconds and needs no compiler).
That also makes it cheap to run Adam layer by layer, as soon as the backward pass is
done with the layer's weights and while its gradient is still in cache: 4% more (the two
small middle layers share one call).
TorchScript is deprecated and needs the ``.py`` sources (a frozen app lacks them), so if
scripting fails the same module runs as plain Python; tests run both.

Names follow the model: ``W_enc1 … b_dec2`` in :data:`sae_desktop.model.PARAM_NAMES`
order. Gradients are written by hand (tests compare every gradient with the autograd of
``losses.Objective``). Constant factors (ToTensor's 1/255, the loss's 2/n,
the penalty's β/B) ride on the matrix products' ``alpha``/``beta`` instead of costing a pass.
On the CPU the first layer's two products leave out the pixels blank in the whole batch
(exact: they add only zeros): a third of MNIST's, 3.5-7% of a step (paired chunks).
"""

import warnings
from typing import List

import torch
from torch import Tensor, nn

from sae_desktop.config import ModelConfig, TrainConfig
from sae_desktop.step_grads import kl_rho_grad_, recon_grad_
from sae_desktop.train_step_auxk import AuxKStep
from sae_desktop.train_step_sparse import SparseTopK, decodes_sparsely
from sae_desktop.trainer import ADAM_BETAS, ADAM_EPS

# The step's private torch API (the fused Adam kernel, ops with out= / grad_input= forms the
# public API lacks). Where any is missing or fails, the engine trains with the autograd
# backend instead (fast_trainer.fast_step_works; tests simulate their absence).
PRIVATE_TORCH_FUNCTIONS = ("_fused_adam_",)
PRIVATE_ATEN_OPS = ("logit_backward", "sigmoid_backward", "threshold_backward", "topk", "hardshrink")


def private_ops_present() -> bool:
    """Whether every private function and op the step calls exists in this torch."""
    return (all(hasattr(torch, name) for name in PRIVATE_TORCH_FUNCTIONS)
            and all(hasattr(torch.ops.aten, name) for name in PRIVATE_ATEN_OPS))


def skips_blank_pixels(device: torch.device) -> bool:
    """Whether the step's first layer leaves out blank pixels on ``device``: on the CPU only,
    as finding them (nonzero) makes a GPU wait for the host. The benchmark counts with it too."""
    return device.type == "cpu"


def runs_on_used_pixels(n_used: int, d_in: int) -> bool:
    """Whether the first layer runs on a batch's ``n_used`` non-blank pixels rather than all
    ``d_in``: when they are at most 7/8 of them (with more, gathering and scattering would
    cost more than the products save). The step's rule; the benchmark counts with it too."""
    return n_used > 0 and 8 * n_used <= 7 * d_in


class TrainStep(nn.Module):
    """The step for one batch size. Holds (aliases, never copies) the trainer's tensors."""

    adam: List[List[List[Tensor]]]
    rho_row: List[Tensor]
    recon_row: List[Tensor]
    extra_row: List[Tensor]
    x_used: List[Tensor]
    x_used_T: List[Tensor]
    W_enc1_used: List[Tensor]
    G_enc1_used: List[Tensor]
    arange: List[Tensor]

    def __init__(self, batch: int, cfg: TrainConfig, model_cfg: ModelConfig, train_u8: Tensor,
                 params: List[Tensor], grads: List[Tensor], rho_rows: Tensor, recon_rows: Tensor, extra_rows: Tensor,
                 adam: List[List[List[Tensor]]], since_fired: Tensor, dead_after: float, auxk_reading: Tensor):
        """``adam``: for the first layer, the two middle ones and the last, the fused Adam
        kernel's six tensor lists (parameters, gradients, exp_avg, exp_avg_sq, [], step);
        ``since_fired``, ``dead_after``, ``auxk_reading``: the objective's count of images since
        each latent fired, the count from which it is dead, and which are (for AuxK)."""
        super().__init__()
        device, mc = train_u8.device, model_cfg

        def empty(*shape: int, dtype: torch.dtype = torch.float32) -> Tensor:
            return torch.empty(*shape, device=device, dtype=dtype)

        self.latent, self.k, self.penalty, self.recon = mc.latent, mc.k, cfg.penalty, cfg.recon
        # 0-d tensors, not Python numbers: a number is wrapped in a tensor and converted on every call
        self.rho, self.one = torch.full((), float(cfg.rho), device=device), torch.ones((), device=device)
        # ∂(penalty)/∂z_ij = coef · row_j: β/B for KL; for L1, coefficient / (B · d_latent) on a row of ones
        self.penalty_coef = float(cfg.beta) / batch if cfg.penalty == "kl" else float(cfg.l1) / (batch * mc.d_latent)
        self.train_u8, self.P, self.G, self.adam = train_u8, params, grads, adam
        self.betas, self.adam_eps = ADAM_BETAS, ADAM_EPS
        # Pixel-major [784, B] images, output and output gradient: each product that writes a
        # 784-wide block then writes it tall, which MKL runs ~1.6× faster than wide (measured
        # on the 2-core CPU; see also STORED_TRANSPOSED in trainer.py).
        self.x_u8, self.x_t = empty(batch, mc.d_in, dtype=torch.uint8), empty(mc.d_in, batch)
        self.mean_weights = torch.full((batch,), 1.0 / batch, device=device)  # ρ̂ = zᵀ·(1/B): one GEMV
        self.ones = torch.ones(batch, device=device)
        self.h1, self.z, self.h2 = empty(batch, mc.d_hidden), empty(batch, mc.d_latent), empty(batch, mc.d_hidden)
        self.y_t = empty(mc.d_in, batch)
        self.logits_t = empty(mc.d_in, batch) if cfg.recon == "bce" else self.y_t  # mse never needs logits again
        self.d_out_t, self.d_h2 = empty(mc.d_in, batch), empty(batch, mc.d_hidden)
        self.d_z, self.d_h1 = empty(batch, mc.d_latent), empty(batch, mc.d_hidden)
        self.penalty_row = torch.ones(mc.d_latent, device=device)  # stays ones for L1
        self.scratch = empty(mc.d_latent)
        self.top_vals, self.top_idx = empty(batch, mc.k), empty(batch, mc.k, dtype=torch.int64)
        self.aux = AuxKStep(cfg, batch, mc.d_in, mc.d_hidden, since_fired, dead_after, auxk_reading, device)
        # a wide top-k dictionary: its code's products on the kept latents (train_step_sparse.py)
        self.sparse_on = decodes_sparsely(mc.d_latent, mc.k, mc.latent, device.type)
        self.sparse = SparseTopK(self.sparse_on, batch, mc.k, mc.d_hidden, device)
        self.W_dec1_rows, self.G_dec1_rows = params[4].t(), grads[4].t()
        # Every view the step reads, made once: each .t(), select or unsqueeze is a dispatcher
        # call of 1-2 µs, ~30 of them per step.
        self.x_u8_T, self.x_rows, self.d_out_rows = self.x_u8.t(), self.x_t.t(), self.d_out_t.t()
        self.d_out_flat = self.d_out_t.view(-1)
        self.z_T, self.h2_T, self.d_h2_T, self.d_z_T = self.z.t(), self.h2.t(), self.d_h2.t(), self.d_z.t()
        self.W_enc1_T, self.W_enc2_T, self.W_dec1_T = params[0].t(), params[2].t(), params[4].t()
        self.b_dec2_col, self.G_enc1_T = params[7].unsqueeze(1), grads[0].t()
        self.rho_row, self.recon_row = list(rho_rows.unbind(0)), list(recon_rows.unbind(0))
        self.extra_row = list(extra_rows.unbind(0))  # AuxK's weighted term (the step's only extra), or 0
        # Blank pixels (see the module docstring): the first layer's two products (x·W_enc1ᵀ and
        # the gradient xᵀ·d_h1) run on the pixels in use only, ~520 of 784 in MNIST batches of 128,
        # their rows of W_enc1 gathered and the gradient scattered back: a third less time.
        self.skip_blank = skips_blank_pixels(device)
        self.pixel_max = empty(mc.d_in, dtype=torch.uint8)
        self.all_pixels = empty(0, dtype=torch.int64)  # "no skipping": use every pixel
        self.source_row = empty(mc.d_in, dtype=torch.int64)  # row of the compact gradient each pixel takes
        self.G_enc1_compact = torch.zeros(mc.d_in + 1, mc.d_hidden, device=device)  # its last row stays 0
        # The compact buffers' first n rows, for every n, as views made once like those above
        # (0.35% of a step: five dispatcher calls; ~10 ms to build)
        n_views = mc.d_in + 1 if self.skip_blank else 0
        x_used, W_used = empty(mc.d_in, batch), empty(mc.d_in, mc.d_hidden)
        arange = torch.arange(mc.d_in, device=device)
        self.x_used = [x_used[:n] for n in range(n_views)]
        self.x_used_T = [v.t() for v in self.x_used]
        self.W_enc1_used = [W_used[:n] for n in range(n_views)]
        self.G_enc1_used = [self.G_enc1_compact[:n] for n in range(n_views)]
        self.arange = [arange[:n] for n in range(n_views)]

    def forward(self, idx: Tensor, row: int, lr: float) -> None:
        """One step on training images ``idx``; ρ̂ and the summed loss go to record ``row``.
        Each layer's Adam update runs as soon as the backward pass is done with its weights."""
        G = self.G
        _, b_enc1, W_enc2, b_enc2, W_dec1, b_dec1, W_dec2, _ = self.P  # W_enc1, b_dec2: see the views above
        z, h1, h2, d_out_t, d_h2, d_h1 = self.z, self.h1, self.h2, self.d_out_t, self.d_h2, self.d_h1
        torch.index_select(self.train_u8, 0, idx, out=self.x_u8)
        self.x_t.copy_(self.x_u8_T)  # pixels stay 0-255; the 1/255 of ToTensor rides on the products that read x
        # forward
        used = self._pixels_in_use()
        n_used = used.size(0)
        if n_used > 0:
            W_used = self.W_enc1_used[n_used]
            torch.index_select(self.x_t, 0, used, out=self.x_used[n_used])
            torch.index_select(self.W_enc1_T, 0, used, out=W_used)
            torch.addmm(b_enc1, self.x_used_T[n_used], W_used, alpha=1.0 / 255, out=h1)
        else:
            torch.addmm(b_enc1, self.x_rows, self.W_enc1_T, alpha=1.0 / 255, out=h1)
        h1.relu_()
        torch.addmm(b_enc2, h1, self.W_enc2_T, out=z)
        if self.latent == "sigmoid":
            z.sigmoid_()
        else:
            z.relu_()
            if self.latent == "topk" and self.k < z.size(1):
                torch.ops.aten.topk(z, self.k, 1, True, True, values=self.top_vals, indices=self.top_idx)
                z.zero_().scatter_(1, self.top_idx, self.top_vals)
        rho_hat = torch.mv(self.z_T, self.mean_weights, out=self.rho_row[row])
        if self.aux.on:  # AuxK reads the decoder's pre-activation
            self.aux.count_firing(z)
            self._decode(z, b_dec1, self.aux.decoder_pre)
            torch.clamp_min(self.aux.decoder_pre, 0.0, out=h2)
        else:
            self._decode(z, b_dec1, h2)
            h2.relu_()
        torch.addmm(self.b_dec2_col, W_dec2, self.h2_T, out=self.logits_t)
        if self.recon == "mse":
            self.y_t.sigmoid_()  # y is logits for mse
        else:
            torch.sigmoid(self.logits_t, out=self.y_t)
        # backward: decoder; d_out holds the output gradient divided by `scale`
        scale = recon_grad_(self.recon, self.logits_t, self.y_t, self.x_t, d_out_t, self.d_out_flat,
                            self.recon_row[row], 1.0 / 255)
        if self.aux.on:  # before Adam updates the output layer, which the term reads
            self.aux(h1, W_enc2, b_enc2, W_dec1, W_dec2, self.b_dec2_col, self.x_t, self.recon_row[row], self.recon,
                     self.extra_row[row])
        G[6].addmm_(d_out_t, h2, beta=0.0, alpha=scale)
        G[7].addmv_(d_out_t, self.ones, beta=0.0, alpha=scale)
        torch.addmm(d_h2, self.d_out_rows, W_dec2, beta=0.0, alpha=scale, out=d_h2)
        self.adam[0][5][0].add_(self.one)  # the step count, shared by all layers
        self._adam(2, lr)  # the last layer
        torch.ops.aten.threshold_backward(d_h2, h2, 0.0, grad_input=d_h2)
        torch.sum(d_h2, 0, out=G[5])
        if self.sparse_on:  # the middle layers' gradients on the kept latents (no penalty: top-k)
            self.sparse.backward(self.top_vals, self.top_idx, h1, d_h2, W_enc2, self.G_dec1_rows, G[2], G[3], d_h1)
        else:
            self._middle_backward(h1, z, rho_hat)
        if self.aux.on:
            self.aux.add_grads(h1, G)
        self._adam(1, lr)  # the two middle layers: W_dec1 and W_enc2 are no longer needed
        torch.ops.aten.threshold_backward(d_h1, h1, 0.0, grad_input=d_h1)
        if n_used > 0:
            self.G_enc1_used[n_used].addmm_(self.x_used[n_used], d_h1, beta=0.0, alpha=1.0 / 255)
            # scatter as a gather: each pixel's row reads its row of the compact gradient, a blank pixel the zero row
            self.source_row.fill_(self.source_row.size(0))
            self.source_row.index_copy_(0, used, self.arange[n_used])
            torch.index_select(self.G_enc1_compact, 0, self.source_row, out=self.G_enc1_T)
        else:
            self.G_enc1_T.addmm_(self.x_t, d_h1, beta=0.0, alpha=1.0 / 255)  # tall in memory: see STORED_TRANSPOSED
        torch.sum(d_h1, 0, out=G[1])
        self._adam(0, lr)  # the first layer

    def _decode(self, z: Tensor, b_dec1: Tensor, out: Tensor) -> None:
        """The decoder's first layer, before its ReLU, into ``out``."""
        if self.sparse_on:
            self.sparse(self.top_vals, self.top_idx, b_dec1, self.W_dec1_rows, out)
        else:
            torch.addmm(b_dec1, z, self.W_dec1_T, out=out)

    def _middle_backward(self, h1: Tensor, z: Tensor, rho_hat: Tensor) -> None:
        """From the decoder's hidden gradient: W_dec1's, the latent's (the decoder's plus the
        penalty's, a row broadcast over the batch), the encoder's second layer's, and its input's."""
        G, d_h2, d_z, W_dec1, W_enc2 = self.G, self.d_h2, self.d_z, self.P[4], self.P[2]
        torch.mm(self.d_h2_T, z, out=G[4])
        if self.penalty == "kl":
            kl_rho_grad_(rho_hat, self.rho, self.penalty_row, self.scratch)
        if self.penalty == "topk":
            torch.mm(d_h2, W_dec1, out=d_z)
        else:
            torch.addmm(self.penalty_row, d_h2, W_dec1, beta=self.penalty_coef, out=d_z)
        if self.latent == "sigmoid":
            torch.ops.aten.sigmoid_backward(d_z, z, grad_input=d_z)
        else:  # ReLU and top-k pass gradient exactly where the latent is positive
            torch.ops.aten.threshold_backward(d_z, z, 0.0, grad_input=d_z)
        torch.mm(self.d_z_T, h1, out=G[2])
        torch.sum(d_z, 0, out=G[3])
        torch.mm(d_z, W_enc2, out=self.d_h1)

    @torch.jit.export
    def run(self, idx: Tensor, first_row: int, lrs: List[float]) -> None:
        """``len(lrs)`` steps on consecutive batches of ``idx``, recorded in rows ``first_row``
        on: one call from Python per report instead of one per step."""
        batch = self.x_u8.size(0)
        for i in range(len(lrs)):
            self.forward(idx[i * batch:(i + 1) * batch], first_row + i, lrs[i])

    def _pixels_in_use(self) -> Tensor:
        """Index of the pixels not blank in the batch, or an empty index for "use them all"
        (when skipping is off, or would not pay)."""
        if not self.skip_blank:
            return self.all_pixels
        torch.amax(self.x_u8, 0, out=self.pixel_max)  # on uint8: 20× faster than any()
        used = torch.nonzero(self.pixel_max).view(-1)
        return used if runs_on_used_pixels(used.size(0), self.pixel_max.size(0)) else self.all_pixels

    def _adam(self, group: int, lr: float) -> None:
        # The lists are attributes on purpose: given lists built in place, TorchScript
        # removes the call as free of side effects.
        a = self.adam[group]
        torch._fused_adam_(a[0], a[1], a[2], a[3], a[4], a[5], lr=lr, beta1=self.betas[0], beta2=self.betas[1],
                           weight_decay=0.0, eps=self.adam_eps, amsgrad=False, maximize=False)


def build_step(*args, script: bool = True, **kwargs) -> tuple[nn.Module, bool]:
    """A :class:`TrainStep`, scripted when asked and TorchScript can (second value: whether it is)."""
    step = TrainStep(*args, **kwargs)
    if not script:
        return step, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "torch.jit.script is deprecated": handled by the fallback
            return torch.jit.script(step), True
    except Exception:  # noqa: BLE001 - any failure to script means: run the same code as Python
        return step, False
