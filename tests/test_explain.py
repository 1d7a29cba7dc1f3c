"""The model in words (Help ▸ The shown model): read from the model's own configs."""

from __future__ import annotations

import sys

import pytest

from sae_desktop.config import PENALTIES, PENALTY_DESCRIPTIONS, TrainConfig
from sae_desktop.explain import model_card


@pytest.mark.parametrize("penalty", PENALTIES)
def test_the_card_says_what_the_configs_hold(penalty):
    cfg = TrainConfig(penalty=penalty, d_hidden=96, d_latent=48, k=7, rho=0.07, beta=0.02, l1=0.004,
                      l0_coeff=0.002, auxk=0.25, lr=0.002, epochs=3)
    card = model_card(cfg.model_config(), cfg)
    assert card.architecture.startswith("784 pixels → 96 ReLU → 48 latents (") and card.architecture.endswith(
        "→ 96 ReLU → 784 pixels (sigmoid)")
    expected = {"kl": "ρ = 0.07, β = 0.02", "l1": "λ = 0.004", "topk": "k = 7 latents per image",
                "batchtopk": "k = 7 latents per image on average", "jumprelu": "λ₀ = 0.002"}[penalty]
    assert expected in card.loss and card.loss.startswith("MSE")
    assert ("AuxK" in card.loss) == (penalty in ("topk", "batchtopk"))  # (it applies to those only)
    if penalty in ("topk", "batchtopk"):  # a term beside the MSE, never "MSE alone: …; plus 0.25 × AuxK"
        assert card.loss.startswith("MSE (mean squared error over the pixels) + 0.25 × AuxK")
        assert "alone" not in card.loss
        assert "pixels) alone: keeping k = 7" in model_card(cfg.model_config(), cfg.replace(auxk=0.0)).loss
    # every term trained with (JumpReLU's pre-activation loss was left out)
    assert ("0.001 · Σⱼ ReLU(θⱼ − preⱼ)" in card.loss) == (penalty == "jumprelu")
    settings = dict(card.settings)
    assert settings["Learning rate"] == "0.002" and settings["Epochs"] == "3" and settings["Latents"] == "48"
    assert ("Target ρ" in settings) == (penalty == "kl") and ("k (kept)" in settings) == (penalty in ("topk",
                                                                                                     "batchtopk"))
    assert "Device" not in settings and "Dataset" not in settings  # where it ran, not what it is
    assert card.mechanism == PENALTY_DESCRIPTIONS[penalty]  # (the plain words the penalty's tooltip gives)
    threshold = "0.1" if penalty == "kl" else "0"
    assert card.active.startswith(f"A latent counts as active on an image where it is above {threshold}")


def test_a_model_without_training_settings_gets_its_architecture_alone():
    cfg = TrainConfig()
    card = model_card(cfg.model_config(), None)
    assert card.architecture.startswith("784 pixels → 128 ReLU → 32 latents (sigmoid)")
    assert card.loss == card.mechanism == "" and card.settings == []


def test_the_card_needs_no_torch():
    """The Help menu's dialog must not load torch (1-2 s) in a window that has not trained."""
    import subprocess

    code = "import sys, sae_desktop.explain; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


@pytest.mark.parametrize("penalty", PENALTIES)
def test_the_card_gives_the_thresholds_a_model_learned_with_their_values(penalty):
    """"Each latent learns its own threshold" (JumpReLU), "one learned threshold at inference"
    (BatchTopK): the card never said what they were, and after two epochs a JumpReLU's had barely
    left their start (0.096 to 0.135, from 0.1)."""
    import numpy as np

    from sae_desktop.architecture import learned_thresholds
    from sae_desktop.model import SparseAutoencoder

    cfg = TrainConfig(penalty=penalty, d_hidden=16, d_latent=8, k=2)
    weights = SparseAutoencoder(cfg.model_config()).snapshot()
    if penalty == "jumprelu":
        weights["log_threshold"] = np.log(np.array([0.05, 0.1, 0.1, 0.1, 0.12, 0.2, 0.1, 0.1], np.float32))
    if penalty == "batchtopk":
        weights["threshold"] = np.array([2.63], np.float32)
    thresholds = learned_thresholds(weights, cfg.model_config())
    card = model_card(cfg.model_config(), cfg, thresholds)
    said = {"jumprelu": "Thresholds θⱼ, one per latent (each started at 0.1): median 0.1, from 0.05 to 0.2",
            "batchtopk": "Threshold at inference θ = 2.63: a latent fires on an image where it is above θ"}
    assert (thresholds is not None) == (penalty in said)
    assert card.thresholds.startswith(said[penalty]) if penalty in said else card.thresholds == ""
    if penalty == "batchtopk":  # an untrained one's: not learned yet
        assert "not learned yet" in model_card(cfg.model_config(), cfg, np.zeros(1)).thresholds
    if penalty == "topk":
        assert "at most k fire" in card.mechanism  # (after a ReLU, fewer than k may be positive)


def test_the_readme_describes_each_penalty_in_the_windows_words():
    """One description per penalty (config.PENALTY_DESCRIPTIONS): the README's list said BatchTopK's
    inference threshold was learned and KL "the first sparse autoencoders'", after the window's changed."""
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split())
    for penalty, description in PENALTY_DESCRIPTIONS.items():
        assert f"**{penalty}**: {description.split(': ', 1)[1]}" in readme, penalty
