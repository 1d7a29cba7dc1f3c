"""The window never dies: bad run folders, no display, malformed models (issue 18)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sae_desktop.display import display_problem
from sae_desktop.run_list import scan_runs

REPO = Path(__file__).resolve().parent.parent


def write_run(base: Path, name: str, summary: dict | None = None, config=None, metrics: bytes | None = None) -> Path:
    folder = base / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"config": {"dataset": "mnist", "penalty": "kl", "d_latent": 32}
                                                    if config is None else config}))
    lines = metrics if metrics is not None else b""
    if summary is not None:
        record = {"type": "summary", "status": "completed", "epochs_done": 1, "test_mse": 0.02, "l0": 3.0,
                  "dead_latents": 0, "rho_hat": [0.05, 0.06], "epoch_seconds": [1.0], **summary}
        lines += json.dumps(record).encode() + b"\n"
    (folder / "metrics.jsonl").write_bytes(lines)
    return folder


def bad_runs(base: Path) -> set[str]:
    write_run(base, "20260101-000000-mnist-kl", {})  # a good one
    write_run(base, "20260101-000001-mnist-kl", {"rho_hat": "abc"})
    write_run(base, "20260101-000002-mnist-kl", {"test_mse": "0.1"})
    write_run(base, "20260101-000003-mnist-kl", {"epoch_seconds": [1, None]})
    write_run(base, "20260101-000004-mnist-kl", {"l0": float("nan")})
    write_run(base, "20260101-000005-mnist-kl", {}, config={"d_latent": "many"})
    write_run(base, "20260101-000006-mnist-kl", {}, config=[1, 2])
    epoch = {"type": "epoch", "epoch": 1, "step": 10, "metrics/test_mse": 0.02, "metrics/l0": 3.0,
             "metrics/dead_latents": 0, "metrics/rho_hat_mean": 0.05, "epoch_seconds": 1.0}
    write_run(base, "20260101-000007-mnist-kl", None, metrics=b"\xff\xfe not utf-8\n" + json.dumps(epoch).encode()
              + b"\n")  # a killed run with one non-UTF-8 line: still listed
    write_run(base, "20260101-000008-mnist-kl", None, metrics=json.dumps({**epoch, "epoch_seconds": "x"}).encode())
    return {f"20260101-00000{i}-mnist-kl" for i in (1, 2, 3, 4, 5, 6, 8)}


def test_malformed_run_folders_are_skipped_and_named(tmp_path):
    skipped_names = bad_runs(tmp_path)
    rows, skipped = scan_runs(tmp_path)
    assert {r.name for r in rows} == {"20260101-000000-mnist-kl", "20260101-000007-mnist-kl"}
    assert {name for name, _ in skipped} == skipped_names
    assert all("\n" not in why and why for _, why in skipped)
    assert any("rho_hat" in why for _, why in skipped)


def test_the_runs_tab_opens_with_malformed_run_folders(qtbot, gui_window, isolated_home):
    """It crashed the whole app (a segmentation fault in shiboken reporting the exception that
    escaped the tab's showEvent), and a training running in it."""
    skipped_names = bad_runs(isolated_home / "runs")
    gui_window.tabs.setCurrentWidget(gui_window.runs_view)
    qtbot.waitUntil(lambda: gui_window.runs_view.table.rowCount() == 2, timeout=5000)
    view = gui_window.runs_view
    assert "Skipped 7 run folders" in view.skipped_label.text() and view.skipped_label.isVisible()
    assert all(name in view.skipped_label.toolTip() for name in skipped_names)
    assert view.width() <= gui_window.width()  # the long reasons wrap instead of widening the window


def no_display_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland only")
def test_no_display_is_one_line_and_exit_1_not_sigabrt(tmp_path):
    for args in ([], ["gui"]):
        proc = subprocess.run([sys.executable, "-m", "sae_desktop", *args], capture_output=True, text=True,
                              env=no_display_env(), cwd=tmp_path, timeout=120)
        assert proc.returncode == 1, (proc.returncode, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "no display" in proc.stderr and "sae-desktop train" in proc.stderr


def test_display_problem_reads_the_environment(tmp_path):
    assert display_problem({}, "darwin") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert "DISPLAY is not set" in display_problem({}, "linux")
    assert "cannot reach" in display_problem({"DISPLAY": ":987"}, "linux")
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert "WAYLAND_DISPLAY" in display_problem({"QT_QPA_PLATFORM": "wayland"}, "linux")


def malformed_models(tmp_path: Path) -> list[Path]:
    import struct

    from sae_desktop.checkpoint import Checkpoint, to_bytes
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder

    def with_meta(**changes):
        data = to_bytes(Checkpoint(ModelConfig(d_hidden=8, d_latent=4),
                                   SparseAutoencoder(ModelConfig(d_hidden=8, d_latent=4)).snapshot()))
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
        header["__metadata__"].update(changes)
        raw = json.dumps(header).encode()
        return struct.pack("<Q", len(raw)) + raw + data[8 + n:]

    cfg = ModelConfig(d_in=100, d_hidden=8, d_latent=4)
    blobs = {"wide": to_bytes(Checkpoint(cfg, SparseAutoencoder(cfg).snapshot())),
             "extra": with_meta(extra="[1]"), "history": with_meta(history='[1, 2]'),
             "epoch": with_meta(epoch="-1"), "deep": with_meta(model_config="[" * 50_000 + "]" * 50_000)}
    paths = []
    for name, blob in blobs.items():
        paths.append(tmp_path / f"{name}.safetensors")
        paths[-1].write_bytes(blob)
    return paths


def test_malformed_models_are_refused_with_a_dialog(gui_window, tmp_path):
    before = gui_window.shown.snapshot
    for path in malformed_models(tmp_path):
        assert not gui_window.model_files.open(path), path.name
        assert gui_window.shown.snapshot is before
        assert path.name in gui_window.notices[-1] and "\n" not in gui_window.notices[-1]


def test_gui_model_flag_with_a_malformed_model_opens_the_window_with_a_notice(qtbot, tmp_path, tiny_data_dir,
                                                                            monkeypatch, no_thread_left):
    from sae_desktop.qt.app import build_window, create_app

    monkeypatch.setenv("SAE_DESKTOP_DATA", str(tiny_data_dir))
    create_app()
    for path in malformed_models(tmp_path)[:2]:
        window = build_window(str(path))
        qtbot.addWidget(window)
        assert "Could not open the model" in window.notices[-1] and path.name in window.notices[-1]
        # the model shown last, else the bundled one, instead of none ("No model" in the status bar)
        assert window.shown.snapshot is not None and window.shown.snapshot.name in window.notices[-1]
        window.controller.shutdown(2000)
