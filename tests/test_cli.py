"""The command line, run as a user would: real processes, exit codes, outputs, run folders."""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors.numpy import load_file

from sae_desktop import benchmark
from sae_desktop.checkpoint import load_checkpoint
from sae_desktop.cli import main
from sae_desktop.data import Dataset
from sae_desktop.runs import RunFolder
from sae_desktop.snapshot import bundled_model_path

TINY = ["--epochs", "2", "--batch-size", "64", "--hidden", "32", "--latent", "8", "--device", "cpu", "--no-download"]


def sae(*args, env_extra=None, check=False):
    env = dict(os.environ, **(env_extra or {}))
    proc = subprocess.run([sys.executable, "-m", "sae_desktop", *args], capture_output=True, text=True, env=env,
                          timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("args,fragment", [
    (["--rho", "1.5"], "--rho"),
    (["--beta", "-1"], "--beta"),
    (["--batch-size", "0"], "--batch-size"),
    (["--penalty", "l2"], "invalid choice"),
    (["--lr", "nan"], "--lr"),
    (["--latent", "10000000"], "--latent 10000000:"),  # the real flag, not the field's name (--d-latent)
    (["--hidden", "0"], "--hidden 0:"),
    (["--seed", str(2**63)], "--seed"),
    (["--epochs", "many"], "invalid int"),
    (["--penalty", "topk", "--k", "40"], "--k"),
])
def test_invalid_arguments_exit_2_with_one_line(capsys, args, fragment):
    assert main(["train", *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv,said", [
    (["train", "--latents", "0"], "sae-desktop train: unrecognized arguments: --latents 0; did you mean --latent? "
                                  "(see sae-desktop train --help)"),
    (["evaluate", "m.safetensors", "--devce", "cpu"], "sae-desktop evaluate: unrecognized arguments: --devce cpu; "
                                                      "did you mean --device?"),
    (["--bogus"], "sae-desktop: unrecognized arguments: --bogus (see sae-desktop --help)"),
])
def test_an_unknown_argument_is_named_with_its_command_and_the_nearest_option(capsys, argv, said):
    """"sae-desktop: unrecognized arguments: --latents 0" named neither the command nor --latent."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1


def test_a_save_dir_that_cannot_be_made_is_named_as_a_folder(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    assert main(["probe", "--save-dir", str(tmp_path / "file" / "out"), str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sae-desktop probe: --save-dir: cannot create the folder") and err.count("\n") == 1
    assert err.count(str(tmp_path / "file" / "out")) == 1  # (the path once: it read "…out: …out: …")


def test_absent_cuda_exits_2_and_offers_cpu(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["train", "--device", "cuda"]) == 2
    assert "--device cpu" in capsys.readouterr().err


def test_missing_data_one_clear_error_no_traceback(tmp_path):
    proc = sae("train", "--data-dir", str(tmp_path / "empty"), "--no-download")
    assert proc.returncode == 1
    assert "train-images-idx3-ubyte" in proc.stderr and str(tmp_path / "empty") in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1  # one line, as every failure


def test_train_json_writes_run_folder_and_never_loads_qt(tiny_data_dir, tmp_path, isolated_home):
    out = tmp_path / "final.safetensors"
    probe = ("import runpy, sys; sys.argv = ['sae-desktop'] + sys.argv[1:]\n"
             "try:\n    runpy.run_module('sae_desktop', run_name='__main__')\n"
             "except SystemExit as e:\n"
             "    bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt')]\n"
             "    print('QT_MODULES', bad, file=sys.stderr); raise")
    proc = subprocess.run([sys.executable, "-c", probe, "train", *TINY, "--data-dir", str(tiny_data_dir),
                           "--json", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "QT_MODULES []" in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["type"] for r in lines] == ["epoch", "epoch", "summary"]
    summary = lines[-1]
    for key in ("test_mse", "rho_hat", "l0", "dead_latents", "epoch_seconds", "device", "seed"):
        assert key in summary
    assert len(summary["rho_hat"]) == 8 and len(summary["epoch_seconds"]) == 2 and summary["seed"] == 0
    run = RunFolder(Path(summary["run_dir"]))
    assert run.path.parent == isolated_home / "runs" and summary["checkpoint"] == str(run.checkpoint_path)
    records = run.read_metrics()
    assert {r["type"] for r in records} == {"step", "epoch", "summary"}
    assert run.read_config()["config"]["d_latent"] == 8
    assert load_checkpoint(run.checkpoint_path).epoch == 2
    assert load_checkpoint(out).optimizer is not None


def test_resume_continues_in_the_same_folder(tiny_data_dir):
    first = sae("train", *TINY, "--data-dir", str(tiny_data_dir), "--json", check=True)
    summary = json.loads(first.stdout.splitlines()[-1])
    ckpt = summary["checkpoint"]
    again = sae("train", "--resume", summary["run_dir"], "--epochs", "3", "--data-dir", str(tiny_data_dir), "--json",
                check=True)  # (the run folder stands for its checkpoint)
    lines = [json.loads(line) for line in again.stdout.splitlines()]
    assert [r["epoch"] for r in lines if r["type"] == "epoch"] == [3]
    assert lines[-1]["run_dir"] == summary["run_dir"] and len(lines[-1]["epoch_seconds"]) == 3
    epochs = [r["epoch"] for r in RunFolder(Path(summary["run_dir"])).read_metrics()
              if r["type"] == "epoch"]
    assert epochs == [1, 2, 3]
    conflict = sae("train", "--resume", ckpt, "--latent", "16", "--data-dir", str(tiny_data_dir))
    assert conflict.returncode == 2 and "--latent differs from the checkpoint" in conflict.stderr
    # a checkpoint already at its --epochs: nothing to train ("completed: trained 3 epochs", after a
    # few seconds' loading, and the run's records given a summary of nothing done)
    records = RunFolder(Path(summary["run_dir"])).metrics_path.read_bytes()
    done = sae("train", "--resume", ckpt, "--epochs", "3", "--data-dir", str(tiny_data_dir))
    assert done.returncode == 2 and done.stderr.strip() == (
        "sae-desktop train: --resume: the checkpoint has trained 3 epochs of 3 already (--epochs is the total: "
        "give --epochs 4 or more to train on)")
    fewer = sae("train", "--resume", ckpt, "--epochs", "2", "--data-dir", str(tiny_data_dir))  # ("3 epochs of 2")
    assert fewer.returncode == 2 and "has trained 3 epochs (--epochs 2) already" in fewer.stderr
    assert RunFolder(Path(summary["run_dir"])).metrics_path.read_bytes() == records


def test_resume_refuses_garbage(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"junk")
    proc = sae("train", "--resume", str(bad))
    # an invalid file is a problem found while running (exit 1), not a wrong command line (exit 2)
    assert proc.returncode == 1 and "cannot load bad.safetensors" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_evaluate_and_save_weights(tiny_data_dir, tmp_path):
    out = tmp_path / "m.safetensors"
    sae("train", *TINY, "--data-dir", str(tiny_data_dir), "--out", str(out), check=True)
    proc = sae("evaluate", str(out), "--data-dir", str(tiny_data_dir), "--json", check=True)
    result = json.loads(proc.stdout)
    assert result["test_mse"] > 0 and len(result["rho_hat"]) == 8
    slim = tmp_path / "slim.safetensors"
    sae("save-weights", str(out), str(slim), check=True)
    full, lean = load_file(out), load_file(slim)  # no optimizer state, and the weights in float16:
    optimizer = sum(v.nbytes for k, v in full.items() if k.startswith("optimizer."))
    assert optimizer and not any(k.startswith("optimizer.") for k in lean) and lean["W_enc1"].dtype == np.float16
    assert slim.stat().st_size < out.stat().st_size - optimizer  # (the verdict's reference digits stay)
    bundled = sae("save-weights", str(bundled_model_path()), str(tmp_path / "bundled.safetensors"), check=True)
    assert "KB of it the reference digits the verdict compares with" in bundled.stdout  # (why it is no smaller)
    again = json.loads(sae("evaluate", str(slim), "--data-dir", str(tiny_data_dir), "--json", check=True).stdout)
    assert again["test_mse"] == pytest.approx(result["test_mse"], rel=1e-2)
    # the test split is all evaluate reads: a folder of the two t10k files will do (it was refused for
    # lacking the training files)
    import shutil

    only_test = tmp_path / "only-test"
    shutil.copytree(tiny_data_dir, only_test)
    for path in (only_test / "MNIST" / "raw").glob("train-*"):
        path.unlink()
    alone = json.loads(sae("evaluate", str(out), "--data-dir", str(only_test), "--json", check=True).stdout)
    assert alone["test_mse"] == result["test_mse"]


@pytest.mark.parametrize("argv,said", [
    (["train", "--k", "3"], "sae-desktop train: --k applies only with --penalty topk or batchtopk, and this run's "
                            "penalty is kl"),
    (["train", "--penalty", "topk", "--rho", "0.1", "--auxk", "0.1"], "--rho applies only with --penalty kl"),
    (["sweep", "--k", "2,4"], "sae-desktop sweep: --k applies only with --penalty topk or batchtopk"),
    (["sweep", "--penalty", "topk", "--beta", "0.001,0.01"], "--beta applies only with --penalty kl"),
])
def test_a_setting_for_another_penalty_is_refused_not_ignored(capsys, argv, said):
    """``train --k 3`` trained the tutorial's KL run, exit 0, and nothing said --k went unused."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1


def test_a_run_folder_stands_for_its_model_and_the_output_says_what_it_wrote(tiny_data_dir, tmp_path, isolated_home):
    """``evaluate <run folder>`` said "cannot load <name>: not a regular file"; ``train --out`` never
    said it wrote the copy; one epoch read "1 epochs"; the CLI's "dense 22%" beside the window's count."""
    out = tmp_path / "copy.safetensors"
    proc = sae("train", *TINY, "--epochs", "1", "--data-dir", str(tiny_data_dir), "--out", str(out), check=True,
               env_extra={"SAE_DESKTOP_HOME": str(isolated_home)})
    assert "1 epoch on" in proc.stderr and "1 epochs" not in proc.stderr
    assert f"wrote --out {out}" in proc.stderr and out.is_file()
    dense = re.search(r"dense (\S+)", proc.stdout).group(1)
    assert dense.isdigit()  # a count of latents, as the window says it
    assert "mean activation 0." in proc.stdout and "rho_hat" not in proc.stdout  # the window's words, any penalty
    run_dir = next((isolated_home / "runs").iterdir())
    by_folder = json.loads(sae("evaluate", str(run_dir), "--data-dir", str(tiny_data_dir), "--json", check=True).stdout)
    by_file = json.loads(sae("evaluate", str(out), "--data-dir", str(tiny_data_dir), "--json", check=True).stdout)
    assert by_folder["test_mse"] == pytest.approx(by_file["test_mse"])
    assert int(dense) == round(by_folder["frac_dense"] * 8)
    image = tmp_path / "digit.png"
    Image.fromarray(np.pad(np.full((20, 4), 255, np.uint8), 4)).save(image)
    probed = json.loads(sae("probe", str(image), "--model", str(run_dir), "--json", check=True).stdout)
    assert probed["mse"] >= 0 and "error" not in probed
    empty = tmp_path / "not-a-run"
    empty.mkdir()
    said = sae("evaluate", str(run_dir), "--data-dir", str(tiny_data_dir), check=True).stdout
    assert "mean activation 0." in said and "rho_hat" not in said
    refused = sae("evaluate", str(empty), "--data-dir", str(tiny_data_dir))
    assert refused.returncode == 1 and "a folder, not a model file (.safetensors)" in refused.stderr


def test_help_lists_the_commands():
    proc = sae("--help", check=True)
    for command in ("train", "evaluate", "benchmark", "gui"):
        assert command in proc.stdout
    from sae_desktop.cli_args import build_parser

    parser = build_parser()  # every argument of every command says what it is
    for name, command in next(a for a in parser._actions if a.dest == "command").choices.items():
        unexplained = [a.dest for a in command._actions if not a.help]
        assert not unexplained, (name, unexplained)
        command.format_help()  # (a setting's help with a bare "%" made `train --help` a traceback)
    resample = next(a for a in parser._actions if a.dest == "command").choices["train"].format_help()
    assert "70% of training" in " ".join(resample.split())
    probe = next(a for a in parser._actions if a.dest == "command").choices["probe"].format_help()
    for written in ("_input.png", "_reconstruction.png", "_levelled.png", "_strokes.png"):  # all --save-dir writes
        assert written in probe
    for text in (" ".join(proc.stdout.split()), " ".join(probe.split())):  # the exit codes were in the README only
        assert "Exit codes: 0 done; 2 the command line is wrong; 1 a problem" in text and "130 stopped" in text
    assert "save_error" in probe


def test_benchmark_json_reports_the_five_figures(tiny_data_dir):
    """Structure and arithmetic only: speed targets live in the printed figures, not in tests."""
    proc = sae("benchmark", "--device", "cpu", "--epochs", "2", "--data-dir", str(tiny_data_dir), "--json",
               check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("seed_loop_epoch_s", "engine_epoch_s", "autograd_epoch_s", "gemm_limit_epoch_s",
                "speedup_vs_seed_loop", "ratio_to_gemm_limit", "matmul_gflops"):
        assert result[key] > 0, key
    assert result["speedup_vs_seed_loop"] == pytest.approx(result["seed_loop_epoch_s"] / result["engine_epoch_s"])
    assert result["engine_backend"] == "fast"  # on the CPU the engine picks the fast step, timed beside autograd
    assert result["autograd_over_engine"] == pytest.approx(result["autograd_epoch_s"] / result["engine_epoch_s"])
    # the median of per-epoch ratios, each against the limit measured just before that epoch
    assert result["ratio_to_gemm_limit"] == pytest.approx(result["engine_epoch_s"] / result["gemm_limit_epoch_s"],
                                                          rel=0.5)
    assert result["epochs_timed"] == 2 and result["device"].startswith("cpu")
    # stroke digits leave their borders blank, which the first layer skips: fewer FLOPs run
    assert 0 < result["first_layer_pixels_used"] < 1
    assert result["ratio_to_run_flops_limit"] > result["ratio_to_gemm_limit"]


def test_benchmark_reports_what_the_fast_step_earns_for_each_mechanism_it_trains(tiny_data_dir):
    """Issue 15: the fast step is kept only where a benchmark shows it earns its keep; the tutorial's
    KL was the only mechanism measured."""
    from sae_desktop.fast_trainer import FAST_PENALTIES

    proc = sae("benchmark", "--device", "cpu", "--epochs", "1", "--data-dir", str(tiny_data_dir), "--json",
               "--each-mechanism", check=True)
    gains = json.loads(proc.stdout.strip().splitlines()[-1])["fast_step_gain"]
    assert set(gains) == set(FAST_PENALTIES) and all(g > 0 for g in gains.values())
    plain = sae("benchmark", "--device", "cpu", "--epochs", "1", "--data-dir", str(tiny_data_dir), "--json",
                check=True)
    assert "fast_step_gain" not in json.loads(plain.stdout.strip().splitlines()[-1])  # (opt-in: it takes minutes)


@pytest.mark.parametrize("inked,expected", [(28, 1.0), (20, 400 / 784), (27, 1.0)],
                         ids=["no blank pixel", "blank border", "too few blank to skip"])
def test_benchmark_counts_the_pixels_the_first_layer_runs_on(inked, expected):
    images = np.zeros((300, 28, 28), dtype=np.uint8)
    lo = (28 - inked) // 2
    images[:, lo:lo + inked, lo:lo + inked] = np.random.default_rng(0).integers(1, 256, (300, inked, inked))
    dataset = Dataset("mnist", images, np.zeros(300, np.uint8), images[:10], np.zeros(10, np.uint8), Path("."))
    assert benchmark.first_layer_pixels_used(dataset) == pytest.approx(expected)


def test_a_folder_named_dot_is_named_once_and_every_command_says_its_exit_codes(capsys, tmp_path, monkeypatch):
    """``probe .`` said ".: error: .: not a regular file" (its name twice: "." has no file name); train, sweep
    and evaluate's help had no exit codes, probe's said "training keeps its weights"."""
    monkeypatch.chdir(tmp_path)
    assert main(["probe", "."]) == 1
    assert capsys.readouterr().err == ".: error: not a regular file (a folder, pipe or device)\n"
    for command in ("train", "sweep", "evaluate", "probe"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "Exit codes: 0 done" in text and "training keeps" not in text, command


def test_every_commands_help_says_what_it_does_and_its_exit_codes(capsys):
    """`gui`, `benchmark`, `save-weights` and `install-launcher` had neither a description nor the exit codes
    the other commands' help ends with."""
    from sae_desktop.cli_args import EXIT_CODES, build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"gui", "train", "sweep", "evaluate", "benchmark", "probe", "save-weights", "install-launcher"} <= set(
        commands)
    for name, command in commands.items():
        assert command.description, name
        assert command.epilog and ("Exit codes" in command.epilog or "exit code" in command.epilog.lower()), name
    assert commands["gui"].epilog == EXIT_CODES
