"""Config validation is shared by the CLI and the window: every bad value has a message."""

import math

import pytest

from sae_desktop.config import PRESETS, ConfigError, ModelConfig, TrainConfig, validate


def test_defaults_are_the_tutorials():
    cfg = TrainConfig()
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.rho, cfg.beta, cfg.penalty, cfg.recon) == \
        (10, 128, 1e-3, 0.05, 5e-3, "kl", "mse")
    assert cfg.model_config() == ModelConfig(784, 128, 32, "sigmoid", 0)
    assert PRESETS["tutorial"] == cfg


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_valid(name):
    assert validate(PRESETS[name]) == {}


@pytest.mark.parametrize("changes,field", [
    ({"rho": 0.0}, "rho"), ({"rho": 1.0}, "rho"), ({"rho": math.nan}, "rho"), ({"beta": -1.0}, "beta"),
    ({"batch_size": 0}, "batch_size"), ({"lr": 1e9}, "lr"), ({"lr": math.inf}, "lr"), ({"lr": 0.0}, "lr"),
    ({"d_latent": 10**7}, "d_latent"), ({"epochs": 0}, "epochs"), ({"penalty": "l2"}, "penalty"),
    ({"penalty": "topk", "k": 33}, "k"), ({"penalty": "l1", "l1": -0.1}, "l1"), ({"recon": "ce"}, "recon"),
])
def test_bad_values_are_reported_by_field(changes, field):
    errors = validate(TrainConfig().replace(**changes))
    assert field in errors and errors[field]
    with pytest.raises(ConfigError, match=field.replace("_", "-")):
        TrainConfig().replace(**changes).check()


def test_penalty_specific_values_only_checked_for_that_penalty():
    assert validate(TrainConfig(penalty="topk", rho=5.0)) == {}


def test_from_dict_round_trip_and_refusals():
    cfg = TrainConfig(penalty="topk", k=3)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown"):
        TrainConfig.from_dict({"nonsense": 1})
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig.from_dict({"epochs": "ten"})
    with pytest.raises(ConfigError):
        ModelConfig.from_dict({"d_latent": -3})
    with pytest.raises(ConfigError):
        ModelConfig.from_dict([1, 2])
