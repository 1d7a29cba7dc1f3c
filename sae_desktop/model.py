"""The sparse autoencoder as a torch module: 784 → 128 ReLU → 32 latent → 128 ReLU → 784 sigmoid.

What it computes is defined once, in ``architecture.py``, for torch (:data:`TORCH` here) and
for NumPy (the window's inference). Parameters use the field's names. The encoder is two
layers (``W_enc1`` then ``W_enc2``, whose output is the sparse latent ``z``) and so is the
decoder (``W_dec1``, ``W_dec2``).
Weights are stored as ``[out, in]`` like ``nn.Linear``. With default settings the
initialisation is PyTorch's default ``nn.Linear`` one, drawn in the tutorial's order, so
a seed gives the tutorial's starting weights.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch
from torch import nn

from sae_desktop import architecture
from sae_desktop.config import JUMPRELU_BANDWIDTH, JUMPRELU_THRESHOLD_INIT, ModelConfig
from sae_desktop.evaluation import Evaluation
from sae_desktop.parameters import PARAM_NAMES, param_shapes
from sae_desktop.pixels import PixelReference


def keep_top_k(z: torch.Tensor, k: int) -> torch.Tensor:
    """``z`` with all but the k largest of each row set to 0."""
    keep = torch.topk(z, k, dim=-1).indices
    return torch.zeros_like(z).scatter_(-1, keep, z.gather(-1, keep))


class _StepWithPseudoGradient(torch.autograd.Function):
    """H(pre − θ), the step JumpReLU fires on, with the straight-through estimator of
    Rajamanoharan et al. (2024): the gradient of the step smoothed into a ramp of width ε,
    K((pre − θ)/ε)/ε with the rectangle kernel K (1 on |u| < ½), for θ (with a minus) and,
    as in Anthropic's JumpReLU training (2025), for ``pre`` too, so that the L0 penalty
    reaches the encoder. ``bandwidth``: ε, a tensor that broadcasts against ``pre``."""

    @staticmethod
    def forward(ctx, pre: torch.Tensor, theta: torch.Tensor, bandwidth: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(pre, theta, bandwidth)
        return (pre > theta).to(pre.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        pre, theta, eps = ctx.saved_tensors
        grad_pre = grad_out * ((pre - theta).abs() < eps / 2).to(pre.dtype) / eps
        return grad_pre, (-grad_pre).sum_to_size(theta.shape), None


def jump_bandwidth(pre: torch.Tensor) -> torch.Tensor:
    """The estimator's ε per latent: ``JUMPRELU_BANDWIDTH`` × the std of its pre-activations over
    the batch. A fixed ε (0.05) saw nothing: the encoder's pre-activations grow ~50× in the
    first 50 steps (median |pre| 2-3), the window around θ held ~0.3 % of them and the L0
    coefficient had no effect. Relative to the spread, the window always holds a share of the
    batch, and the estimator does not depend on the pre-activations' scale."""
    return (JUMPRELU_BANDWIDTH * pre.detach().std(dim=0, correction=0)).clamp_min(1e-6)


def jump_step(pre: torch.Tensor, theta: torch.Tensor, bandwidth: torch.Tensor | float | None = None) -> torch.Tensor:
    """1 where ``pre`` > θ (per latent), else 0; learns θ (and ``pre``) through its pseudo-gradient.
    ``bandwidth``: ε (default :func:`jump_bandwidth` of ``pre``)."""
    eps = jump_bandwidth(pre) if bandwidth is None else torch.as_tensor(bandwidth, dtype=pre.dtype, device=pre.device)
    return _StepWithPseudoGradient.apply(pre, theta, eps)


def jumprelu(pre: torch.Tensor, theta: torch.Tensor, bandwidth: torch.Tensor | float | None = None) -> torch.Tensor:
    """``pre`` where it exceeds θ, else 0: pre·H(pre − θ) through :func:`jump_step`, so the
    gradient is H + pre·K/ε for ``pre`` (the jump's pseudo-gradient beside the exact one) and
    −pre·K/ε for θ."""
    return pre * jump_step(pre, theta, bandwidth)


def batch_topk(z: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k·B largest entries of the batch ``z`` ``[B, d]`` (Bussmann et al., 2024): k per
    image on average, more for busy images and fewer for simple ones."""
    keep = min(k * z.shape[0], z.numel())
    flat = z.reshape(-1)
    index = torch.topk(flat, keep, sorted=False).indices
    return torch.zeros_like(flat).scatter_(0, index, flat.gather(0, index)).view_as(z)


# The torch side of architecture's ops namespace (architecture.NUMPY is the NumPy side).
TORCH = SimpleNamespace(linear=nn.functional.linear, relu=torch.relu, sigmoid=torch.sigmoid, keep_top_k=keep_top_k,
                        exp=torch.exp, jumprelu=jumprelu,
                        above=lambda z, pre, theta: z * (pre > theta),
                        unit_float=lambda images: images.to(torch.float32).div_(255.0),
                        to_numpy=lambda t: t.detach().cpu().numpy())


class SparseAutoencoder(nn.Module):
    def __init__(self, cfg: ModelConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or ModelConfig()
        shapes = param_shapes(cfg)
        layers = [
            nn.Linear(cfg.d_in, cfg.d_hidden),
            nn.Linear(cfg.d_hidden, cfg.d_latent),
            nn.Linear(cfg.d_latent, cfg.d_hidden),
            nn.Linear(cfg.d_hidden, cfg.d_in),
        ]
        tensors = [t for layer in layers for t in (layer.weight, layer.bias)]
        for name, tensor in zip(PARAM_NAMES, tensors):
            assert tuple(tensor.shape) == shapes[name]
            self.register_parameter(name, nn.Parameter(tensor.detach().clone()))
        if cfg.latent == "jumprelu":
            self.log_threshold = nn.Parameter(torch.full(shapes["log_threshold"], math.log(JUMPRELU_THRESHOLD_INIT)))
        if cfg.latent == "batchtopk":  # 0 until training has estimated it
            self.register_buffer("threshold", torch.zeros(shapes["threshold"]))

    @property
    def params(self) -> dict[str, torch.Tensor]:
        """Every tensor by name: the parameters and BatchTopK's threshold buffer."""
        return {**dict(self.named_parameters()), **dict(self.named_buffers())}

    def encode_pre(self, x: torch.Tensor) -> torch.Tensor:
        return architecture.encode_pre(self.params, x.reshape(x.shape[0], -1), TORCH)

    def encode(self, x: torch.Tensor, batch: bool = False) -> torch.Tensor:
        """Images ``[B, 784]`` (or ``[B, 1, 28, 28]``) in [0, 1] → latents ``[B, d_latent]``.
        ``batch``: training's form where it differs (BatchTopK's top k·B over the batch;
        otherwise its estimated threshold, so an image's code does not depend on the others')."""
        return self.activate(self.encode_pre(x), batch)

    def activate(self, pre: torch.Tensor, batch: bool = False) -> torch.Tensor:
        """Pre-activations → latents (see :meth:`encode`)."""
        if batch and self.cfg.latent == "batchtopk":
            return batch_topk(torch.relu(pre), self.cfg.k)
        return architecture.latent_activation(pre, self.cfg, TORCH, self.params)

    @property
    def thresholds(self) -> torch.Tensor | None:
        """The per-latent (JumpReLU) or shared (BatchTopK) threshold of the activation, if any."""
        if self.cfg.latent == "jumprelu":
            return self.log_threshold.exp()
        return self.threshold if self.cfg.latent == "batchtopk" else None

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return architecture.decode_logits(self.params, z, TORCH)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents → reconstructed images ``[B, 784]`` in (0, 1)."""
        return architecture.decode(self.params, z, TORCH)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(reconstruction, latent)`` like the tutorial's model."""
        z = self.encode(x)
        return self.decode(z), z

    @torch.no_grad()
    def evaluate(self, images: torch.Tensor, pixels: PixelReference | None = None) -> Evaluation:
        """Test-set metrics on uint8 ``images`` ``[N, 784]`` (on the model's device); ``pixels``:
        the verdict's nearest digits, fitted with these images (``PixelReference.fit``)."""
        return Evaluation.of(*architecture.errors_and_latents(self.params, images, self.cfg, TORCH), self.cfg, images,
                             pixels=pixels)

    def snapshot(self) -> dict[str, torch.Tensor]:
        """A detached CPU copy of the weights, safe to hand to another thread."""
        return {name: p.detach().to("cpu", copy=True, memory_format=torch.contiguous_format)
                for name, p in self.params.items()}

    @torch.no_grad()
    def load_weights(self, state: dict) -> SparseAutoencoder:
        """Copy ``state`` (NumPy arrays from a file, or tensors) into every tensor, by name."""
        for name, p in self.params.items():
            p.copy_(torch.as_tensor(state[name]))
        return self


def model_from_state(cfg: ModelConfig, state: dict[str, torch.Tensor]) -> SparseAutoencoder:
    """A CPU model in eval mode holding ``state`` (a frozen copy, never live training weights)."""
    return SparseAutoencoder(cfg).load_weights(state).eval().requires_grad_(False)
