"""The wide TopK dictionary's middle layers in the fast step, on the kept latents only.

With ``k`` of ``d_latent`` latents kept per image, the top-k code is a sparse matrix: every
product the step takes with it (the decoder's first layer forward; that layer's gradient; the
gradient reaching the kept latents, and through them the encoder's second layer and its
input) needs only the B·k kept entries, not the B × d_latent dense code. At 1024 latents and
k = 16 these five dense products were 45 % of a step on the 2-core CPU; gathered and
scattered, they cost a fifth of that (``benchmarks/wide_auxk.py`` times both). Only the
encoder's product that picks the top k stays dense. The gathers and scatters grow with B·k,
the dense products with d_latent: at 512 latents (k = 16) or 1024 with k = 32 they are even,
at 1024 with k = 64 the dense products win.

:func:`decodes_sparsely` is the rule (measured where it pays); such a model stores its
decoder's first layer transposed (``[d_latent, d_hidden]`` in memory), so a kept latent's
column is a contiguous row to gather. The gradients are the dense step's to float rounding;
the tests hold them against autograd.
"""

import torch
from torch import Tensor, nn


# Where the products on the kept latents pay (measured on the 2-core CPU; see decodes_sparsely).
# A benchmark sets SPARSE_FROM_LATENTS beyond any width to time the dense products instead.
SPARSE_FROM_LATENTS = 1024
KEPT_AT_MOST = 1 / 64


def decodes_sparsely(d_latent: int, k: int, latent: str, device_type: str) -> bool:
    """Whether the fast step runs the top-k code's products on the kept latents: top-k, on
    the CPU, with at least :data:`SPARSE_FROM_LATENTS` latents and at most
    :data:`KEPT_AT_MOST` of them kept (otherwise the dense products are as fast)."""
    return (latent == "topk" and device_type == "cpu" and d_latent >= SPARSE_FROM_LATENTS
            and k <= KEPT_AT_MOST * d_latent)


class SparseTopK(nn.Module):
    """Buffers for one batch size; ``forward`` decodes, ``backward`` writes the gradients."""

    def __init__(self, on: bool, batch: int, k: int, d_hidden: int, device: torch.device):
        super().__init__()
        rows = batch * k if on else 0
        self.batch, self.k, self.d_hidden = batch, k, d_hidden
        self.kept_dec = torch.empty(rows, d_hidden, device=device)  # the kept latents' decoder columns
        self.kept_enc = torch.empty(rows, d_hidden, device=device)  # and their encoder rows
        self.outer = torch.empty(rows, d_hidden, device=device)  # each kept entry's outer-product row
        self.d_vals = torch.empty(batch if on else 0, k, device=device)  # gradient at the kept values

    def forward(self, vals: Tensor, idx: Tensor, b_dec1: Tensor, W_dec1_rows: Tensor, out: Tensor) -> None:
        """``out`` = b_dec1 + code · W_dec1ᵀ, the code being ``vals`` at ``idx`` (``[B, k]``);
        ``W_dec1_rows``: the decoder's first layer as ``[d_latent, d_hidden]`` rows."""
        b, k, h = self.batch, self.k, self.d_hidden
        torch.index_select(W_dec1_rows, 0, idx.view(-1), out=self.kept_dec)
        torch.bmm(vals.view(b, 1, k), self.kept_dec.view(b, k, h), out=out.view(b, 1, h))
        out.add_(b_dec1)

    @torch.jit.export
    def backward(self, vals: Tensor, idx: Tensor, h1: Tensor, d_h2: Tensor, W_enc2: Tensor,
                 G_dec1_rows: Tensor, G_enc2: Tensor, G_benc2: Tensor, d_h1: Tensor) -> None:
        """From the decoder's hidden gradient ``d_h2``: the gradients of W_dec1 (as rows, like
        the weights), W_enc2 and b_enc2, and the encoder's hidden gradient ``d_h1``. Reads the
        weights before Adam updates them."""
        b, k, h = self.batch, self.k, self.d_hidden
        flat, outer = idx.view(-1), self.outer.view(b, k, h)
        torch.mul(d_h2.view(b, 1, h).expand(b, k, h), vals.view(b, k, 1), out=outer)
        G_dec1_rows.zero_().index_add_(0, flat, self.outer)
        torch.bmm(d_h2.view(b, 1, h), self.kept_dec.view(b, k, h).transpose(1, 2), out=self.d_vals.view(b, 1, k))
        # a kept value of 0 (fewer than k positive) passes no gradient, as ReLU's
        torch.ops.aten.threshold_backward(self.d_vals, vals, 0.0, grad_input=self.d_vals)
        torch.mul(h1.view(b, 1, h).expand(b, k, h), self.d_vals.view(b, k, 1), out=outer)
        G_enc2.zero_().index_add_(0, flat, self.outer)
        G_benc2.zero_().index_add_(0, flat, self.d_vals.view(-1))
        torch.index_select(W_enc2, 0, flat, out=self.kept_enc)
        torch.bmm(self.d_vals.view(b, 1, k), self.kept_enc.view(b, k, h), out=d_h1.view(b, 1, h))
