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
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from sae_desktop import paths
from sae_desktop.checkpoint import Checkpoint, package_versions, save_checkpoint
from sae_desktop.checkpoint_schema import is_int, is_number
from sae_desktop.config import ConfigError, TrainConfig
from sae_desktop.events import EpochOutput, Event, IntervalOutput, Position, Revival, RunEnd, RunStart
from sae_desktop.safe_write import OutputRefused, atomic_write_bytes, describe_os_error

CONFIG, METRICS, CHECKPOINT, MARKER = "config.json", "metrics.jsonl", "checkpoint.safetensors", ".sae-desktop-run"
MARKER_TEXT = '{"format": "sae-desktop-run", "version": 1}\n'
RUNNING_OR_KILLED = "running or killed"  # epochs on disk, no summary: still training, or stopped by force


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


def refuse_run_files(path: str | os.PathLike) -> None:
    """Raise :class:`OutputRefused` when ``path`` (symlinks followed) is one of a run folder's own
    files: only the run itself rewrites its checkpoint, config and metrics."""
    target = Path(os.path.realpath(path))
    if target.name in (CHECKPOINT, CONFIG, METRICS, MARKER) and RunFolder(target.parent).is_ours:
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


@dataclass(frozen=True)
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


def _record(line: bytes) -> dict | None:
    try:
        rec = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return rec if isinstance(rec, dict) else None


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
        except (json.JSONDecodeError, RecursionError):
            continue
        return record if isinstance(record, dict) and record.get("type") == "summary" else None
    return None


class RunRecordError(ValueError):
    """A run folder's files do not have the expected types; the message names the field."""


def _number(record: dict, key: str, where: str, kind: type = float):
    """``record[key]`` as a finite number (an int where ``kind`` is int), None when absent or null."""
    value = record.get(key)
    if value is None:
        return None
    if not (is_int(value) if kind is int else is_number(value)):
        raise RunRecordError(f"{where}: {key} should be {'an integer' if kind is int else 'a finite number'}, "
                             f"got {_short(value)}")
    return value


def _numbers(record: dict, key: str, where: str) -> list[float]:
    values = record.get(key)
    if values is None:
        return []
    if not isinstance(values, list) or any(v is None for v in values):
        raise RunRecordError(f"{where}: {key} should be a list of numbers, got {_short(values)}")
    return [_number({key: v}, key, where) for v in values]


def _short(value) -> str:
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def summarise(folder: Path) -> RunSummary | None:
    """One row of the runs table; None if the folder is not a run (no config.json); raises
    :class:`RunRecordError` naming the file and field when it is one whose records are malformed."""
    run = RunFolder(folder)
    if not run.config_path.is_file():
        return None
    try:
        record = json.loads(run.config_path.read_bytes().decode("utf-8"))
        config = TrainConfig.from_dict(record.get("config") if isinstance(record, dict) else None).to_dict()
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise RunRecordError(f"{CONFIG} is not valid JSON") from None
    except ConfigError as exc:
        raise RunRecordError(f"{CONFIG}: {exc}") from None
    summary = _last_summary(run.metrics_path)
    if summary is not None:  # a finished run: its last line says everything, no need to read the rest
        where = f"{METRICS} summary"
        status = summary.get("status", "?")
        if not isinstance(status, str):
            raise RunRecordError(f"{where}: status should be text, got {_short(status)}")
        rho = _numbers(summary, "rho_hat", where)
        return RunSummary(folder, config, status, _number(summary, "epochs_done", where, int) or 0,
                          _number(summary, "test_mse", where), _number(summary, "l0", where),
                          _number(summary, "dead_latents", where, int), sum(rho) / len(rho) if rho else None,
                          sum(_numbers(summary, "epoch_seconds", where)), _number(summary, "fvu", where),
                          _number(summary, "frac_alive", where), _number(summary, "frac_dense", where))
    epochs = [r for r in run.read_metrics() if r.get("type") == "epoch"]  # killed or still running
    where = f"{METRICS} epoch record"
    seconds = sum(_number(r, "epoch_seconds", where) or 0.0 for r in epochs)
    last = epochs[-1] if epochs else {}
    return RunSummary(folder, config, RUNNING_OR_KILLED if epochs else "no epoch finished", len(epochs),
                      _number(last, "metrics/test_mse", where), _number(last, "metrics/l0", where),
                      _number(last, "metrics/dead_latents", where, int), _number(last, "metrics/rho_hat_mean", where),
                      seconds, _number(last, "metrics/fvu", where), _number(last, "metrics/frac_alive", where),
                      _number(last, "metrics/frac_dense", where))


_SCANNED: dict[Path, tuple[tuple, RunSummary]] = {}  # folder: (its files' stamps, its row)


def _stamp(folder: Path) -> tuple:
    """What changes when a run's records do: size and modification time of its two files."""
    stats = []
    for name in (CONFIG, METRICS):
        try:
            info = os.stat(os.path.join(folder, name))  # (not pathlib: a third of a scan's time went to it)
            stats.append((info.st_mtime_ns, info.st_size, info.st_ino))
        except OSError:
            stats.append(None)
    return tuple(stats)


def _summarise_cached(folder: Path) -> RunSummary | None:
    """:func:`summarise`, read again only when the folder's files changed (the Runs tab rescans
    on every visit: with a term's worth of runs, reading them all each time stalled the window)."""
    stamp = _stamp(folder)
    cached = _SCANNED.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    row = summarise(folder)
    if row is None:
        _SCANNED.pop(folder, None)
    else:
        _SCANNED[folder] = (stamp, row)
    return row


def scan_runs(base: Path | None = None) -> tuple[list[RunSummary], list[tuple[str, str]]]:
    """Every run folder under ``base`` (default: the per-user runs folder), newest first, and the
    folders skipped because their files are malformed or unreadable, as (name, one-line reason)."""
    base = Path(base) if base else paths.runs_dir()
    rows: list[RunSummary] = []
    skipped: list[tuple[str, str]] = []
    try:
        with os.scandir(base) if base.is_dir() else nullcontext(()) as entries:  # types without a stat each
            folders = sorted((Path(e.path) for e in entries if e.is_dir()), reverse=True)
    except OSError as exc:
        return [], [(str(base), describe_os_error(exc))]
    for folder in folders:
        try:
            row = _summarise_cached(folder)
        except RunRecordError as exc:
            skipped.append((folder.name, str(exc)))
        except OSError as exc:
            skipped.append((folder.name, describe_os_error(exc)))
        else:
            if row is not None:
                rows.append(row)
    return rows, skipped


def list_runs(base: Path | None = None) -> list[RunSummary]:
    """The run folders under ``base`` that can be read (see :func:`scan_runs`)."""
    return scan_runs(base)[0]


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
