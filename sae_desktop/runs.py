"""Runs on disk: one folder per training run, written the same way by the CLI and the window.

    <runs>/<YYYYmmdd-HHMMSS>-<dataset>-<penalty>/
        .sae-desktop-run          marker written at creation: only a folder holding it is ever rewritten
        config.json               training config, device, versions
        metrics.jsonl             one JSON object per report step, per epoch, and a final summary
        checkpoint.safetensors    autosaved atomically after every epoch (and when stopped)

A killed run loses at most the epoch in progress: ``--resume <folder>/checkpoint.safetensors``
continues in the same folder, dropping metrics lines past the checkpoint's step (and the summary
of a stopped run). A checkpoint anywhere else (a folder without the marker) resumes into a new
run folder: nothing in a folder that is not recognisably ours is rewritten.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from sae_desktop import paths
from sae_desktop.checkpoint import Checkpoint, package_versions, save_checkpoint
from sae_desktop.json_values import is_int
from sae_desktop.config import TrainConfig
from sae_desktop.events import EpochOutput, Event, IntervalOutput, Position, Revival, RunEnd, RunStart
from sae_desktop.safe_write import OutputRefused, atomic_write_bytes

CONFIG, METRICS, CHECKPOINT, MARKER = "config.json", "metrics.jsonl", "checkpoint.safetensors", ".sae-desktop-run"
MARKER_TEXT = '{"format": "sae-desktop-run", "version": 1}\n'
RUNNING_OR_KILLED = "running or killed"  # epochs on disk, no summary: still training, or stopped by force
NO_EPOCH_FINISHED = "no epoch finished"  # its settings on disk, no epoch: starting, or stopped by force in its first
RECORDS_LOST = "records lost"  # a checkpoint, and no record in metrics.jsonl: its figures are unknown


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
            except FileExistsError:
                continue
            atomic_write_bytes(candidate / MARKER, MARKER_TEXT.encode())
            return cls(candidate)
        raise OSError(f"could not create a run folder in {base}")

    @property
    def is_ours(self) -> bool:
        """Whether the folder holds the marker written when sae-desktop created it."""
        marker = self.path / MARKER
        try:
            return not marker.is_symlink() and marker.is_file() and marker.read_text(encoding="utf-8") == MARKER_TEXT
        except (OSError, UnicodeDecodeError):
            return False

    @classmethod
    def containing(cls, checkpoint: Path) -> RunFolder | None:
        """The run folder a checkpoint was autosaved in, if it is one of ours (it holds the marker)."""
        checkpoint = Path(checkpoint)
        run = cls(checkpoint.parent)
        if checkpoint.name == CHECKPOINT and not checkpoint.is_symlink() and run.is_ours:
            return run
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
        """All records; a torn line (killed mid-write) or one that is not JSON is skipped."""
        if not self.metrics_path.is_file():
            return []
        return [rec for line in self.metrics_path.read_bytes().splitlines() if (rec := _record(line)) is not None]

    def truncate_to_step(self, step: int) -> None:
        """Keep only the step and epoch records up to optimizer step ``step`` (before resuming from
        there): a clean history, with no summary of the stopped or killed attempt."""
        kept = [r for r in self.read_metrics()
                if r.get("type") in ("step", "epoch", "revival") and is_int(r.get("step")) and r["step"] <= step]
        atomic_write_bytes(self.metrics_path, "".join(json.dumps(r) + "\n" for r in kept).encode())

    def save(self, checkpoint: Checkpoint) -> Path:
        return save_checkpoint(checkpoint, self.checkpoint_path)


def folder_model(path: str | os.PathLike) -> Path | None:
    """The checkpoint a run folder stands for, where a model file is asked for (``evaluate <run>``,
    a run folder dropped on the window), None for a path that is no such folder."""
    path = Path(path)
    return path / CHECKPOINT if path.is_dir() and (path / CHECKPOINT).is_file() else None


def is_run_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` (symlinks followed) is one of a run folder's own files."""
    target = Path(os.path.realpath(path))
    return target.name in (CHECKPOINT, CONFIG, METRICS, MARKER) and RunFolder(target.parent).is_ours


def refuse_run_files(path: str | os.PathLike) -> None:
    """Raise :class:`OutputRefused` when ``path`` is one of a run folder's own files
    (:func:`is_run_file`): only the run itself rewrites its checkpoint, config and metrics."""
    target = Path(os.path.realpath(path))
    if is_run_file(path):
        raise OutputRefused(f"{path}: refusing to write over run folder {target.parent.name}'s own "
                            f"{target.name}; choose another path (e.g. outside the run folder)")


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
        "eval_seconds": [h["eval_seconds"] for h in end.history],
        "unfinished_epoch_seconds": end.position.epoch_seconds if end.position is not None else 0.0,  # stopped inside
        "run_dir": str(run.path) if run else None,
        "checkpoint": str(run.checkpoint_path) if run else None,
    }
    if ev is not None:
        record.update(ev.summary())
    return record


def checkpoint_of(cfg: TrainConfig, weights, optimizer, epochs_done: int, history: list[dict],
                  evaluation=None, position: Position | None = None, **extra) -> Checkpoint:
    return Checkpoint(
        model_config=cfg.model_config(), weights=weights, train_config=cfg, optimizer=optimizer,
        epoch=epochs_done, history=list(history),
        test_error_quantiles=evaluation.test_error_quantiles if evaluation is not None else None,
        extra=extra, position=position,
        test_score_quantiles=evaluation.test_score_quantiles if evaluation is not None else None,
        test_density=evaluation.test_density if evaluation is not None else None,
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
            if event.resumed:
                run.truncate_to_step(event.start_step)
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
            if event.status == "stopped":  # "stop keeps the weights": the file holds what the user sees,
                # with the position inside the epoch, so that resuming it is exact
                run.save(checkpoint_of(start.config, event.weights, event.optimizer, event.epochs_done,
                                       event.history, event.evaluation, event.position, run_dir=run.path.name,
                                       stopped_at_step=event.step))
            run.append(summary_record(start, event, run))
        yield event


def _record(line: bytes) -> dict | None:
    try:
        rec = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return rec if isinstance(rec, dict) else None


def remove_stale_temp_files(folder: Path) -> None:
    """Temp files left by a save that was killed mid-write (the real file is intact)."""
    for tmp in Path(folder).glob(f".{CHECKPOINT}.*.tmp"):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def rename_problem(name: str, folder: Path) -> str | None:
    """Why ``name`` cannot be the new name of the run in ``folder`` (its folder's name, beside it), or None."""
    if not name:
        return "A run's name cannot be empty."
    if name in (".", "..") or any(c in name for c in "/\\\0") or not name.isprintable():
        return f"{name!r} cannot name a folder: no slashes, line breaks or tabs, and not . or .."
    if len(name.encode("utf-8", "surrogateescape")) > 255:
        return "A run's name can be at most 255 bytes long (a folder's name)."
    target = Path(folder).parent / name
    if target.exists() and not (os.path.exists(folder) and os.path.samefile(target, folder)):
        return f"The runs folder already holds {name}: choose another name."  # (a new case only: the same folder)
    return None
