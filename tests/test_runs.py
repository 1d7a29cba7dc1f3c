"""Run folders: what the runs table lists, for finished and for killed runs."""

import json

import pytest

from sae_desktop.config import TrainConfig
from sae_desktop.engine import train
from sae_desktop.run_list import list_runs
from sae_desktop.runs import RunFolder, recorded

SMALL = TrainConfig(epochs=2, batch_size=64, d_hidden=16, d_latent=8, device="cpu")


def test_finished_and_killed_runs_are_listed(tiny_dataset, isolated_home):
    finished = RunFolder.create(SMALL)
    events = list(recorded(train(SMALL, tiny_dataset), finished))
    killed = RunFolder.create(SMALL.replace(penalty="l1"))
    list(recorded(train(SMALL.replace(penalty="l1"), tiny_dataset), killed))
    lines = killed.metrics_path.read_text().splitlines()
    killed.metrics_path.write_text("\n".join(lines[:-1]) + "\n" + '{"type": "ep')  # no summary, a torn line
    (isolated_home / "runs" / "not-a-run").mkdir()
    rows = {row.folder: row for row in list_runs()}
    assert set(rows) == {finished.path, killed.path}
    done = rows[finished.path]
    end = events[-1].evaluation
    assert done.status == "completed" and done.epochs_done == 2
    assert done.test_mse == pytest.approx(end.test_mse) and done.l0 == pytest.approx(end.l0)
    assert done.rho_hat_mean == pytest.approx(float(end.rho_hat.mean()))
    summary = json.loads(lines[-1])
    assert rows[killed.path].status == "running or killed" and rows[killed.path].epochs_done == 2
    assert rows[killed.path].test_mse == pytest.approx(summary["test_mse"])
    assert done.seconds > 0 and rows[killed.path].config["penalty"] == "l1"


def test_a_wide_dictionarys_finished_run_is_listed_as_completed(tiny_dataset, isolated_home):
    """A 1024-latent run's summary line (its per-latent figures) is ~23 kB; only the last 16 kB
    were read, the summary was not found, and the finished run read "running or killed" in the
    table and hollow on the frontier, beside "completed" in the status bar. A line torn by a kill
    after it is still passed over."""
    cfg = SMALL.replace(d_latent=1024, epochs=1)
    run = RunFolder.create(cfg)
    list(recorded(train(cfg, tiny_dataset), run))
    last = run.metrics_path.read_text().splitlines()[-1]
    assert len(last) > 16384 and json.loads(last)["type"] == "summary"
    [row] = list_runs()
    assert row.status == "completed" and row.epochs_done == 1
    with open(run.metrics_path, "a") as f:
        f.write('{"type": "ep')
    [row] = list_runs()
    assert row.status == "completed"


def test_a_run_stopped_inside_its_first_epoch_counts_the_time_it_trained(tiny_dataset, isolated_home):
    """The runs table read "0.0" s for a run stopped in its first epoch after 9 s: only finished
    epochs were summed, and only their training (the column said evaluation too)."""
    from sae_desktop.events import IntervalOutput, TrainingControl

    cfg = SMALL.replace(log_every=2)
    control, run = TrainingControl(), RunFolder.create(cfg)
    events = []
    for event in recorded(train(cfg, tiny_dataset, control), run):
        events.append(event)
        if isinstance(event, IntervalOutput):
            control.stop()  # at its first report: inside epoch 1
    end = events[-1]
    assert end.status == "stopped" and end.epochs_done == 0 and end.position.epoch_seconds > 0
    (row,) = list_runs()
    assert row.seconds == pytest.approx(end.position.epoch_seconds)
    finished = RunFolder.create(SMALL)
    history = [e for e in recorded(train(SMALL, tiny_dataset), finished)][-1].history
    row = next(r for r in list_runs() if r.folder == finished.path)
    assert row.seconds == pytest.approx(sum(h["epoch_seconds"] + h["eval_seconds"] for h in history))


def test_a_rescan_reads_only_the_runs_that_changed(isolated_home, monkeypatch):
    import sae_desktop.run_list as runs_module

    folders = []
    for i in range(5):
        run = RunFolder.create(TrainConfig(seed=i))
        run.write_config(TrainConfig(seed=i))
        run.append({"type": "epoch", "epoch": 1, "step": 10, "metrics/test_mse": 0.03})
        folders.append(run)
    read = []
    original = runs_module.summarise
    monkeypatch.setattr(runs_module, "summarise", lambda folder: read.append(folder.name) or original(folder))
    first, _ = runs_module.scan_runs()
    assert len(first) == 5 and len(read) == 5
    read.clear()
    again, _ = runs_module.scan_runs()
    assert read == [] and again == first  # nothing changed: nothing read again
    folders[2].append({"type": "epoch", "epoch": 2, "step": 20, "metrics/test_mse": 0.02})
    latest, _ = runs_module.scan_runs()
    assert read == [folders[2].path.name]
    changed = next(r for r in latest if r.folder == folders[2].path)
    assert changed.epochs_done == 2 and changed.test_mse == 0.02


def test_reference_runs_settings_read_as_the_runs_tables():
    """A reference point's tooltip said "l0_coeff=0.002" where the runs table writes "λ₀=…"."""
    from sae_desktop.run_list import reference_settings

    assert reference_settings({"mechanism": "jumprelu", "setting": "l0_coeff", "value": 0.002}) == "λ₀=0.002"
    assert reference_settings({"mechanism": "kl", "setting": "beta", "value": 0.02}) == "ρ=0.05 β=0.02"
    assert reference_settings({"mechanism": "topk", "setting": "k", "value": 2, "auxk": 0.03125}) == "k=2 AuxK 0.03125"
    assert reference_settings({"mechanism": "l1", "setting": "l1", "value": "much"}) == "λ=much"  # a malformed file


def _finished_run(tiny_dataset) -> RunFolder:
    run = RunFolder.create(SMALL.replace(epochs=1))
    list(recorded(train(SMALL.replace(epochs=1), tiny_dataset), run))
    return run


def test_one_entry_that_cannot_be_looked_at_hides_no_run(tiny_dataset, isolated_home):
    """A symlink loop in the runs folder made the scan itself fail: the table had no rows and
    said the whole runs folder was skipped ("Too many levels of symbolic links")."""
    from sae_desktop.run_list import scan_runs

    run = _finished_run(tiny_dataset)
    loop = isolated_home / "runs" / "loop"
    loop.symlink_to(loop)
    rows, skipped = scan_runs()
    assert [row.folder for row in rows] == [run.path]
    assert [name for name, _ in skipped] == ["loop"] and "symbolic links" in skipped[0][1]


def test_a_run_whose_settings_or_records_are_not_files_is_said_not_left_out(tiny_dataset, isolated_home):
    """A run folder without its config.json (or with a folder by that name) vanished from the table,
    unsaid, though it held its records and checkpoint; a folder just created (its marker alone) is
    no run yet, and is not said."""
    from sae_desktop.run_list import scan_runs

    no_config, config_folder, metrics_folder = (_finished_run(tiny_dataset) for _ in range(3))
    no_config.config_path.unlink()
    config_folder.config_path.unlink()
    config_folder.config_path.mkdir()
    metrics_folder.metrics_path.unlink()
    metrics_folder.metrics_path.mkdir()
    RunFolder.create(SMALL)  # (being created: only its marker so far)
    rows, skipped = scan_runs()
    assert rows == []
    reasons = dict(skipped)
    assert reasons == {no_config.path.name: "config.json is missing",
                       config_folder.path.name: "config.json is not a file",
                       metrics_folder.path.name: "metrics.jsonl is not a file"}


def test_a_line_added_after_the_summary_leaves_the_run_finished(tiny_dataset, isolated_home):
    """A note appended to metrics.jsonl after the summary turned a completed run into "running or
    killed"; a step record after it (a resumed run, training) still does."""
    run = _finished_run(tiny_dataset)
    with open(run.metrics_path, "a") as f:
        f.write('{"type": "note", "text": "the good one"}\n[1, 2]\n')
    assert [row.status for row in list_runs()] == ["completed"]
    with open(run.metrics_path, "a") as f:
        f.write('{"type": "step", "step": 99}\n')
    assert [row.status for row in list_runs()] == ["running or killed"]


@pytest.mark.parametrize(("field", "value", "said"), [
    ("test_mse", -1, "test_mse should be from 0 to 1, got -1"),
    ("test_mse", 1e300, "test_mse should be from 0 to 1, got 1e+300"),
    ("epochs_done", -3, "epochs_done should be from 0 to 10000, got -3"),
    ("dead_latents", 9, "dead_latents should be from 0 to 8, got 9"),
    ("l0", -0.5, "l0 should be from 0 to 8, got -0.5"),
    ("fvu", -0.1, "fvu should be 0 or more, got -0.1"),
    ("frac_alive", 1.5, "frac_alive should be from 0 to 1, got 1.5"),
    ("status", "x" * 5000, "status should be one of completed, stopped, diverged, got \"xxxxx"),
])
def test_a_summary_with_impossible_figures_is_skipped_with_its_reason(tiny_dataset, isolated_home, field, value,
                                                                       said):
    """An edited summary line was shown as it was: "-3" epochs, a test MSE of "-1.00000", a
    5000-character status that pushed every figure off the table, a frontier axis up to 1e300."""
    from sae_desktop.run_list import scan_runs

    run = _finished_run(tiny_dataset)
    *records, summary = run.metrics_path.read_text().splitlines()
    run.metrics_path.write_text("\n".join([*records, json.dumps({**json.loads(summary), field: value})]) + "\n")
    rows, skipped = scan_runs()
    assert rows == [] and len(skipped) == 1
    assert skipped[0][1].startswith(f"metrics.jsonl summary: {said}"), skipped


def test_a_run_whose_settings_are_out_of_range_is_skipped_with_its_reason(tiny_dataset, isolated_home):
    """A config.json with a learning rate of NaN, or batches of 0 digits, was listed as a run."""
    from sae_desktop.run_list import scan_runs

    run = _finished_run(tiny_dataset)
    record = json.loads(run.config_path.read_text())
    record["config"]["batch_size"] = 0
    run.config_path.write_text(json.dumps(record))
    rows, skipped = scan_runs()
    assert rows == [] and skipped[0][1].startswith("config.json: --batch-size 0"), skipped


def test_a_run_whose_records_are_gone_says_so_not_that_no_epoch_finished(tiny_dataset, isolated_home):
    """metrics.jsonl emptied (or deleted): the row said "no epoch finished", 0 epochs, while "Show"
    opened its model as "completed (1 epoch)". A run just started (no checkpoint yet) still reads
    "no epoch finished"."""
    from sae_desktop.runs import RECORDS_LOST

    run = _finished_run(tiny_dataset)
    run.metrics_path.write_text("")
    assert [(row.status, row.test_mse) for row in list_runs()] == [(RECORDS_LOST, None)]
    run.metrics_path.unlink()
    assert [row.status for row in list_runs()] == [RECORDS_LOST]
    starting = RunFolder.create(SMALL)
    starting.write_config(SMALL)
    assert {row.folder: row.status for row in list_runs()}[starting.path] == "no epoch finished"
