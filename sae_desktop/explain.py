"""A model in words, for a lecture: its architecture, its sparsity mechanism, the loss it was trained
with and the settings that shaped it (Help ▸ The shown model).

Everything is read from the model's own configs, the labels from the settings' schema
(``config.Setting``), so what it says is what the model is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sae_desktop.config import (AUXK_DEAD_AFTER, JUMPRELU_BANDWIDTH, JUMPRELU_PRE_ACT, JUMPRELU_THRESHOLD_INIT,
                                PENALTY_DESCRIPTIONS, RHO_HAT_MIN, TOPK_PENALTIES, ModelConfig, TrainConfig)

LATENTS = {"sigmoid": "sigmoid", "relu": "ReLU", "topk": "ReLU, the {k} largest kept per image",
           "batchtopk": "ReLU, {k} per image on average", "jumprelu": "JumpReLU, each with its own threshold"}
RECON = {"mse": "MSE (mean squared error over the pixels)", "bce": "BCE (binary cross-entropy over the pixels)"}
# what kind of sparse autoencoder this is, beside the ones a researcher knows (the card said nothing)
ARCHITECTURE_NOTE = ("The tutorial's sparse autoencoder: a hidden ReLU layer on each side of the code. The sparse "
                     "autoencoders of language-model interpretability have one linear map on each side, more latents "
                     "than inputs, and learn from a model's activations, each decoder column a feature's direction; "
                     "here a latent reaches the pixels through the decoder's hidden layer.")
SHOWN_GROUPS = ("Model", "Sparsity", "Optimisation")  # (Data: where it was read and trained, not what it is)


@dataclass(frozen=True)
class ModelCard:
    architecture: str  # "784 pixels → 128 ReLU → 32 latents (sigmoid) → 128 ReLU → 784 pixels (sigmoid)"
    mechanism: str  # the penalty in plain words ("" without a training config)
    loss: str  # the objective, with its weights' values ("" without a training config)
    active: str  # what counts as active (for L0, dead and dense)
    settings: list[tuple[str, str]]  # (the form's label, the value) of each setting that applies
    thresholds: str = ""  # the thresholds it learned (JumpReLU's, BatchTopK's), with their values


def thresholds_text(model: ModelConfig, thresholds: np.ndarray | None) -> str:
    """The learned thresholds in words, with their values (``architecture.learned_thresholds``):
    the card said "each latent learns its own threshold", and a researcher could not see that
    after two epochs they had barely left their start."""
    if thresholds is None or not thresholds.size:
        return ""
    if model.latent == "batchtopk":
        theta = float(thresholds[0])
        if theta <= 0:
            return "Threshold at inference θ: not learned yet (0: every positive latent fires)"
        return (f"Threshold at inference θ = {theta:.3g}: a latent fires on an image where it is above θ "
                "(estimated in training, not learned by gradient: each batch's smallest kept activation, "
                "averaged over ~100 steps)")
    low, middle, high = np.percentile(thresholds, [0, 50, 100])
    return (f"Thresholds θⱼ, one per latent (each started at {JUMPRELU_THRESHOLD_INIT:g}): median {middle:.3g}, "
            f"from {low:.3g} to {high:.3g}")


def model_card(model: ModelConfig, train: TrainConfig | None, thresholds: np.ndarray | None = None) -> ModelCard:
    latents = LATENTS.get(model.latent, model.latent).format(k=model.k)
    architecture = (f"{model.d_in} pixels → {model.d_hidden} ReLU → {model.d_latent} latents ({latents}) → "
                    f"{model.d_hidden} ReLU → {model.d_in} pixels (sigmoid)")
    threshold = model.active_threshold
    active = f"A latent counts as active on an image where it is above {threshold:g}" + (
        " (the sigmoid's output never reaches 0)" if model.latent == "sigmoid" else "")
    learned = thresholds_text(model, thresholds)
    if train is None:
        return ModelCard(architecture, "", "", active, [], learned)
    return ModelCard(architecture, PENALTY_DESCRIPTIONS.get(train.penalty, ""), loss_text(train), active,
                     settings(train), learned)


def loss_text(cfg: TrainConfig) -> str:
    """The objective as trained, in symbols with its values."""
    recon = RECON.get(cfg.recon, cfg.recon)
    tiny = f"{RHO_HAT_MIN:.0e}".replace("e-0", "e-")  # (1e-6)
    if cfg.penalty == "kl":
        text = (f"{recon} + β · Σⱼ KL(ρ ‖ ρ̂ⱼ), where ρ̂ⱼ is latent j's mean over the batch (kept within "
                f"[{tiny}, 1 − {tiny}]); ρ = {cfg.rho:g}, β = {cfg.beta:g}")
    elif cfg.penalty == "l1":
        text = f"{recon} + λ · mean |z| (over the batch and the latents); λ = {cfg.l1:g}"
    elif cfg.penalty in TOPK_PENALTIES:
        each = "per image" if cfg.penalty == "topk" else "per image on average"
        sparse = f"keeping k = {cfg.k} latents {each} makes the code sparse, with no penalty to tune"
        text = f"{recon} alone: {sparse}" if cfg.auxk <= 0 else (
            f"{recon} + {cfg.auxk:g} × AuxK, in which latents dead for {AUXK_DEAD_AFTER:,} images learn to "
            f"reconstruct what the live ones miss; {sparse}")
    elif cfg.penalty == "jumprelu":
        text = (f"{recon} + λ₀ · L0, the mean number of active latents per image (its gradient reaches the "
                f"thresholds, and the pre-activations, through a straight-through estimator {JUMPRELU_BANDWIDTH:g} × "
                f"each latent's spread over the batch wide), + {JUMPRELU_PRE_ACT:g} · Σⱼ ReLU(θⱼ − preⱼ) · "
                f"‖decoder column j‖, which pulls latents below their threshold θⱼ back up (the pre-activation "
                f"loss); λ₀ = {cfg.l0_coeff:g}")
    else:
        text = recon
    return text


def settings(cfg: TrainConfig) -> list[tuple[str, str]]:
    """(label, value) of each setting of the model's groups that applies to its penalty, in the
    form's order."""
    rows = []
    for field in dataclasses.fields(cfg):
        spec = field.metadata.get("setting")
        if spec is None or spec.group not in SHOWN_GROUPS or not spec.applies(cfg.penalty):
            continue
        value = getattr(cfg, field.name)
        rows.append((spec.label, ("on" if value else "off") if isinstance(value, bool) else
                     f"{value:g}" if isinstance(value, float) else str(value)))
    return rows
