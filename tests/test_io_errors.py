"""I/O errors are one line naming the path and the cause, exit 1, and nothing saved is lost."""

import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sae_desktop import safe_write
from sae_desktop.cli import main
from sae_desktop.snapshot import bundled_model_path
from tests.test_safe_writes import TINY, one_line_error

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KB file system (tmpfs), where the machine allows mounting one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_keeps_the_old_file(tiny_disk, capsys):
    out = tiny_disk / "m.safetensors"
    out.write_bytes(b"precious")
    (tiny_disk / "filler").write_bytes(bytes(40_000))
    assert main(["save-weights", str(bundled_model_path()), str(out), "--dtype", "float32"]) == 1
    err = one_line_error(capsys)
    assert "No space left on device" in err and str(tiny_disk) in err
    assert out.read_bytes() == b"precious" and sorted(p.name for p in tiny_disk.iterdir()) == ["filler",
                                                                                              "m.safetensors"]


def test_a_full_disk_simulated(tmp_path, monkeypatch, capsys):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safe_write.os, "fsync", full)
    out = tmp_path / "m.safetensors"
    assert main(["save-weights", str(bundled_model_path()), str(out)]) == 1
    assert "No space left on device" in one_line_error(capsys) and not list(tmp_path.iterdir())


def test_a_read_only_folder(tmp_path, monkeypatch, capsys):
    """Simulated: root writes into read-only folders."""
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path))

    monkeypatch.setattr(safe_write.tempfile, "mkstemp", read_only)
    assert main(["save-weights", str(bundled_model_path()), str(tmp_path / "m.safetensors")]) == 1
    assert f"{tmp_path / 'm.safetensors'}: Read-only file system" in one_line_error(capsys)


def test_a_home_that_is_a_file(tmp_path, tiny_data_dir, monkeypatch, capsys):
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("SAE_DESKTOP_HOME", str(home))
    assert main(["train", *TINY, "--data-dir", str(tiny_data_dir)]) == 1
    err = one_line_error(capsys)
    assert str(home) in err and home.read_text() == "not a folder"


def test_a_runs_folder_that_is_a_file_is_said_so(tmp_path, tiny_data_dir, monkeypatch, capsys):
    """It said "…/runs: File exists", and the Runs tab "No runs yet: train one"."""
    from sae_desktop.run_list import scan_runs

    home = tmp_path / "home"
    home.mkdir()
    (home / "runs").write_text("x")
    monkeypatch.setenv("SAE_DESKTOP_HOME", str(home))
    assert main(["train", *TINY, "--data-dir", str(tiny_data_dir)]) == 1
    assert one_line_error(capsys).strip().endswith(f"{home / 'runs'}: a file is there, where a folder is needed")
    assert scan_runs() == ([], [(str(home / "runs"), "a file is there, where the runs folder should be")])


def test_over_long_names_and_missing_folders(tmp_path, capsys):
    long = tmp_path / ("a" * 300 + ".safetensors")
    assert main(["save-weights", str(bundled_model_path()), str(long)]) == 1
    assert "too long" in one_line_error(capsys)
    # a name that is valid, but whose temp file beside it would not be: still written
    assert main(["save-weights", str(bundled_model_path()), str(tmp_path / ("b" * 240 + ".safetensors"))]) == 0
    capsys.readouterr()
    assert main(["save-weights", str(bundled_model_path()), str(tmp_path / "nowhere" / "m.safetensors")]) == 1
    assert "does not exist" in one_line_error(capsys)


def test_an_unwritable_out_is_said_before_training(tmp_path, tiny_data_dir, isolated_home, capsys):
    assert main(["train", *TINY, "--data-dir", str(tiny_data_dir), "--out", str(tmp_path / "no" / "x")]) == 1
    assert "does not exist" in one_line_error(capsys)
    assert not (isolated_home / "runs").exists()  # refused before a run folder was made


def test_probe_save_dir_that_is_a_file(tmp_path, capsys):
    target = tmp_path / "out"
    target.write_text("keep")
    image = REPO / "resources" / "screenshots" / "probe.png"
    assert main(["probe", str(image), "--save-dir", str(target)]) == 1
    assert str(target) in one_line_error(capsys) and target.read_text() == "keep"


def test_the_run_folder_deleted_mid_run(tmp_path, tiny_data_dir):
    env = dict(os.environ, SAE_DESKTOP_HOME=str(tmp_path), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "sae_desktop", "train", *TINY, "--epochs", "400",
                             "--data-dir", str(tiny_data_dir)], stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env)
    try:
        deadline = time.monotonic() + 240
        while not list(tmp_path.glob("runs/*/checkpoint.safetensors")) and time.monotonic() < deadline:
            time.sleep(0.05)
        # Renaming is atomic, so the still-writing run cannot add a file between the removal of a
        # folder's files and of the folder itself (which made a plain rmtree flaky).
        (tmp_path / "runs").rename(tmp_path / "deleted")
        shutil.rmtree(tmp_path / "deleted", ignore_errors=True)
        _, err = proc.communicate(timeout=240)
    finally:
        proc.kill()
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert "Traceback" not in err and str(tmp_path) in lines[-1]
    # the cause, as the OS says it or as the pre-write check does (which one depends on the moment)
    assert "No such file or directory" in lines[-1] or "does not exist" in lines[-1], lines[-1]
