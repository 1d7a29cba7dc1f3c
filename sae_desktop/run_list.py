"""The run folders as the Runs tab lists them: one row per folder (read again only when its
files change), the folders that could not be read and why, and the shipped reference runs."""

from __future__ import annotations

import dataclasses
import json
import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from sae_desktop import paths
from sae_desktop.json_values import is_int, is_number
from sae_desktop.config import MAX_EPOCHS, SETTINGS, ConfigError, TrainConfig
from sae_desktop.events import END_STATUSES
from sae_desktop.runs import CONFIG, METRICS, NO_EPOCH_FINISHED, RECORDS_LOST, RUNNING_OR_KILLED, RunFolder
from sae_desktop.safe_write import describe_os_error


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
    step: int | None = None  # optimizer steps done, where its summary says (a stopped run's figures are of that step)

    @property
    def name(self) -> str:
        return self.folder.name


def settings_text(config: dict) -> str:
    penalty = config.get("penalty")
    shown = {"kl": ("rho", "beta"), "l1": ("l1",), "topk": ("k",), "batchtopk": ("k",), "jumprelu": ("l0_coeff",)}
    text = " ".join(SETTINGS[name].named(config.get(name, "?")) for name in shown.get(penalty, ()))
    extras = [f"AuxK {config['auxk']:g}" if config.get("auxk") and penalty in ("topk", "batchtopk") else "",
              "resample" if config.get("resample") and penalty in ("kl", "l1", "jumprelu") else "",
              "unit-norm dec." if config.get("unit_norm_decoder") else ""]
    return " ".join([text, *filter(None, extras)]).strip()


RECORD_TYPES = ("step", "epoch", "revival", "summary")  # what training writes to metrics.jsonl (events.py, runs.py)
SUMMARY_MAX_BYTES = 8 << 20  # the longest summary line looked for (a 1024-latent run's is ~23 kB)


def _last_summary(path: Path, chunk: int = 16384) -> dict | None:
    """The run's summary line, read from the end of metrics.jsonl (a summary is always last;
    a line cut short by a kill is passed over). Read back a chunk at a time until a whole line
    is in hand: the last 16 kB held only the end of a 1024-latent run's summary (its per-latent
    figures), and the finished run was listed as "running or killed". The chunk doubles each
    time: a file of garbage is read a few times over at most, not once per 16 kB."""
    try:
        with open(path, "rb") as f:
            end = f.seek(0, os.SEEK_END)
            size, tried = chunk, 0  # bytes read back; lines already tried, from the end
            while True:
                start = max(0, end - size)
                f.seek(start)
                lines = f.read(end - start).rstrip(b"\r\n").split(b"\n")
                lines = lines[1:] if start > 0 else lines  # (the first may be cut)
                for line in reversed(lines[:len(lines) - tried]):
                    try:
                        record = json.loads(line.decode("utf-8", "replace"))
                    except (json.JSONDecodeError, RecursionError):
                        continue
                    if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
                        continue  # (a line someone added: a note after the summary made a finished run "killed")
                    return record if record.get("type") == "summary" else None
                tried = len(lines)  # (the line cut at the chunk's start, left out, is tried whole the next time)
                if start == 0 or size >= SUMMARY_MAX_BYTES:
                    return None
                size *= 2
    except OSError:
        return None


def stopped_at(folder: Path) -> tuple[int, int] | None:
    """(step, whole epochs done) where the run in ``folder`` was stopped, where its summary says it
    was (and says both); None for a run completed, diverged, still training or killed."""
    summary = _last_summary(RunFolder(folder).metrics_path)
    if summary is None or summary.get("status") != "stopped":
        return None
    step, epochs = summary.get("step"), summary.get("epochs_done")
    return (step, epochs) if is_int(step) and is_int(epochs) and step >= 0 and epochs >= 0 else None


class RunRecordError(ValueError):
    """A run folder's files do not have the expected types; the message names the field."""


def _number(record: dict, key: str, where: str, kind: type = float, high: float | None = None):
    """``record[key]`` as a finite number (an int where ``kind`` is int) from 0 to ``high`` (or
    any above 0), None when absent or null: the table showed a summary's "-3" epochs, "-1.00000"
    test MSE, and the frontier's axis ran to 1e300 for one edited line."""
    value = record.get(key)
    if value is None:
        return None
    if not (is_int(value) if kind is int else is_number(value)):
        raise RunRecordError(f"{where}: {key} should be {'an integer' if kind is int else 'a finite number'}, "
                             f"got {_short(value)}")
    if value < 0 or (high is not None and value > high):
        allowed = "0 or more" if high is None else f"from 0 to {high:g}"
        raise RunRecordError(f"{where}: {key} should be {allowed}, got {_short(value)}")
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


def _seconds(record: dict, where: str) -> float:
    """The time an epoch record, or a summary of them all, says was spent training and evaluating,
    with an epoch the run stopped inside (a run stopped in its first epoch read 0.0 s after 9 s)."""
    def total(key: str) -> float:
        value = record.get(key)
        return sum(_numbers(record, key, where)) if isinstance(value, list) else _number(record, key, where) or 0.0
    return total("epoch_seconds") + total("eval_seconds") + total("unfinished_epoch_seconds")


def summarise(folder: Path) -> RunSummary | None:
    """One row of the runs table; None if the folder is not a run (no config.json, and no records
    or checkpoint either: a run folder just created has only its marker); raises
    :class:`RunRecordError` naming the file and field when it is one whose records are malformed
    or missing (a run without its config.json vanished from the table, unsaid)."""
    run = RunFolder(folder)
    if not run.config_path.is_file():
        if run.config_path.exists():
            raise RunRecordError(f"{CONFIG} is not a file")
        if run.metrics_path.exists() or run.checkpoint_path.exists():
            raise RunRecordError(f"{CONFIG} is missing")  # (said in brackets after the run's name)
        return None
    if run.metrics_path.exists() and not run.metrics_path.is_file():
        raise RunRecordError(f"{METRICS} is not a file")
    try:
        record = json.loads(run.config_path.read_bytes().decode("utf-8"))
        config = TrainConfig.from_dict(record.get("config") if isinstance(record, dict) else None).check().to_dict()
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise RunRecordError(f"{CONFIG} is not valid JSON") from None
    except ConfigError as exc:
        raise RunRecordError(f"{CONFIG}: {exc}") from None
    summary = _last_summary(run.metrics_path)
    if summary is not None:  # a finished run: its last line says everything, no need to read the rest
        where = f"{METRICS} summary"
        status = summary.get("status")
        if status not in END_STATUSES:
            raise RunRecordError(f"{where}: status should be one of {', '.join(END_STATUSES)}, got {_short(status)}")
        rho = _numbers(summary, "rho_hat", where)
        return RunSummary(folder, config, status, _number(summary, "epochs_done", where, int, MAX_EPOCHS) or 0,
                          *_figures(summary, where, config["d_latent"]), sum(rho) / len(rho) if rho else None,
                          _seconds(summary, where), *_fractions(summary, where), _number(summary, "step", where, int))
    records = run.read_metrics()
    epochs = [r for r in records if r.get("type") == "epoch"]  # killed or still running
    where = f"{METRICS} epoch record"
    seconds = sum(_seconds(r, where) for r in epochs)
    last = epochs[-1] if epochs else {}
    # a checkpoint is saved after a step at the earliest: with it, and no record at all, the records are
    # gone (it read "no epoch finished", 0 epochs, of a run whose model says "completed (1 epoch)")
    lost = not records and run.checkpoint_path.is_file()
    status = RECORDS_LOST if lost else RUNNING_OR_KILLED if epochs else NO_EPOCH_FINISHED
    return RunSummary(folder, config, status, len(epochs),
                      *_figures(last, where, config["d_latent"], "metrics/"),
                      _number(last, "metrics/rho_hat_mean", where), seconds,
                      *_fractions(last, where, "metrics/"))


def _figures(record: dict, where: str, latents: int, prefix: str = "") -> tuple:
    """test MSE (of pixels in [0, 1]: at most 1), L0 and dead latents (at most all of them)."""
    return (_number(record, f"{prefix}test_mse", where, high=1), _number(record, f"{prefix}l0", where, high=latents),
            _number(record, f"{prefix}dead_latents", where, int, latents))


def _fractions(record: dict, where: str, prefix: str = "") -> tuple:
    """FVU (above 1 for a model worse than the mean digit, so unbounded), the shares alive and dense."""
    return (_number(record, f"{prefix}fvu", where), _number(record, f"{prefix}frac_alive", where, high=1),
            _number(record, f"{prefix}frac_dense", where, high=1))


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
    if base.exists() and not base.is_dir():  # (the Runs tab said "No runs yet: train one")
        return [], [(str(base), "a file is there, where the runs folder should be")]
    try:
        with os.scandir(base) if base.is_dir() else nullcontext(()) as entries:  # types without a stat each
            listed = list(entries)
    except OSError as exc:
        return [], [(str(base), describe_os_error(exc))]
    folders = []
    for entry in listed:  # one entry that cannot be looked at (a symlink loop) is skipped, not every run
        try:
            if entry.is_dir():
                folders.append(Path(entry.path))
        except OSError as exc:
            skipped.append((entry.name, describe_os_error(exc)))
    folders.sort(reverse=True)
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


def reference_settings(run: dict) -> str:
    """A reference run's settings as the runs table writes a run's ("λ₀=0.002", not "l0_coeff=0.002"):
    the tutorial's defaults, with the setting its sweep varied and what it records besides."""
    config = {**dataclasses.asdict(TrainConfig()), "penalty": run.get("mechanism")}
    config[run.get("setting")] = run.get("value")
    config.update({key: run[key] for key in ("auxk", "resample", "unit_norm_decoder") if key in run})
    try:
        return settings_text(config)
    except (TypeError, ValueError):  # (a malformed file: its own words)
        return f"{run.get('setting')}={run.get('value')}"


def reference_frontier(path: Path | None = None) -> list[dict]:
    """The shipped reference runs (mechanism, setting, value, test_mse, fvu, l0, …, and the file's
    epochs and latents where a run does not give its own), drawn faintly under the user's own on
    the frontier; [] when the file is absent or unreadable."""
    path = Path(path) if path else paths.resources_dir() / REFERENCE_FRONTIER
    try:
        whole = json.loads(path.read_text(encoding="utf-8"))
        runs = whole.get("runs", [])
        shared = {key: whole[key] for key in ("epochs", "latents") if is_int(whole.get(key))}
    except (OSError, ValueError, AttributeError):
        return []
    return [{**shared, **r} for r in runs if isinstance(r, dict) and isinstance(r.get("l0"), (int, float))
            and isinstance(r.get("test_mse"), (int, float)) and isinstance(r.get("mechanism"), str)]
