"""The model's parameters by name and shape: what checkpoints and snapshots hold.

Kept apart from ``model.py`` (the torch module) so that reading a checkpoint and the
NumPy inference never import torch.
"""

from __future__ import annotations

from sae_desktop.config import ModelConfig

# Order matters: it is the tutorial's layer creation order (init RNG stream) and the
# layout of the flat parameter buffer used by the training engine and checkpoints.
PARAM_NAMES = ("W_enc1", "b_enc1", "W_enc2", "b_enc2", "W_dec1", "b_dec1", "W_dec2", "b_dec2")


def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    return {
        "W_enc1": (cfg.d_hidden, cfg.d_in),
        "b_enc1": (cfg.d_hidden,),
        "W_enc2": (cfg.d_latent, cfg.d_hidden),
        "b_enc2": (cfg.d_latent,),
        "W_dec1": (cfg.d_hidden, cfg.d_latent),
        "b_dec1": (cfg.d_hidden,),
        "W_dec2": (cfg.d_in, cfg.d_hidden),
        "b_dec2": (cfg.d_in,),
    }
