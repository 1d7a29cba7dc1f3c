"""What the sparse autoencoder computes, written once for NumPy and for torch.

784 → 128 ReLU → d_latent latents → 128 ReLU → 784 sigmoid. Each function takes the weights
by name (``W_enc1 … b_dec2``, stored ``[out, in]`` like ``nn.Linear``) and an ``ops``
namespace of the few array operations that differ between the two libraries:
:data:`NUMPY` here, ``model.TORCH`` beside the torch module. The torch module
(``model.SparseAutoencoder``: training, evaluation in the training thread) and the window's
NumPy inference (``snapshot.ModelSnapshot``: drawing never waits for torch, and a torch op
on the main thread would start a second OpenMP team beside training's) call the same
functions; tests check them against each other. This module never imports torch.

A new latent activation (a sparsity mechanism's) is a branch of :func:`latent_activation`
(with its op in both namespaces); its penalty goes in ``losses.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from sae_desktop.config import ModelConfig
from sae_desktop.density import MAX_WIDTH as DENSITY_MAX_WIDTH

Array = Any  # a NumPy array or a torch tensor, as ``ops`` handles


def _keep_top_k(z: np.ndarray, k: int) -> np.ndarray:
    """``z`` (a fresh array, changed in place) with all but each row's k largest set to 0."""
    np.put_along_axis(z, np.argpartition(-z, k, axis=1)[:, k:], 0.0, axis=1)
    return z


# The NumPy side of the ops namespace (float32 throughout). The sigmoid is clipped so exp never
# overflows float32 (sigmoid(±40) is 0 or 1 to float precision anyway); unit_float is ToTensor's scaling.
NUMPY = SimpleNamespace(
    linear=lambda x, weight, bias: x @ weight.T + bias,
    relu=lambda a: np.maximum(a, 0.0),
    sigmoid=lambda a: (1.0 / (1.0 + np.exp(-np.clip(a, -40.0, 40.0)))).astype(np.float32, copy=False),
    keep_top_k=_keep_top_k,
    exp=np.exp,
    jumprelu=lambda pre, theta: np.where(pre > theta, pre, 0.0).astype(np.float32, copy=False),
    above=lambda z, pre, theta: np.where(pre > theta, z, 0.0).astype(np.float32, copy=False),
    unit_float=lambda images: images.astype(np.float32) / 255.0,
    to_numpy=lambda a: a,
)


def hidden(params: Mapping[str, Array], x: Array, ops: Any) -> Array:
    """Images ``[B, d_in]`` in [0, 1] → the encoder's hidden ReLU layer ``[B, d_hidden]`` (density.py's)."""
    return ops.relu(ops.linear(x, params["W_enc1"], params["b_enc1"]))


def latent_pre(params: Mapping[str, Array], h: Array, ops: Any) -> Array:
    """The encoder's hidden layer ``[B, d_hidden]`` → the latents' pre-activations ``[B, d_latent]``."""
    return ops.linear(h, params["W_enc2"], params["b_enc2"])


def encode_pre(params: Mapping[str, Array], x: Array, ops: Any) -> Array:
    """Images ``[B, d_in]`` in [0, 1] → the latents' pre-activations ``[B, d_latent]``."""
    return latent_pre(params, hidden(params, x, ops), ops)


def latent_activation(pre: Array, cfg: ModelConfig, ops: Any, params: Mapping[str, Array] | None = None) -> Array:
    """Map pre-activations to latents: sigmoid, ReLU, ReLU keeping each row's top k, JumpReLU
    (``pre`` above each latent's learned threshold exp(log_threshold)), or BatchTopK at
    inference (ReLU above the threshold estimated in training; training itself keeps the
    batch's top k·B, ``model.batch_topk``)."""
    if cfg.latent == "sigmoid":
        return ops.sigmoid(pre)
    if cfg.latent == "jumprelu":
        return ops.jumprelu(pre, ops.exp(params["log_threshold"]))
    z = ops.relu(pre)
    if cfg.latent == "batchtopk":
        return ops.above(z, pre, params["threshold"])
    if cfg.latent == "topk" and cfg.k < cfg.d_latent:
        z = ops.keep_top_k(z, cfg.k)
    return z


def encode(params: Mapping[str, Array], x: Array, cfg: ModelConfig, ops: Any) -> Array:
    """Images ``[B, d_in]`` in [0, 1] → latents ``[B, d_latent]``."""
    return latent_activation(encode_pre(params, x, ops), cfg, ops, params)


def decoder_pre(params: Mapping[str, Array], z: Array, ops: Any) -> Array:
    """Latents ``[B, d_latent]`` → the decoder's hidden layer before its ReLU ``[B, d_hidden]``."""
    return ops.linear(z, params["W_dec1"], params["b_dec1"])


def logits_from_decoder_pre(params: Mapping[str, Array], pre: Array, ops: Any) -> Array:
    """The decoder's hidden pre-activations → the output's logits ``[B, d_in]``."""
    return ops.linear(ops.relu(pre), params["W_dec2"], params["b_dec2"])


def decode_logits(params: Mapping[str, Array], z: Array, ops: Any) -> Array:
    return logits_from_decoder_pre(params, decoder_pre(params, z, ops), ops)


def decode(params: Mapping[str, Array], z: Array, ops: Any) -> Array:
    """Latents ``[B, d_latent]`` → reconstructed images ``[B, d_in]`` in (0, 1)."""
    return ops.sigmoid(decode_logits(params, z, ops))


def learned_thresholds(params: Mapping[str, Array], cfg: ModelConfig) -> np.ndarray | None:
    """The threshold each latent fires above, learned in training (float64, ``[d_latent]``):
    JumpReLU's, one per latent (exp(log_threshold)); BatchTopK's, one for them all at inference
    (every entry the same); None for the other activations (their "active" rule is fixed:
    :func:`active`)."""
    if cfg.latent == "jumprelu":
        return np.exp(np.asarray(params["log_threshold"], np.float64).reshape(-1))
    if cfg.latent == "batchtopk":
        return np.full(cfg.d_latent, float(np.asarray(params["threshold"], np.float64).reshape(-1)[0]))
    return None


def active(latents: Array, threshold: float) -> Array:
    """Where a latent counts as active (L0, density, dead latents, the probe's colours): above
    the model's ``ModelConfig.active_threshold`` (0.1 for sigmoid latents, which are never
    exactly zero; 0 for ReLU latents, which are exactly zero when off)."""
    return latents > threshold


def latent_ceiling(cfg: ModelConfig) -> float:
    """The largest value a latent takes: 1 for sigmoid latents, unbounded for ReLU ones."""
    return 1.0 if cfg.latent == "sigmoid" else float("inf")


def clamped_code(latents: np.ndarray, clamps: Mapping[int, float], cfg: ModelConfig) -> np.ndarray:
    """The code to decode: ``latents`` ``[d_latent]`` with each clamp {latent: value} applied,
    values limited to what the latent can take ([0, 1] or [0, ∞)); unknown latents ignored."""
    code = np.array(latents, dtype=np.float32, copy=True)
    for index, value in clamps.items():
        if 0 <= index < code.size:
            code[index] = min(max(float(value), 0.0), latent_ceiling(cfg))
    return code


def input_score(x: Array, recon: Array) -> Array:
    """Per image (rows): the residual's energy over the image's own variance, ‖x̂ − x‖² / ‖x − x̄‖²
    (an FVU of one image: scale-free). The probe's verdict ranks it against the test set's."""
    centred = x - x.mean(1)[:, None]
    return ((recon - x) ** 2).sum(1) / ((centred ** 2).sum(1) + 1e-12)


def errors_and_latents(params: Mapping[str, Array], images: Array, cfg: ModelConfig, ops: Any,
                       chunk: int = 2000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Each uint8 image's ``[N, d_in]`` reconstruction MSE (float64), latents (float32), input
    score (float64, :func:`input_score`) and hidden-layer activations (float32; None for a hidden
    layer wider than ``density.MAX_WIDTH``), in chunks, as NumPy arrays (``evaluation.Evaluation``)."""
    keep_hidden = cfg.d_hidden <= DENSITY_MAX_WIDTH
    errors, latents, scores, hiddens = [], [], [], []
    for start in range(0, images.shape[0], chunk):
        x = ops.unit_float(images[start:start + chunk])
        h = hidden(params, x, ops)
        z = latent_activation(latent_pre(params, h, ops), cfg, ops, params)
        recon = decode(params, z, ops)
        errors.append(ops.to_numpy(((recon - x) ** 2).mean(1)))
        scores.append(ops.to_numpy(input_score(x, recon)))
        latents.append(ops.to_numpy(z))
        if keep_hidden:
            hiddens.append(ops.to_numpy(h).astype(np.float32, copy=False))
    if not errors:
        return np.zeros(0), np.zeros((0, cfg.d_latent), np.float32), np.zeros(0), None
    return (np.concatenate(errors).astype(np.float64), np.concatenate(latents).astype(np.float32, copy=False),
            np.concatenate(scores).astype(np.float64), np.concatenate(hiddens) if keep_hidden else None)
