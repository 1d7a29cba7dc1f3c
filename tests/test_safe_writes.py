"""No data loss: a command changes only the files it exists to change (issue 18, first class)."""

import json
import os
import stat
from pathlib import Path

import pytest

from sae_desktop.checkpoint import load_checkpoint
from sae_desktop.cli import main
from sae_desktop.runs import MARKER, RunFolder
from sae_desktop.safe_write import OutputRefused, atomic_write_bytes
from sae_desktop.snapshot import bundled_model_path

TINY = ["--epochs", "1", "--batch-size", "64", "--hidden", "16", "--latent", "8", "--device", "cpu",
        "--no-download"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def trained(tiny_data_dir, isolated_home, capsys) -> RunFolder:
    assert main(["train", *TINY, "--data-dir", str(tiny_data_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    return RunFolder(Path(summary["run_dir"]))


def test_a_new_run_folder_carries_the_marker(trained):
    assert (trained.path / MARKER).is_file() and trained.is_ours


def test_resuming_from_a_folder_that_is_not_a_run_of_ours_leaves_it_alone(trained, tiny_data_dir, tmp_path,
                                                                          isolated_home, capsys):
    foreign = tmp_path / "f"
    foreign.mkdir()
    (foreign / "checkpoint.safetensors").write_bytes(trained.checkpoint_path.read_bytes())
    (foreign / "config.json").write_text('{"mine":1}')
    (foreign / "metrics.jsonl").write_text('{"note":"keep"}\n')
    before = snapshot(foreign)
    assert main(["train", "--resume", str(foreign / "checkpoint.safetensors"), "--epochs", "2",
                 "--data-dir", str(tiny_data_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert snapshot(foreign) == before  # not one byte changed
    new = RunFolder(Path(summary["run_dir"]))
    assert new.path != foreign and new.is_ours and load_checkpoint(new.checkpoint_path).epoch == 2
    assert [r["epoch"] for r in new.read_metrics() if r["type"] == "epoch"] == [1, 2]  # the history came along


def test_outputs_that_are_not_regular_files_are_refused(trained, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(["save-weights", str(trained.checkpoint_path), str(fifo)]) == 1
    assert "not a regular file" in one_line_error(capsys) and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    folder = tmp_path / "dir.safetensors"
    folder.mkdir()
    with pytest.raises(OutputRefused):
        atomic_write_bytes(folder, b"x")
    assert folder.is_dir()


def test_a_symlinked_output_is_written_through(trained, tmp_path, capsys):
    target = tmp_path / "real.safetensors"
    target.write_bytes(b"old")
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    assert main(["save-weights", str(trained.checkpoint_path), str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)  # the link stays a link
    assert load_checkpoint(target).optimizer is None  # and its target got the weights


def test_writing_over_the_input_or_a_runs_checkpoint_is_refused(trained, tmp_path, tiny_data_dir, capsys):
    ckpt = trained.checkpoint_path
    before = ckpt.read_bytes()
    assert main(["save-weights", str(ckpt), str(ckpt)]) == 1
    assert "refusing" in one_line_error(capsys) and ckpt.read_bytes() == before
    assert load_checkpoint(ckpt).optimizer is not None  # still resumable
    other = tmp_path / "model.safetensors"
    other.write_bytes(before)
    link = tmp_path / "alias.safetensors"
    link.symlink_to(other)
    assert main(["save-weights", str(other), str(link)]) == 1  # the input under another name
    assert "over the input" in one_line_error(capsys) and other.read_bytes() == before
    assert main(["save-weights", str(bundled_model_path()), str(ckpt)]) == 1  # over a run's autosave
    assert "run folder" in one_line_error(capsys) and ckpt.read_bytes() == before
    assert main(["train", *TINY, "--data-dir", str(tiny_data_dir), "--out", str(ckpt)]) == 1
    assert "run folder" in one_line_error(capsys) and ckpt.read_bytes() == before


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "m.bin"
    path.write_bytes(b"old")
    path.chmod(0o644)
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_new_file_gets_the_permissions_open_would_give(tmp_path):
    """A saved model was written with mkstemp's 0600: a colleague could not read it (exports 0644)."""
    mask = os.umask(0o022)  # (this test's own, set back below)
    try:
        path = atomic_write_bytes(tmp_path / "model.safetensors", b"x")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        os.chmod(path, 0o600)  # a file the user made private stays private when saved over
        atomic_write_bytes(path, b"y")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(mask)
