"""Runs on disk: one folder per training run, written the same way by the CLI and the window.

    <runs>/<YYYYmmdd-HHMMSS>-<dataset>-<penalty>/
        config.json               training config, device, versions
        metrics.jsonl             one JSON object per report step, per epoch, and a final summary
        checkpoint.safetensors    autosaved atomically after every epoch (and when stopped)

A killed run loses at most the epoch in progress: ``--resume <folder>/checkpoint.safetensors``
continues in the same folder, dropping metrics lines past the checkpoint's epoch.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from sae_desktop import paths
from sae_desktop.checkpoint import Checkpoint, atomic_write_bytes, package_versions, save_checkpoint
from sae_desktop.config import TrainConfig
from sae_desktop.events import EpochOutput, Event, IntervalOutput, Revival, RunEnd, RunStart

CONFIG, METRICS, CHECKPOINT = "config.json", "metrics.jsonl", "checkpoint.safetensors"


@dataclass
class RunFolder:
    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    @classmethod
    def create(cls, cfg: TrainConfig, base: Path | None = None) -> RunFolder:
        base = Path(base) if base else paths.runs_dir()
        base.mkdir(parents=True, exist_ok=True)
        stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{cfg.dataset}-{cfg.penalty}"
        for n in range(1000):
            candidate = base / (stem if n == 0 else f"{stem}-{n}")
            try:
                candidate.mkdir()
                return cls(candidate)
            except FileExistsError:
                continue
        raise OSError(f"could not create a run folder in {base}")

    @classmethod
    def containing(cls, checkpoint: Path) -> RunFolder | None:
        """The run folder a checkpoint was autosaved in, if it is one."""
        checkpoint = Path(checkpoint)
        folder = checkpoint.parent
        if checkpoint.name == CHECKPOINT and (folder / CONFIG).is_file():
            return cls(folder)
        return None

    def write_config(self, cfg: TrainConfig, **extra) -> None:
        record = {"config": cfg.to_dict(), "versions": package_versions(), **extra}
        atomic_write_bytes(self.config_path, (json.dumps(record, indent=2) + "\n").encode())

    def read_config(self) -> dict:
        return json.loads(self.config_path.read_text())

    def append(self, record: dict) -> None:
        with open(self.metrics_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict]:
        """All records; a torn last line (killed mid-write) is skipped."""
        if not self.metrics_path.is_file():
            return []
        records = []
        for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict):
                records.append(rec)
        return records

    def truncate_to_epoch(self, epochs_done: int) -> None:
        """Keep only the records of epochs ≤ ``epochs_done`` (before resuming from there)."""
        kept = [r for r in self.read_metrics()
                if r.get("type") in ("step", "epoch", "revival") and float(r.get("epoch", 0)) <= epochs_done]
        atomic_write_bytes(self.metrics_path, "".join(json.dumps(r) + "\n" for r in kept).encode())

    def save(self, checkpoint: Checkpoint) -> Path:
        return save_checkpoint(checkpoint, self.checkpoint_path)


def summary_record(start: RunStart, end: RunEnd, run: RunFolder | None) -> dict:
    """The final line of a run (and of ``sae-desktop train --json``)."""
    ev = end.evaluation
    record = {
        "type": "summary",
        "status": end.status,
        "message": end.message,
        "epochs_done": end.epochs_done,
        "step": end.step,
        "device": end.device,
        "seed": start.config.seed,
        "epoch_seconds": [h["epoch_seconds"] for h in end.history],
        "run_dir": str(run.path) if run else None,
        "checkpoint": str(run.checkpoint_path) if run else None,
    }
    if ev is not None:
        record.update(ev.summary())
    return record


def checkpoint_of(cfg: TrainConfig, weights, optimizer, epochs_done: int, history: list[dict],
                  evaluation=None, **extra) -> Checkpoint:
    return Checkpoint(
        model_config=cfg.model_config(), weights=weights, train_config=cfg, optimizer=optimizer,
        epoch=epochs_done, history=list(history),
        test_error_quantiles=evaluation.test_error_quantiles if evaluation is not None else None,
        extra=extra,
        test_score_quantiles=evaluation.test_score_quantiles if evaluation is not None else None,
    )


def recorded(events: Iterable[Event], run: RunFolder) -> Iterator[Event]:
    """Pass ``events`` through, writing the run folder as they go (in the caller's thread)."""
    start: RunStart | None = None
    history: list[dict] = []
    for event in events:
        if isinstance(event, RunStart):
            start, history = event, list(event.history)
            run.write_config(event.config, device=event.device, started=time.strftime("%Y-%m-%dT%H:%M:%S"),
                             resumed_from_epoch=event.start_epoch)
            if event.start_epoch:
                run.truncate_to_epoch(event.start_epoch)
                if not any(r.get("type") == "epoch" for r in run.read_metrics()):
                    for rec in event.history:  # resumed from a file outside any run folder
                        run.append(rec)
        elif isinstance(event, (IntervalOutput, Revival)):
            run.append(event.to_json())
        elif isinstance(event, EpochOutput):
            assert start is not None
            history.append(event.record())
            run.append(history[-1])
            run.save(checkpoint_of(start.config, event.weights, event.optimizer, event.epoch,
                                   history, event.evaluation, run_dir=run.path.name))
        elif isinstance(event, RunEnd):
            assert start is not None
            if event.status == "stopped":  # "stop keeps the weights": the file holds what the user sees
                run.save(checkpoint_of(start.config, event.weights, event.optimizer, event.epochs_done,
                                       event.history, event.evaluation, run_dir=run.path.name,
                                       stopped_at_step=event.step))
            run.append(summary_record(start, event, run))
        yield event


@dataclass
class RunSummary:
    """One row of the runs table (what the runs view and the frontier plot show)."""

    folder: Path
    config: dict
    status: str
    epochs_done: int
    test_mse: float | None
    l0: float | None
    dead_latents: int | None
    rho_hat_mean: float | None
    seconds: float
    fvu: float | None = None  # older runs did not record these
    frac_alive: float | None = None
    frac_dense: float | None = None

    @property
    def name(self) -> str:
        return self.folder.name


def _last_summary(path: Path, tail_bytes: int = 16384) -> dict | None:
    """The run's summary line, read from the end of metrics.jsonl (a summary is always last)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - tail_bytes))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        return record if isinstance(record, dict) and record.get("type") == "summary" else None
    return None


def summarise(folder: Path) -> RunSummary | None:
    """One row of the runs table; None if the folder is not a run."""
    run = RunFolder(folder)
    try:
        config = run.read_config().get("config", {})
    except (OSError, json.JSONDecodeError, AttributeError):
        return None
    summary = _last_summary(run.metrics_path)
    if summary is not None:  # a finished run: its last line says everything, no need to read the rest
        rho = summary.get("rho_hat") or []
        return RunSummary(folder, config, summary.get("status", "?"), summary.get("epochs_done", 0),
                          summary.get("test_mse"), summary.get("l0"), summary.get("dead_latents"),
                          sum(rho) / len(rho) if rho else None, sum(summary.get("epoch_seconds") or []),
                          summary.get("fvu"), summary.get("frac_alive"), summary.get("frac_dense"))
    epochs = [r for r in run.read_metrics() if r.get("type") == "epoch"]  # killed or still running
    last = epochs[-1] if epochs else {}
    return RunSummary(folder, config, "running or killed" if epochs else "no epoch finished", len(epochs),
                      last.get("metrics/test_mse"), last.get("metrics/l0"), last.get("metrics/dead_latents"),
                      last.get("metrics/rho_hat_mean"), sum(r.get("epoch_seconds", 0.0) for r in epochs),
                      last.get("metrics/fvu"), last.get("metrics/frac_alive"), last.get("metrics/frac_dense"))


def list_runs(base: Path | None = None) -> list[RunSummary]:
    """Every run folder under ``base`` (default: the per-user runs folder), newest first."""
    base = Path(base) if base else paths.runs_dir()
    if not base.is_dir():
        return []
    rows = (summarise(p) for p in sorted((p for p in base.iterdir() if p.is_dir()), reverse=True))
    return [row for row in rows if row is not None]


REFERENCE_FRONTIER = "reference_frontier.json"  # made by benchmarks/reference_frontier.py


def reference_frontier(path: Path | None = None) -> list[dict]:
    """The shipped reference runs (mechanism, setting, value, test_mse, fvu, l0, …), drawn
    faintly under the user's own on the frontier; [] when the file is absent or unreadable."""
    path = Path(path) if path else paths.resources_dir() / REFERENCE_FRONTIER
    try:
        runs = json.loads(path.read_text(encoding="utf-8")).get("runs", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [r for r in runs if isinstance(r, dict) and isinstance(r.get("l0"), (int, float))
            and isinstance(r.get("test_mse"), (int, float)) and isinstance(r.get("mechanism"), str)]


def remove_stale_temp_files(folder: Path) -> None:
    """Temp files left by a save that was killed mid-write (the real file is intact)."""
    for tmp in Path(folder).glob(f".{CHECKPOINT}.*.tmp"):
        try:
            os.unlink(tmp)
        except OSError:
            pass
