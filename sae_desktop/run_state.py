"""The training run the window shows, as one small evented model (no Qt).

The worker's events are written here (by the window's training controller) and every view
(training plots, progress, status bar, the model shown in Probe and Atlas) mirrors this
state through its signals; none keeps its own copy of the run's start event or its reports.
Signals are psygnal's: emitted synchronously in the thread that changes the state (the GUI
thread, where the controller receives the worker's events).

What the window tells about a run's end, and how its model is named, is decided here once
(:meth:`RunState.end_story`), so the header, the status bar and the model's name agree.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from psygnal import Signal

from sae_desktop.events import EpochOutput, IntervalOutput, Revival, RunEnd, RunStart, where_in_run
from sae_desktop.progress import Figures, ProgressEstimate, SweepEstimate
from sae_desktop.runs import RunFolder
from sae_desktop.snapshot import ModelSnapshot
from sae_desktop.words import counted

STATUSES = ("idle", "running", "pausing", "paused", "stopping")  # pausing: asked, the interval under way ends


def earlier_steps(run_dir: Path, before_step: int) -> list[IntervalOutput | Revival]:
    """A resumed run's per-step losses and revivals up to ``before_step``, in order, read back
    from its metrics.jsonl."""
    readers = {"step": IntervalOutput.from_json, "revival": Revival.from_json}
    events = []
    for record in RunFolder(run_dir).read_metrics():
        if record.get("type") in readers and record.get("step", before_step + 1) <= before_step:
            try:
                events.append(readers[record["type"]](record))
            except (KeyError, TypeError, ValueError):
                continue  # a line from another version: skip it, keep the rest
    return events


class RunState:
    """The current run (or the last one, once it has ended)."""

    status_changed = Signal(str)  # idle, running, paused, stopping
    cleared = Signal()  # a new run was asked for: nothing of the previous one is shown
    started = Signal(object)  # RunStart; ``start``, ``earlier`` and ``run_dir`` are set
    stepped = Signal(object)  # IntervalOutput
    epoch_finished = Signal(object)  # EpochOutput
    ended = Signal(object)  # RunEnd
    model_ready = Signal(object)  # ModelSnapshot: the run's newest model worth showing
    resume_changed = Signal(object)  # ModelSnapshot | None: the model the next Start continues
    renamed = Signal(object)  # Path: the run's folder, renamed from the Runs tab (the run has ended)
    forgotten = Signal(str)  # the run's name: its folder moved to the trash from the Runs tab (it had ended)
    failed = Signal(str)  # why the run asked for could not run (no data, a device…): it never started

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.status = "idle"
        self.run_dir: Path | None = None
        self.start: RunStart | None = None
        self.earlier: list[IntervalOutput | Revival] = []  # a resumed run's steps and revivals before this run
        self.last_step: IntervalOutput | None = None
        self.last_epoch: EpochOutput | None = None
        self.history: list[dict] = []  # epoch records, a resumed run's earlier ones included
        self.end: RunEnd | None = None
        self.progress: ProgressEstimate | None = None
        self.model: ModelSnapshot | None = None  # the run's newest model from a completed epoch on
        self.resume_from: ModelSnapshot | None = None
        self.sweep: SweepEstimate | None = None  # a sweep's, from its start until the next Start
        self._starting = False  # a sweep's next run has its folder, not yet its RunStart

    # -- written by the controller -----------------------------------------------------------
    def set_status(self, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if status == self.status:
            return
        now = self.clock()
        for clock in (self.progress, self.sweep):
            if clock is not None:
                clock.pause(now) if status == "paused" else clock.resume(now)
        self.status = status
        self.status_changed.emit(status)

    def new_run(self) -> None:
        """Start was pressed: the previous run's figures go at once (before the worker answers)."""
        self.run_dir, self.start, self.progress = None, None, None
        self.last_step, self.last_epoch, self.end, self.model = None, None, None, None
        self.earlier, self.history = [], []
        self.sweep, self._starting = None, False
        self.cleared.emit()

    def fail(self, message: str) -> None:
        """The run asked for could not run (``message`` says why): the views say so, not "Starting a new run…"."""
        self.failed.emit(message)

    def prepare(self, run_dir: Path | None) -> None:
        """The worker has its run folder (before the run's first event)."""
        self.run_dir = run_dir

    def sweep_run(self, index: int, total: int, run_dir: Path) -> None:
        """Run ``index`` (0-based) of a sweep of ``total`` is starting, in ``run_dir``."""
        now = self.clock()
        if self.sweep is None:
            self.sweep = SweepEstimate(total, now)
            if self.status == "paused":
                self.sweep.pause(now)
        self.sweep.run_started(index, now)
        self._starting = True
        self.prepare(run_dir)

    def end_sweep(self) -> None:
        """The sweep has ended (its time stays shown until the next Start)."""
        if self.sweep is not None:
            self.sweep.end(self.clock())
        self._starting = False

    def begin(self, start: RunStart) -> None:
        """A new run: nothing of the previous one is kept."""
        self._starting = False
        self.start, self.last_step, self.last_epoch, self.end, self.model = start, None, None, None, None
        self.history = list(start.history)
        # (up to where it continues: a run stopped inside an epoch kept that epoch's steps so far)
        self.earlier = earlier_steps(self.run_dir, start.start_step) if start.start_step and self.run_dir else []
        self.progress = ProgressEstimate(start, self.clock())
        if self.status == "paused":
            self.progress.pause(self.clock())
        self.started.emit(start)

    def report_step(self, out: IntervalOutput) -> None:
        self.last_step = out
        if self.progress is not None:
            self.progress.step(out, self.clock())
        self.stepped.emit(out)

    def finish_epoch(self, out: EpochOutput) -> None:
        self.last_epoch = out
        self.history.append(out.record())
        if self.progress is not None:
            self.progress.epoch_end(out, self.clock())
        self.epoch_finished.emit(out)
        cfg = self.start.config
        self.model = ModelSnapshot(cfg.model_config(), out.weights, f"{self.name}, epoch {out.epoch}", cfg,
                                   out.epoch, list(self.history), None, out.evaluation, self._checkpoint(),
                                   out.optimizer, run_name=self.name)
        self.model_ready.emit(self.model)

    def finish(self, end: RunEnd) -> None:
        self.end = end
        if self.progress is not None:
            self.progress.finish(self.clock())
        self.ended.emit(end)
        if self.start is not None and end.epochs_done > self.start.start_epoch:  # shown from a completed epoch on
            cfg = self.start.config
            self.model = ModelSnapshot(cfg.model_config(), end.weights, f"{self.name}, {self.end_story(short=True)}",
                                       cfg, end.epochs_done, end.history, None, end.evaluation, self._checkpoint(),
                                       end.optimizer, position=end.position, run_name=self.name)
            self.model_ready.emit(self.model)
        self.set_resume(None)

    def set_resume(self, snapshot: ModelSnapshot | None) -> None:
        """The next Start continues ``snapshot`` (None: a fresh run)."""
        if snapshot is not self.resume_from:
            self.resume_from = snapshot
            self.resume_changed.emit(snapshot)

    def moved(self, old: Path, new: Path) -> None:
        """A run's folder was renamed (never the one training): where it is this run's, or the run the next
        Start continues, they are in the new folder (the progress panel named the old one, and Continue
        training found no run in it: a new folder)."""
        if self.run_dir is not None and Path(self.run_dir).resolve() == Path(old).resolve():
            self.run_dir = Path(new)
            self.model = None if self.model is None else self.model.moved(old, new)
            self.renamed.emit(self.run_dir)
        if self.resume_from is not None and (moved := self.resume_from.moved(old, new)) is not self.resume_from:
            self.set_resume(moved)

    def trashed(self, folders: list[Path]) -> None:
        """Run folders moved to the trash (never the one training): this window's run, if one of them, is
        forgotten (the Training tab went on presenting it as the current run), and Continue training with it."""
        gone = {Path(folder).resolve() for folder in folders}
        if self.resume_from is not None and self.resume_from.path is not None \
                and Path(self.resume_from.path).resolve().parent in gone:
            self.set_resume(None)
        if self.run_dir is not None and not self.active and Path(self.run_dir).resolve() in gone:
            name = self.run_dir.name
            self.run_dir, self.start, self.progress = None, None, None
            self.last_step, self.last_epoch, self.end, self.model = None, None, None, None
            self.earlier, self.history = [], []
            self.forgotten.emit(name)

    # -- read by the views ---------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.run_dir.name if self.run_dir is not None else "training run"

    @property
    def active(self) -> bool:
        return self.status != "idle"

    def figures(self) -> Figures | None:
        return self.progress.figures(self.clock()) if self.progress is not None else None

    def sweep_eta(self) -> float | None:
        """Seconds until the sweep in progress ends (None: no sweep going on, or nothing to go on yet)."""
        if self.sweep is None:
            return None
        figures = self.figures()
        run_left = 0.0 if self.end is not None else figures.eta_s if figures is not None else None
        return self.sweep.eta(run_left, self.clock(), begun=not self._starting)

    def end_story(self, short: bool = False) -> str:
        """One sentence for the run's end, used everywhere it is told."""
        end, start = self.end, self.start
        if end is None or start is None:
            return ""
        if end.status == "completed":
            epochs = counted(end.epochs_done, "epoch")
            return f"completed ({epochs})" if short else f"Completed {epochs}"
        if end.status == "diverged":
            return "diverged (last finite weights)" if short else "Diverged: kept the last finite weights"
        where = where_in_run(end.epochs_done, end.step != end.epochs_done * start.steps_per_epoch)
        return f"stopped at step {end.step} ({where})" if short else f"Stopped at step {end.step}, {where}"

    def _checkpoint(self) -> Path | None:
        if self.run_dir is None:
            return None
        path = RunFolder(self.run_dir).checkpoint_path
        return path if path.is_file() else None
