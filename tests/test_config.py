"""Config validation is shared by the CLI and the window: every bad value has a message."""

import math

import pytest

import dataclasses
import re

from sae_desktop.config import GROUPS, PRESETS, SETTINGS, ConfigError, ModelConfig, TrainConfig, validate
from sae_desktop.cli_args import build_parser


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
    with pytest.raises(ConfigError, match="^" + re.escape(SETTINGS[field].flag + " ")):
        TrainConfig().replace(**changes).check()


def test_messages_name_the_real_command_line_options():
    with pytest.raises(ConfigError, match=r"^--hidden 0: must be between 1 and 8192"):
        TrainConfig(d_hidden=0).check()
    with pytest.raises(ConfigError, match=r"^--k 9: must be between 1 and 8 \(the latents setting\)"):
        TrainConfig(penalty="topk", d_latent=8, k=9).check()
    assert validate(TrainConfig(lr=-1.0))["lr"] == "must be a number in (0, 10]"
    assert validate(TrainConfig(rho=1.0))["rho"] == "must be a number in (0, 1)"
    assert validate(TrainConfig(seed=2**63))["seed"] == f"must be between 0 and {2**63 - 1}"
    assert validate(TrainConfig(seed=2**63 - 1)) == {}


def test_every_setting_has_one_schema_entry_and_a_command_line_option():
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    assert list(SETTINGS) == fields
    flags = [spec.flag for spec in SETTINGS.values()]
    assert len(set(flags)) == len(flags) and all(f.startswith("--") for f in flags)
    assert {spec.group for spec in SETTINGS.values()} <= {*GROUPS, ""}
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    options = {action.dest: action for action in train._actions}
    for name, spec in SETTINGS.items():
        assert options[name].option_strings == [spec.flag], name
        assert tuple(options[name].choices or ()) == spec.choices
        assert spec.help in options[name].help % {}  # (argparse's help is a %-format: "70%" is written "70%%")
    # a value given on the command line arrives in the config, typed
    args = build_parser().parse_args(["train", "--hidden", "64", "--lr", "0.01", "--penalty", "topk", "--k", "3"])
    assert (args.d_hidden, args.lr, args.penalty, args.k) == (64, 0.01, "topk", 3)


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
