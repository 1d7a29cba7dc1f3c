"""Sweeps: one training run per point of a grid of settings, run one after another.

``sae-desktop sweep --penalty topk --k 2,4,8,16`` and the window's Train ▸ Sweep… both expand
a grid with :func:`grid_configs` and run it with :func:`sweep`: one run folder per point,
sequential, so the runs table and its frontier fill as each run ends. A stop request stops
the run in progress and the rest of the sweep; pause pauses the run in progress.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sae_desktop.config import SETTINGS, ConfigError, TrainConfig, validate
from sae_desktop.data import Dataset
from sae_desktop.events import Event, RunEnd, TrainingControl
from sae_desktop.runs import RunFolder, recorded

MAX_SWEEP_RUNS = 200  # a typo like --k 1,2,...,2000 should not queue days of training

# Every numeric setting can be swept (the rest are choices: one sweep per penalty, per dataset).
SWEEPABLE = tuple(f.name for f in dataclasses.fields(TrainConfig)
                  if type(f.default) in (int, float) and not isinstance(f.default, bool))


def parse_values(name: str, text: str) -> list[int | float]:
    """``"2,4,8"`` (or ``"1e-3 3e-3"``) → values of setting ``name``, in the order given,
    repeats dropped. Raises :class:`ConfigError` with a one-line reason."""
    if name not in SWEEPABLE:
        raise ConfigError(f"{name} cannot be swept (numeric settings: {', '.join(SWEEPABLE)})")
    kind = type(getattr(TrainConfig(), name))
    flag = f"--{name.replace('_', '-')}"
    parts = text.split(",")
    if len(parts) > 1 and any(not part.strip() for part in parts) and text.replace(",", " ").split():
        # ("2,,4" trained 2 and 4 unsaid: a typo that started a full-length sweep)
        raise ConfigError(f"{flag}: an empty value between commas in {text.strip()!r}")
    values: list[int | float] = []
    for token in text.replace(",", " ").split():
        try:
            value = kind(token) if kind is float else int(token, 10)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise ConfigError(f"{flag}: {token!r} is not {what}") from None
        if value not in values:
            values.append(value)
    if not values:
        raise ConfigError(f"{flag}: no values given")
    return values


def grid_configs(base: TrainConfig, grid: dict[str, list]) -> list[TrainConfig]:
    """Every combination of the grid's values over ``base`` (the first setting varies slowest),
    each checked with the same rules as a single run."""
    names = list(grid)
    combos = list(itertools.product(*(grid[n] for n in names)))
    if len(combos) > MAX_SWEEP_RUNS:
        raise ConfigError(f"the sweep has {len(combos)} runs; at most {MAX_SWEEP_RUNS} at a time")
    configs = []
    for combo in combos:
        cfg = base.replace(**dict(zip(names, combo)))
        errors = validate(cfg)
        if errors:
            name, message = next(iter(errors.items()))
            raise ConfigError(f"--{name.replace('_', '-')} {getattr(cfg, name)}: {message}")
        configs.append(cfg.applicable())  # (a hidden penalty's settings at their defaults, as a single run's)
    return configs


def point_label(cfg: TrainConfig, names: list[str] | tuple[str, ...]) -> str:
    """The swept settings of one run by their symbols, as the Runs table names them: ``k=4`` or ``λ=0.003,
    seed=1`` (the sweep dialog said "beta=0.001" beside its "Weight β" and the table's "β=0.001")."""
    return ", ".join(SETTINGS[n].named(getattr(cfg, n)) for n in names)


@dataclass
class SweepRunStarted:
    """Run ``index`` (0-based) of ``total`` is starting, in folder ``run_dir``."""

    index: int
    total: int
    label: str
    config: TrainConfig
    run_dir: Path


@dataclass
class SweepEnded:
    runs_done: int  # runs that ended (completed, stopped or diverged)
    total: int
    stopped: bool
    completed: int = 0  # runs that trained all their epochs (a stopped sweep's last run did not)


def sweep(configs: list[TrainConfig], dataset: Dataset, control: TrainingControl | None = None,
          names: list[str] | tuple[str, ...] = (),
          base_dir: Path | None = None) -> Iterator[Event | SweepRunStarted | SweepEnded]:
    """Train ``configs`` one after another, each recorded in its own run folder."""
    from sae_desktop.engine import train  # torch: imported when a sweep runs, not with the window

    control = control or TrainingControl()
    done = completed = 0
    for index, cfg in enumerate(configs):
        if control.stop_requested:
            break
        run = RunFolder.create(cfg, base_dir)
        yield SweepRunStarted(index, len(configs), point_label(cfg, names), cfg, run.path)
        for event in recorded(train(cfg, dataset, control), run):
            yield event
            if isinstance(event, RunEnd):
                done += 1
                completed += event.status == "completed"
    yield SweepEnded(done, len(configs), control.stop_requested, completed)
