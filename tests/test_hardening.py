"""Bad input and faults, row by row from the hardening table: nothing lost, nothing crashes."""

import json
import os
import pickle
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sae_desktop.checkpoint import CheckpointError, load_checkpoint, to_bytes
from sae_desktop.config import TrainConfig
from sae_desktop import engine
from sae_desktop.engine import train
from sae_desktop.trainer import Trainer
from sae_desktop.runs import CHECKPOINT, RunFolder
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path
from tests.conftest import load_file

SMALL = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")


def bad_files(tmp_path):
    good = bundled_model_path().read_bytes()
    archive = tmp_path / "zip.safetensors"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("data.pkl", pickle.dumps({"a": 1}))
    files = {"truncated": good[: len(good) // 3], "random": os.urandom(5000), "empty": b"",
             "pickle": pickle.dumps({"W_enc1": [1.0]}), "zip": archive.read_bytes()}
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.safetensors"
        paths[name].write_bytes(data)
    return paths


def test_bad_checkpoints_keep_the_current_model(gui_window, tmp_path):
    before = gui_window.shown.snapshot
    for name, path in bad_files(tmp_path).items():
        assert not gui_window.model_files.open(path), name
        assert gui_window.shown.snapshot is before
        assert "\n" not in gui_window.notices[-1].split(": ", 1)[1], name  # one line
    assert gui_window.probe_view.result is None or np.isfinite(gui_window.probe_view.result.mse)


def test_saving_into_a_read_only_folder_or_full_disk_keeps_the_old_file(gui_window, tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    assert gui_window.model_files.save_to(path)
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    assert not gui_window.model_files.save_to(path)
    assert "No space left" in gui_window.notices[-1] and path.read_bytes() == before


def test_unavailable_device_offers_the_cpu(qtbot, gui_window):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    gui_window.panel.set_config(SMALL.replace(device="cuda"))  # e.g. settings from another machine
    with qtbot.waitSignal(gui_window.controller.runFailed, timeout=10000):
        gui_window.start_training()
    qtbot.waitUntil(lambda: gui_window.controller.state == "idle", timeout=5000)
    assert "cpu" in gui_window.notices[-1]
    offer = [b for b in gui_window.notice_box.buttons() if b.text() == "Use the CPU"]
    assert offer
    offer[0].click()
    assert gui_window.panel.config().device == "cpu"


def test_out_of_memory_is_a_clear_message(qtbot, gui_window, monkeypatch):
    def no_memory(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(engine, "make_trainer", no_memory)
    gui_window.panel.set_config(SMALL)
    with qtbot.waitSignal(gui_window.controller.runFailed, timeout=10000) as failed:
        gui_window.start_training()
    assert "Not enough memory" in failed.args[0]
    qtbot.waitUntil(lambda: gui_window.controller.state == "idle", timeout=5000)


def test_divergence_in_the_window_is_reported_with_the_good_weights_kept(qtbot, gui_window, monkeypatch):
    original = Trainer.run_steps

    def blow_up(self, idx, lrs):
        with torch.no_grad():
            self.model.b_enc1[0] = float("nan")  # before the steps: the tiny epoch is a single report interval
        original(self, idx, lrs)

    monkeypatch.setattr(Trainer, "run_steps", blow_up)
    gui_window.panel.set_config(SMALL.replace(log_every=1))
    with qtbot.waitSignal(gui_window.controller.runEnded, timeout=10000) as ended:
        gui_window.start_training()
    assert ended.args[0].status == "diverged"
    qtbot.waitUntil(lambda: gui_window.controller.state == "idle", timeout=5000)
    assert any("diverged" in n for n in gui_window.notices)
    assert all(np.isfinite(np.asarray(w)).all() for w in gui_window.shown.snapshot.weights.values())


def test_closing_mid_save_leaves_a_valid_autosave(qtbot, gui_window, monkeypatch):
    monkeypatch.setenv("SAE_DESKTOP_FAULT_SAVE_DELAY", "0.4")  # every save is slow: close lands inside one
    gui_window.panel.set_config(SMALL.replace(epochs=100))
    gui_window.start_training()
    qtbot.waitUntil(lambda: gui_window.controller.run_dir is not None and
                    any(gui_window.controller.run_dir.glob(f".{CHECKPOINT}.*.tmp")), timeout=10000)
    monkeypatch.setattr(type(gui_window), "confirm_stop_and_close", lambda self: True)
    t0 = time.monotonic()
    gui_window.close()
    assert time.monotonic() - t0 < 2.5  # the save in progress completes (0.4 s), then the worker stops
    ckpt = load_checkpoint(gui_window.controller.run_dir / CHECKPOINT)
    assert ckpt.epoch >= 1 and not list(gui_window.controller.run_dir.glob("*.tmp"))


def test_images_that_are_not_images_or_are_huge_are_refused_in_the_window(qtbot, gui_window, tmp_path):
    view = gui_window.probe_view
    Image.new("1", (20000, 20000)).save(tmp_path / "huge.png")
    assert not load_file(qtbot, view, tmp_path / "huge.png")
    assert "too" in view.ood_label.text()
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[5:35, 18:22] = (0, 0, 0, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    assert load_file(qtbot, view, tmp_path / "rgba.png") and np.isfinite(view.result.mse)
    Image.new("L", (1, 1), 0).save(tmp_path / "tiny.png")
    assert not load_file(qtbot, view, tmp_path / "tiny.png")  # 1×1 black: blank, said so


def test_metadata_paths_are_never_used_to_write(tmp_path, tiny_dataset, isolated_home):
    """A checkpoint whose metadata names another folder still resumes into the runs folder."""
    end = list(train(SMALL, tiny_dataset))[-1]
    from sae_desktop.runs import checkpoint_of

    ckpt = checkpoint_of(SMALL, end.weights, end.optimizer, 1, end.history, None,
                         run_dir="../../../../tmp/evil", name="/etc/passwd")
    path = tmp_path / "outside.safetensors"
    path.write_bytes(to_bytes(ckpt))
    proc = subprocess.run([sys.executable, "-m", "sae_desktop", "train", "--resume", str(path), "--epochs", "2",
                           "--json", "--no-download", "--data-dir", str(tiny_dataset.root)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(json.loads(proc.stdout.splitlines()[-1])["run_dir"])
    assert run_dir.parent == isolated_home / "runs" and not Path("/tmp/evil").exists()
    assert ModelSnapshot.load(path).name == "outside.safetensors"  # the file name, not the metadata's


def start_training(data_dir, *extra, env=None, as_json=True):
    return subprocess.Popen([sys.executable, "-m", "sae_desktop", "train", "--epochs", "400", "--batch-size", "64",
                             "--hidden", "16", "--latent", "8", "--device", "cpu", "--no-download",
                             *["--json"] * as_json, "--data-dir", str(data_dir), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))


def terminated_after(proc, home, epochs: int) -> tuple[str, str]:
    """``proc``'s (stdout, stderr), sent SIGTERM once its run in ``home`` has ``epochs`` epochs."""
    try:
        assert wait_for(lambda: the_run(home) is not None and len(epochs_in(the_run(home))) >= epochs)
        proc.send_signal(signal.SIGTERM)
        return proc.communicate(timeout=60)
    finally:
        proc.kill()


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def the_run(home):
    runs = list((home / "runs").iterdir()) if (home / "runs").is_dir() else []
    return RunFolder(runs[0]) if len(runs) == 1 else None


def epochs_in(run):
    return [r["epoch"] for r in run.read_metrics() if r["type"] == "epoch"]


def resume_and_check(run, data_dir, total):
    proc = subprocess.run([sys.executable, "-m", "sae_desktop", "train", "--resume", str(run.checkpoint_path),
                           "--epochs", str(total), "--json", "--no-download", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert epochs_in(run) == list(range(1, total + 1))  # history intact: no gap, no repeat
    assert load_checkpoint(run.checkpoint_path).epoch == total
    assert len(load_checkpoint(run.checkpoint_path).history) == total
    assert not list(run.path.glob("*.tmp"))


def test_sigkill_during_an_epoch_then_resume(tiny_data_dir, isolated_home):
    proc = start_training(tiny_data_dir)
    try:
        assert wait_for(lambda: the_run(isolated_home) is not None and len(epochs_in(the_run(isolated_home))) >= 3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    run = the_run(isolated_home)
    done = load_checkpoint(run.checkpoint_path).epoch
    assert done >= 2
    resume_and_check(run, tiny_data_dir, done + 2)


def test_sigterm_stops_training_as_ctrl_c_does_then_resume(tiny_data_dir, isolated_home):
    """``kill`` (or ``timeout``, a job scheduler) killed the process outright: the epoch under way
    lost, a save in progress left its temp file. It now stops as Ctrl+C does."""
    proc = start_training(tiny_data_dir)
    out, err = terminated_after(proc, isolated_home, 2)
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err
    summary = json.loads(out.splitlines()[-1])
    assert summary["type"] == "summary" and summary["status"] == "stopped"
    run = the_run(isolated_home)
    assert not list(run.path.glob("*.tmp"))
    resume_and_check(run, tiny_data_dir, load_checkpoint(run.checkpoint_path).epoch + 2)


def test_a_stopped_training_says_so_once(tiny_data_dir, isolated_home):
    """Its text said "stopped: stopped by request at step 970 (epoch 3); weights kept"."""
    proc = start_training(tiny_data_dir, as_json=False)
    _, err = terminated_after(proc, isolated_home, 1)
    assert proc.returncode == 130, (proc.returncode, err)
    lines = err.splitlines()
    assert any(line.startswith("stopped by request at step") and line.endswith("weights kept") for line in lines), err
    assert not any("stopped: stopped" in line for line in lines), err


def test_sigkill_during_a_save_then_resume(tiny_data_dir, isolated_home):
    proc = start_training(tiny_data_dir, env={"SAE_DESKTOP_FAULT_SAVE_DELAY": "0.5"})
    try:
        def saving_second_epoch():
            run = the_run(isolated_home)
            return run is not None and run.checkpoint_path.is_file() and any(run.path.glob(".*.tmp"))

        assert wait_for(saving_second_epoch)  # epoch 1 saved; epoch 2's save is half done
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    run = the_run(isolated_home)
    assert any(run.path.glob(".*.tmp"))  # the interrupted save's temp file
    ckpt = load_checkpoint(run.checkpoint_path)  # the previous autosave is intact
    assert ckpt.epoch >= 1
    resume_and_check(run, tiny_data_dir, ckpt.epoch + 2)


def test_checkpoint_loader_never_raises_anything_else_on_mutations(tmp_path):
    data = bytearray(bundled_model_path().read_bytes())
    rng = np.random.default_rng(0)
    outcomes = {"loaded": 0, "refused": 0}
    for trial in range(60):
        blob = bytearray(data)
        for _ in range(rng.integers(1, 20)):
            blob[int(rng.integers(0, len(blob)))] = int(rng.integers(0, 256))
        path = tmp_path / f"m{trial}.safetensors"
        path.write_bytes(bytes(blob[: int(rng.integers(0, len(blob) + 1))]))
        try:  # anything but a CheckpointError fails the test
            ckpt = load_checkpoint(path)
        except CheckpointError as exc:
            outcomes["refused"] += 1
            assert str(exc) and "\n" not in str(exc)  # one line, fit for a user
        else:
            outcomes["loaded"] += 1  # a mutation that leaves a loadable file gives well-formed weights
            assert set(ckpt.weights) == set(load_checkpoint(bundled_model_path()).weights)
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == 60


def test_garbage_holding_qt_objects_is_collected_on_the_gui_thread(qtbot, gui_window):
    """A worker's allocations must not run the cycle collector: it would destroy Qt objects
    off the GUI thread (which deadlocked the window in a test run)."""
    import gc
    import threading
    import weakref

    from PySide6.QtCore import QObject

    assert not gc.isenabled()
    collected_in = []

    class Cycle:
        def __init__(self):
            self.me = self
            self.qobject = QObject()  # destroyed with the cycle, in the thread that collects it

    cycle = Cycle()
    weakref.finalize(cycle, lambda: collected_in.append(threading.current_thread()))
    del cycle  # unreachable now, but only the cycle collector can free it
    kept = []
    worker = threading.Thread(target=lambda: kept.append([[] for _ in range(20_000)]))  # crosses the threshold
    worker.start()
    worker.join()
    assert collected_in == []
    qtbot.waitUntil(lambda: len(collected_in) > 0, timeout=5000)
    assert collected_in == [threading.main_thread()]
