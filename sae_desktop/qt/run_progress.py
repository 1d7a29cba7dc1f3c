"""Progress of the current run: run and epoch bars, throughput, elapsed time, ETA, device;
during a sweep, also which run of the sweep this is."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFormLayout, QProgressBar, QWidget

from sae_desktop.events import EpochOutput, IntervalOutput, RunEnd, RunStart
from sae_desktop.qt.labels import steady_label
from sae_desktop.sweep import SweepEnded, SweepRunStarted


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


class RunProgress(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = form = QFormLayout(self)
        self.sweep_bar, self.run_bar, self.epoch_bar = QProgressBar(), QProgressBar(), QProgressBar()
        for bar in (self.sweep_bar, self.run_bar, self.epoch_bar):
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
        form.addRow("Sweep", self.sweep_bar)
        form.setRowVisible(self.sweep_bar, False)  # shown during (and after) a sweep only
        self.speed, self.elapsed, self.eta, self.device = (steady_label("–", 150) for _ in range(4))
        form.addRow("Run", self.run_bar)
        form.addRow("Epoch", self.epoch_bar)
        form.addRow("Throughput", self.speed)
        form.addRow("Elapsed", self.elapsed)
        form.addRow("ETA", self.eta)
        form.addRow("Device", self.device)
        self._start: RunStart | None = None
        self._t0 = 0.0
        self._paused_total = 0.0
        self._paused_since: float | None = None
        self._rate = 0.0  # steps per second, smoothed
        self._done = 0.0  # fraction of the run done
        self._last: IntervalOutput | None = None  # newest report not yet shown
        self._clock = QTimer(self, interval=500, timeout=self._tick)  # elapsed ticks even between reports

    def on_started(self, start: RunStart) -> None:
        self._start, self._t0 = start, time.monotonic()
        self._paused_total, self._paused_since, self._rate = 0.0, None, 0.0
        self._done = start.start_epoch / start.config.epochs
        self.device.setText(start.device)
        self.run_bar.setFormat(f"epoch {start.start_epoch + 1} of {start.config.epochs} – %p%")
        self._set(self.run_bar, self._done)
        self._set(self.epoch_bar, 0.0)
        self.speed.setText("starting…")
        self._clock.start()

    def on_sweep_run(self, started: SweepRunStarted) -> None:
        self.form.setRowVisible(self.sweep_bar, True)
        self.sweep_bar.setFormat(f"run {started.index + 1} of {started.total}: {started.label}")
        self._set(self.sweep_bar, started.index / started.total)

    def on_sweep_ended(self, ended: SweepEnded) -> None:
        stopped = f" (stopped; {ended.total - ended.runs_done} not run)" if ended.stopped else ""
        self.sweep_bar.setFormat(f"{ended.runs_done} of {ended.total} runs done{stopped}")
        self._set(self.sweep_bar, ended.runs_done / ended.total)

    def clear_sweep(self) -> None:
        """A single run is starting: the last sweep's bar goes."""
        self.form.setRowVisible(self.sweep_bar, False)

    def on_step(self, out: IntervalOutput) -> None:
        """Reports arrive ~30×/s: keep the numbers, show them on the clock's 2 Hz tick."""
        start = self._start
        if start is None:
            return
        rate = out.samples_per_s / min(start.config.batch_size, start.n_train)
        self._rate = rate if self._rate == 0 else 0.9 * self._rate + 0.1 * rate
        self._done = (out.epoch - 1 + out.epoch_fraction) / start.config.epochs
        self._last = out

    def _show_step(self) -> None:
        out, start = self._last, self._start
        if out is None or start is None:
            return
        self._last = None
        self._set(self.run_bar, self._done)
        self._set(self.epoch_bar, out.epoch_fraction)
        self.run_bar.setFormat(f"epoch {out.epoch} of {start.config.epochs} – %p%")
        self.speed.setText(f"{out.samples_per_s:,.0f} images/s")
        remaining_steps = (1 - self._done) * start.config.epochs * start.steps_per_epoch
        self.eta.setText(format_seconds(remaining_steps / self._rate) if self._rate > 0 else "–")

    def on_epoch(self, out: EpochOutput) -> None:
        self._last = None
        self._set(self.epoch_bar, 1.0)

    def on_paused(self, paused: bool) -> None:
        now = time.monotonic()
        if paused and self._paused_since is None:
            self._paused_since = now
            self.speed.setText("paused")
        elif not paused and self._paused_since is not None:
            self._paused_total += now - self._paused_since
            self._paused_since = None

    def on_ended(self, end: RunEnd) -> None:
        self._clock.stop()
        self._tick()
        self._last = None
        self.eta.setText({"completed": "done", "stopped": "stopped", "diverged": "diverged"}.get(end.status, "–"))
        if end.status == "completed":
            self._set(self.run_bar, 1.0)
        self.speed.setText(end.status)

    def _tick(self) -> None:
        if self._start is None:
            return
        if self._paused_since is None:
            self._show_step()
        paused = self._paused_total + (time.monotonic() - self._paused_since if self._paused_since else 0.0)
        self.elapsed.setText(format_seconds(time.monotonic() - self._t0 - paused))

    @staticmethod
    def _set(bar: QProgressBar, fraction: float) -> None:
        bar.setValue(int(round(1000 * min(max(fraction, 0.0), 1.0))))
