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

from types import SimpleNamespace

import torch
from torch import nn

from sae_desktop import architecture
from sae_desktop.config import ModelConfig
from sae_desktop.evaluation import Evaluation
from sae_desktop.parameters import PARAM_NAMES, param_shapes  # noqa: F401  (re-exported)


def _keep_top_k(z: torch.Tensor, k: int) -> torch.Tensor:
    keep = torch.topk(z, k, dim=-1).indices
    return torch.zeros_like(z).scatter_(-1, keep, z.gather(-1, keep))


# The torch side of architecture's ops namespace (architecture.NUMPY is the NumPy side).
TORCH = SimpleNamespace(linear=nn.functional.linear, relu=torch.relu, sigmoid=torch.sigmoid, keep_top_k=_keep_top_k,
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

    @property
    def params(self) -> dict[str, nn.Parameter]:
        return dict(self.named_parameters())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``[B, 784]`` (or ``[B, 1, 28, 28]``) in [0, 1] → latents ``[B, d_latent]``."""
        return architecture.encode(self.params, x.reshape(x.shape[0], -1), self.cfg, TORCH)

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
    def evaluate(self, images: torch.Tensor) -> Evaluation:
        """Test-set metrics on uint8 ``images`` ``[N, 784]`` (on the model's device)."""
        return Evaluation.of(*architecture.errors_and_latents(self.params, images, self.cfg, TORCH), self.cfg)

    def snapshot(self) -> dict[str, torch.Tensor]:
        """A detached CPU copy of the weights, safe to hand to another thread."""
        return {name: p.detach().to("cpu", copy=True, memory_format=torch.contiguous_format)
                for name, p in self.named_parameters()}


def model_from_state(cfg: ModelConfig, state: dict[str, torch.Tensor]) -> SparseAutoencoder:
    """A CPU model in eval mode holding ``state`` (a frozen copy, never live training weights)."""
    model = SparseAutoencoder(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.as_tensor(state[name]))  # NumPy arrays (loaded files) or tensors
    return model.eval().requires_grad_(False)
