"""Runs the core's training generator in a worker thread and re-emits its events as signals.

The job builds its dataset tensors in the worker thread (tensors made on the main thread
made training 2× slower), writes the run folder there too, and never raises: superqt's
GeneratorWorker silently drops RuntimeErrors, so every failure becomes a ``JobFailed``.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from sae_desktop.checkpoint import CheckpointError
from sae_desktop.config import ConfigError, TrainConfig
from sae_desktop.data import DatasetError, load_dataset
from sae_desktop.devices import DeviceError, out_of_memory_message
from sae_desktop.events import (EpochOutput, Holding, IntervalOutput, ResumeState, Revival, RunEnd, RunStart,
                                TrainingControl)
from sae_desktop.run_state import RunState
from sae_desktop.runs import RunFolder, recorded, remove_stale_temp_files
from sae_desktop.sweep import SweepEnded, SweepRunStarted, sweep
from sae_desktop.safe_write import describe_os_error


@dataclass
class JobStarted:
    run_dir: Path


@dataclass
class JobFailed:
    message: str


def yield_cpu_to_the_interface(niceness: int = 10) -> None:
    """Lower this thread's priority (Linux: per thread, inherited by threads it creates, so
    also by the OpenMP team its first parallel op starts). On a 2-core machine training's two
    threads otherwise share the cores equally with the UI thread, and every redraw stalls
    for 20-35 ms instead of ~10 ms; niced, the UI thread runs as soon as it has work."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), niceness))
    except OSError:
        pass


def training_job(cfg: TrainConfig, data_dir: str | None, control: TrainingControl,
                 resume: ResumeState | None, run_dir: Path | None):
    """The worker's body: a generator of core events plus ``JobStarted`` / ``JobFailed``."""
    def events():
        from sae_desktop.engine import train  # torch: loaded by now (TorchLoader), or loaded here

        dataset = load_dataset(cfg.dataset, data_dir, allow_download=True)
        run = RunFolder(run_dir) if run_dir else RunFolder.create(cfg)
        remove_stale_temp_files(run.path)
        yield JobStarted(run.path)
        yield from recorded(train(cfg, dataset, control, resume), run)

    yield from _guarded(events())


def sweep_job(configs: list[TrainConfig], names: list[str], data_dir: str | None, control: TrainingControl):
    """A sweep's worker body: the core's sweep events (one run folder per point)."""
    def events():
        dataset = load_dataset(configs[0].dataset, data_dir, allow_download=True)
        yield from sweep(configs, dataset, control, names)

    yield from _guarded(events())


def _guarded(events):
    """``events`` in a lowered-priority thread, every failure turned into a ``JobFailed``."""
    yield_cpu_to_the_interface()
    try:
        yield from events
    except (DatasetError, DeviceError, ConfigError, CheckpointError) as exc:
        yield JobFailed(str(exc))
    except OSError as exc:  # the same one line as the command line's
        yield JobFailed(f"Could not write the run folder: {describe_os_error(exc)}")
    except (Exception, MemoryError) as exc:
        message = out_of_memory_message(exc)
        if message is None:  # a bug: report it instead of losing the worker silently
            traceback.print_exc()
            message = f"Training failed unexpectedly: {type(exc).__name__}: {exc}"
        yield JobFailed(message)


class TrainingController(QObject):
    """One training run at a time. It writes the worker's events into the :class:`RunState`,
    which the views mirror; its own signals follow each change (for tests and scripts)."""

    runStarted = Signal(object)  # RunStart
    stepReported = Signal(object)  # IntervalOutput
    epochFinished = Signal(object)  # EpochOutput
    runEnded = Signal(object)  # RunEnd
    runFailed = Signal(str)
    revived = Signal(object)  # Revival: dead latents were resampled
    sweepRunStarted = Signal(object)  # SweepRunStarted: run i of n of a sweep is starting
    sweepEnded = Signal(object)  # SweepEnded
    stateChanged = Signal(str)  # idle, running, paused, stopping

    def __init__(self, run: RunState | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.run = run if run is not None else RunState()
        self._worker = None
        self._control: TrainingControl | None = None
        self._listening = True

    @property
    def state(self) -> str:
        return self.run.status

    @property
    def run_dir(self) -> Path | None:
        return self.run.run_dir

    @property
    def active(self) -> bool:
        return self._worker is not None

    def start(self, cfg: TrainConfig, data_dir: str | None = None, resume: ResumeState | None = None,
              run_dir: Path | None = None) -> None:
        self._start_job(training_job, cfg, data_dir, self._new_control(), resume, run_dir)

    def start_sweep(self, configs: list[TrainConfig], names: list[str], data_dir: str | None = None) -> None:
        """Train ``configs`` one after another; pause and stop apply to the whole sweep."""
        if not configs:
            raise ValueError("a sweep needs at least one configuration")
        self._start_job(sweep_job, configs, names, data_dir, self._new_control())

    def _new_control(self) -> TrainingControl:
        if self.active:
            raise RuntimeError("a training run is already active")
        self._control = TrainingControl()
        return self._control

    def _start_job(self, job, *args) -> None:
        self.run.new_run()
        self._listening = True
        from superqt.utils import create_worker  # not at import: superqt loads after the first paint

        worker = create_worker(job, *args, _start_thread=False)
        worker.yielded.connect(self._on_event)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._set_state("running")
        worker.start()

    def pause(self) -> None:
        """Asked: "pausing" until the loop says it holds (the interval under way ends first)."""
        if self._control and self.state == "running":
            self._control.pause()
            self._set_state("pausing")

    def resume(self) -> None:
        if self._control and self.state in ("pausing", "paused"):
            self._control.resume()
            self._set_state("running")

    def toggle_pause(self) -> None:
        self.resume() if self.state in ("pausing", "paused") else self.pause()

    def stop(self) -> None:
        if self._control and self.state in ("running", "pausing", "paused"):
            self._control.stop()
            self._set_state("stopping")

    def wait(self, timeout_ms: int = 1000) -> bool:
        """Block until the worker thread is done (after :meth:`stop`); True if it is."""
        return QThreadPool.globalInstance().waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop, wait, and drop all further events (the views may be gone)."""
        self._listening = False
        self.stop()
        return self.wait(timeout_ms)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.run.set_status(state)
            self.stateChanged.emit(state)

    def _on_event(self, event) -> None:
        if not self._listening:
            return
        if isinstance(event, IntervalOutput):
            self.run.report_step(event)
            self.stepReported.emit(event)
        elif isinstance(event, Holding):
            if self.state == "pausing":  # (not if resumed or stopped meanwhile)
                self._set_state("paused")
        elif isinstance(event, EpochOutput):
            self.run.finish_epoch(event)
            self.epochFinished.emit(event)
        elif isinstance(event, RunStart):
            self.run.begin(event)
            self.runStarted.emit(event)
        elif isinstance(event, JobStarted):
            self.run.prepare(event.run_dir)
        elif isinstance(event, Revival):
            self.revived.emit(event)
        elif isinstance(event, SweepRunStarted):
            self.run.sweep_run(event.index, event.total, event.run_dir)
            self.sweepRunStarted.emit(event)
        elif isinstance(event, SweepEnded):
            self.run.end_sweep()
            self.sweepEnded.emit(event)
        elif isinstance(event, RunEnd):
            self.run.finish(event)
            self.runEnded.emit(event)
        elif isinstance(event, JobFailed):
            self.run.fail(event.message)
            self.runFailed.emit(event.message)

    def _on_finished(self) -> None:
        self._worker = None
        self._control = None
        self.run.end_sweep()  # (a sweep that failed says no SweepEnded: its time stops here)
        self._set_state("idle")
