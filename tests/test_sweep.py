"""Sweeps: the grid, one run folder per point, stop ending the whole sweep, the CLI."""

import json

import pytest

from sae_desktop.cli import main
from sae_desktop.config import ConfigError, TrainConfig
from sae_desktop.events import EpochOutput, RunEnd, TrainingControl
from sae_desktop.run_list import list_runs
from sae_desktop.sweep import SWEEPABLE, SweepEnded, SweepRunStarted, grid_configs, parse_values, point_label, sweep

SMALL = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu", penalty="topk")


def test_values_parse_per_setting_type_and_refuse_nonsense():
    assert parse_values("k", "2,4, 8 16,4") == [2, 4, 8, 16]
    assert parse_values("l1", "1e-3,3e-3") == [1e-3, 3e-3] and isinstance(parse_values("lr", "1")[0], float)
    assert {"k", "beta", "l1", "rho", "lr", "seed", "epochs", "d_latent"} <= set(SWEEPABLE)
    assert "penalty" not in SWEEPABLE
    for name, text, fragment in (("k", "2.5", "integer"), ("beta", "x", "number"), ("k", " , ", "no values"),
                                 ("penalty", "kl", "cannot be swept"), ("k", "2,,4", "empty value between commas"),
                                 ("k", "2,4,", "empty value"), ("d_latent", ",8", "--d-latent: an empty value")):
        with pytest.raises(ConfigError, match=fragment):
            parse_values(name, text)


def test_grid_is_every_combination_each_validated():
    configs = grid_configs(SMALL, {"k": [2, 4], "seed": [0, 1, 2]})
    assert [(c.k, c.seed) for c in configs] == [(2, 0), (2, 1), (2, 2), (4, 0), (4, 1), (4, 2)]
    assert point_label(configs[1], ["k", "seed"]) == "k=2, seed=1"
    # by the symbols the Runs table's settings use (the dialog said "beta=0.001" beside "Weight β")
    assert point_label(SMALL.replace(beta=1e-3, l1=0.03, seed=2**62), ["beta", "l1", "seed"]) == \
        f"β=0.001, λ=0.03, seed={2**62}"
    with pytest.raises(ConfigError, match="--k 9"):
        grid_configs(SMALL, {"k": [4, 9]})  # 9 > 8 latents
    with pytest.raises(ConfigError, match="at most"):
        grid_configs(SMALL, {"seed": list(range(30)), "k": list(range(1, 9))})


def test_sweep_trains_each_point_in_its_own_folder(tiny_dataset):
    configs = grid_configs(SMALL, {"k": [1, 3]})
    events = list(sweep(configs, tiny_dataset, names=["k"]))
    starts = [e for e in events if isinstance(e, SweepRunStarted)]
    assert [(s.index, s.total, s.label) for s in starts] == [(0, 2, "k=1"), (1, 2, "k=3")]
    ends = [e for e in events if isinstance(e, RunEnd)]
    assert [e.status for e in ends] == ["completed", "completed"]
    assert [e.evaluation.l0 for e in ends][0] <= 1.0 < ends[1].evaluation.l0 <= 3.0
    assert events[-1] == SweepEnded(2, 2, False, 2)
    rows = {r.folder: r for r in list_runs()}
    assert set(rows) == {s.run_dir for s in starts}
    assert sorted(r.config["k"] for r in rows.values()) == [1, 3]


def test_stop_ends_the_run_in_progress_and_the_rest_of_the_sweep(tiny_dataset):
    control = TrainingControl()
    seen = []
    for event in sweep(grid_configs(SMALL.replace(epochs=3), {"k": [1, 2, 3]}), tiny_dataset, control, ["k"]):
        seen.append(event)
        if isinstance(event, EpochOutput):
            control.stop()
    assert sum(isinstance(e, SweepRunStarted) for e in seen) == 1
    assert [e.status for e in seen if isinstance(e, RunEnd)] == ["stopped"]
    assert seen[-1] == SweepEnded(1, 3, True, 0) and len(list_runs()) == 1  # the stopped run is not completed


def test_cli_sweep_one_folder_per_value_and_a_sweep_line(tiny_data_dir, capsys):
    code = main(["sweep", "--penalty", "topk", "--k", "2,4", "--seed", "3", "--epochs", "1", "--batch-size", "64",
                 "--hidden", "16", "--latent", "8", "--device", "cpu", "--no-download", "--data-dir",
                 str(tiny_data_dir), "--json"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    final = lines[-1]
    assert final["type"] == "sweep" and final["swept"] == ["k"]
    assert [r["k"] for r in final["runs"]] == [2, 4] and all(r["status"] == "completed" for r in final["runs"])
    assert all(0 < r["fvu"] and r["seed"] == 3 for r in final["runs"])
    assert sorted(r.config["k"] for r in list_runs()) == [2, 4]
    assert sum(1 for line in lines if line.get("type") == "epoch") == 2


def test_cli_sweep_refuses_bad_values_with_one_line(capsys):
    assert main(["sweep", "--penalty", "topk", "--k", "2,x"]) == 2
    err = capsys.readouterr().err
    assert "--k" in err and err.count("\n") == 1
    assert main(["sweep", "--penalty", "topk", "--k", "4,40"]) == 2
    assert "--k 40" in capsys.readouterr().err
