"""The model's parameters by name and shape: what checkpoints and snapshots hold.

Kept apart from ``model.py`` (the torch module) so that reading a checkpoint and the
NumPy inference never import torch.
"""

from __future__ import annotations

from sae_desktop.config import ModelConfig

# Order matters: it is the tutorial's layer creation order (init RNG stream) and the
# layout of the flat parameter buffer used by the training engine and checkpoints.
PARAM_NAMES = ("W_enc1", "b_enc1", "W_enc2", "b_enc2", "W_dec1", "b_dec1", "W_dec2", "b_dec2")
# Per-mechanism tensors after those: JumpReLU's learned thresholds (a parameter, as log θ so
# θ stays positive) and BatchTopK's inference threshold (estimated in training, not learned).
EXTRA_TENSORS = {"jumprelu": "log_threshold", "batchtopk": "threshold"}
BUFFER_NAMES = frozenset({"threshold"})  # saved with the weights, never trained (no Adam state)


def param_names(cfg: ModelConfig) -> tuple[str, ...]:
    """Every tensor of a model with this config, in checkpoint order."""
    extra = EXTRA_TENSORS.get(cfg.latent)
    return PARAM_NAMES + ((extra,) if extra else ())


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
        **({"log_threshold": (cfg.d_latent,)} if cfg.latent == "jumprelu" else {}),
        **({"threshold": (1,)} if cfg.latent == "batchtopk" else {}),
    }
