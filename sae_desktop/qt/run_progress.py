"""Progress of the current run: its name (the run folder's), run and epoch bars, throughput,
elapsed time, ETA, device; during a sweep, also which run of the sweep this is, and the sweep's
time so far and left (the run's own beside it).

A mirror of the :class:`RunState`: every figure comes from the state's progress estimate
(wall-clock, pauses excluded; the ETA counts evaluations and checkpoints, the throughput, live
and the finished run's average, only training steps), read on a 2 Hz clock
and whenever the run's status changes. Nothing of a previous run survives a new Start.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFormLayout, QProgressBar, QWidget

from sae_desktop.qt.labels import ElidedLabel, steady_label
from sae_desktop.progress import images_between
from sae_desktop.run_state import RunState
from sae_desktop.snapshot import undated
from sae_desktop.sweep import SweepEnded, SweepRunStarted

ENDINGS = {"completed": "done", "stopped": "stopped", "diverged": "diverged"}
# what the progress views say in place of speed and ETA while a run is held (pausing: the report
# interval under way ends first)
HELD = {"pausing": "pausing…", "paused": "paused", "stopping": "stopping…"}


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


class RunProgress(QWidget):
    def __init__(self, run: RunState, parent: QWidget | None = None):
        super().__init__(parent)
        self.run = run
        self.form = form = QFormLayout(self)
        self.sweep_bar, self.run_bar, self.epoch_bar = QProgressBar(), QProgressBar(), QProgressBar()
        for bar in (self.sweep_bar, self.run_bar, self.epoch_bar):
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
        self.speed, self.elapsed, self.eta, self.device = (steady_label("–", 150) for _ in range(4))
        self.name = ElidedLabel(None)  # the Training tab named no run (the Probe may show another model)
        form.addRow("Sweep", self.sweep_bar)
        form.setRowVisible(self.sweep_bar, False)
        form.addRow("Name", self.name)
        form.addRow("Run", self.run_bar)
        form.addRow("Epoch", self.epoch_bar)
        form.addRow("Throughput", self.speed)
        form.addRow("Elapsed", self.elapsed)
        form.addRow("ETA", self.eta)
        form.addRow("Device", self.device)
        self._clock = QTimer(self, interval=500, timeout=self.render)  # elapsed ticks even between reports
        for signal in (run.cleared, run.started, run.ended, run.epoch_finished, run.renamed, run.forgotten,
                       run.resume_changed):
            signal.connect(self.render)
        run.status_changed.connect(self._on_status)
        self.render()

    def on_sweep_run(self, started: SweepRunStarted) -> None:
        self.form.setRowVisible(self.sweep_bar, True)
        self.sweep_bar.setFormat(f"run {started.index + 1} of {started.total}: {started.label}")
        set_fraction(self.sweep_bar, started.index / started.total)

    def on_sweep_ended(self, ended: SweepEnded) -> None:
        # one line in the bar ("3 of 4 runs done (stopped; 1 not run)" wrapped, cut, and counted
        # the stopped run as done): the runs completed, the bar filled to them
        self.sweep_bar.setFormat(f"{'stopped: ' if ended.stopped else ''}{ended.completed} of {ended.total} runs done")
        set_fraction(self.sweep_bar, ended.completed / ended.total)

    def clear_sweep(self) -> None:
        """A single run is starting: the last sweep's bar goes."""
        self.form.setRowVisible(self.sweep_bar, False)

    def _on_status(self, status: str) -> None:
        self._clock.start() if status != "idle" else self._clock.stop()
        self.render()

    def render(self, *_) -> None:
        """Everything from the state; reports arrive ~30×/s, so steps are shown on the clock's tick."""
        run, start = self.run, self.run.start
        resumed = run.resume_from if not run.active else None
        if resumed is not None and resumed.train_config is not None and resumed.run_name is not None and (
                run.run_dir is None or run.run_dir.name != resumed.run_name):
            self._render_resumed(resumed)  # (a run of another session, or not the last one here: it read "–")
            return
        name = run.run_dir.name if run.run_dir is not None else "–"
        if self.name.text() != name:
            self.name.setText(name, undated(name))  # (narrower: without its date, not cut in the middle)
            self.name.setToolTip(str(run.run_dir) if run.run_dir is not None else "")
        figures = run.figures()
        if start is None or figures is None:
            for bar in (self.run_bar, self.epoch_bar):
                bar.setFormat("%p%")
                set_fraction(bar, 0.0)
            waiting = "starting…" if run.active else "–"
            for label in (self.speed, self.eta):
                label.setText(waiting)
            self.elapsed.setText("0:00" if run.active else "–")
            self.speed.setToolTip("")
            self.device.setText("–")
            return
        total = start.config.epochs
        done = 1.0 if run.end is not None and run.end.status == "completed" else figures.run_fraction
        set_fraction(self.run_bar, done)
        if run.sweep is not None and not run.sweep.ended:  # the runs done and this one's part (it stood at
            set_fraction(self.sweep_bar, (run.sweep.index + done) / run.sweep.total)  # 0 % for all of run 1)
        epoch, fraction = figures.epoch, figures.epoch_fraction if figures.epoch <= total else 1.0
        if run.end is not None and fraction == 0.0 and epoch > 1:  # stopped between two epochs: "after epoch 7",
            epoch, fraction = epoch - 1, 1.0  # not "epoch 8 of 8" with its bar at 0 %
        set_fraction(self.epoch_bar, fraction)
        self.run_bar.setFormat(f"epoch {epoch} of {total} – %p%")
        # a continued run's time and average are this session's (its earlier part ran before)
        since = " since continuing" if start.start_step else ""
        sweep = f" (sweep {format_seconds(run.sweep.elapsed(run.clock()))})" if run.sweep is not None else ""
        self.elapsed.setText(format_seconds(figures.elapsed_s) + since + sweep)
        self.device.setText(start.device)
        self.speed.setToolTip("")
        if run.end is not None:
            self._average(figures, images_between(start, start.start_step, run.end.step))
            self.eta.setText(ENDINGS.get(run.end.status, "–"))
        elif run.status in HELD:
            self.speed.setText(HELD[run.status])
            self.eta.setText(HELD[run.status])
        else:
            rate = figures.images_per_s
            self.speed.setText("starting…" if rate is None else f"{rate:,.0f} images/s")
            self.eta.setText("estimating…" if figures.eta_s is None else format_seconds(figures.eta_s))
        if run.sweep is not None and not run.sweep.ended and run.status == "running":  # the sweep's, not the run's
            self._sweep_eta(None if run.end is not None else figures.eta_s)

    def _render_resumed(self, snap) -> None:
        """Continue mode, idle: where the run Continue training goes on from stands in its plan, as
        its own panel read when it ended ("epoch 24 of 50 – 46%")."""
        self.name.setText(snap.run_name, undated(snap.run_name))
        self.name.setToolTip(str(snap.path.parent) if snap.path is not None else "")
        planned = snap.train_config.epochs
        steps = snap.steps_per_epoch
        into = (snap.position.step - snap.epoch * steps) / steps if snap.position is not None else 0.0
        into = min(max(into, 0.0), 1.0)
        epoch, fraction = (snap.epoch + 1, into) if snap.position is not None or snap.epoch == 0 else (snap.epoch, 1.0)
        set_fraction(self.run_bar, min((snap.epoch + into) / max(planned, 1), 1.0))
        self.run_bar.setFormat(f"epoch {epoch} of {planned} – %p%")
        set_fraction(self.epoch_bar, fraction)
        self.epoch_bar.setFormat("%p%")
        for label in (self.speed, self.elapsed, self.eta, self.device):
            label.setText("–")
        self.speed.setToolTip("")

    def _average(self, figures, images: int) -> None:
        """The run's training rate, as it read while training: with its evaluations, checkpoints and
        start counted (the whole run's images over its elapsed time), a short continue read a
        fraction of the rate its steps had run at; that figure is in the tooltip."""
        if images <= 0:
            self.speed.setText(self.run.end.status)
            return
        overall = images / figures.elapsed_s if figures.elapsed_s > 0 else None
        rate = figures.training_rate or overall  # (training's rate says so: "on average" beside "Elapsed 0:15"
        kind = "while training" if figures.training_rate else "on average"  # was checked as images / elapsed)
        self.speed.setText(f"{rate:,.0f} images/s {kind}" if rate else "–")
        if figures.training_rate and overall:
            whole = "Since continuing" if self.run.start.start_step else "The whole run"
            self.speed.setToolTip(f"Training steps: {figures.training_rate:,.0f} images/s on average.\n"
                                  f"{whole}, evaluations, checkpoints and start included: {overall:,.0f} "
                                  f"images/s ({images:,} images in {format_seconds(figures.elapsed_s)}).")

    def _sweep_eta(self, run_left: float | None) -> None:
        left = self.run.sweep_eta()
        text = "estimating…" if left is None else format_seconds(left)
        self.eta.setText(text + (f" (this run {format_seconds(run_left)})" if left is not None and run_left else ""))



def set_fraction(bar: QProgressBar, fraction: float) -> None:
    """Set a 0-1000 bar's value, painted with the next frame: QProgressBar.setValue repaints at once
    whenever a pixel or its text changes (5 ms each during training, profiled: two bars per
    report, on the GUI thread, while a tab switch waits to paint)."""
    value = int(round(1000 * min(max(fraction, 0.0), 1.0)))
    if bar.value() != value:
        bar.setUpdatesEnabled(False)  # its own repaint() does nothing…
        bar.setValue(value)
        bar.setUpdatesEnabled(True)  # …and this schedules an update() instead


class RunBrief(QProgressBar):
    """The run's progress in one bar, for the status bar while the training panel is hidden
    (presentation mode hides it: a lecture hall saw no progress, ETA or step while a run
    trained). Shown only then, and only while a run is going, in the place of the status bar's
    ``replaces`` (the device), at least as wide: the messages beside keep their room (wider,
    the status bar outgrew a 1280-px window and cut the Training tab's right edge)."""

    def __init__(self, run: RunState, panel: QWidget, replaces: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.run, self.panel, self.replaces = run, panel, replaces
        self.setRange(0, 1000)
        self.setTextVisible(True)
        self.setToolTip("The run in training (the Training panel, hidden now, has the rest: View ▸ Training)")
        self._clock = QTimer(self, interval=500, timeout=self.render)
        for signal in (run.cleared, run.started, run.ended, run.epoch_finished, run.status_changed):
            signal.connect(self.render)
        self.render()

    def text_now(self) -> str:
        """What the bar says: "epoch 2 of 3 · run 45% · ETA 0:12" (paused, stopping, starting…): the
        percentage is the whole run's, as its bar is ("epoch 2 of 3 – 60%" read as 60 % of epoch 2)."""
        run, start, figures = self.run, self.run.start, self.run.figures()
        sweep = f"run {run.sweep.index + 1} of {run.sweep.total} · " if run.sweep is not None else ""
        if start is None or figures is None:
            return f"{sweep}starting…"
        where = f"{sweep}epoch {figures.epoch} of {start.config.epochs} · run %p%"
        if run.status in HELD:
            return f"{where} · {HELD[run.status]}"
        eta = run.sweep_eta() if run.sweep is not None else figures.eta_s
        return f"{where} · ETA {'estimating…' if eta is None else format_seconds(eta)}"

    def sizeHint(self):  # noqa: N802 (Qt naming)
        hint = super().sizeHint()
        text = self.fontMetrics().horizontalAdvance("epoch 10 of 10 · run 100% · ETA estimating…")
        hint.setWidth(max(text + 24, self.replaces.sizeHint().width(), self.replaces.width()))
        return hint

    def minimumSizeHint(self):  # noqa: N802 (Qt naming)
        return self.sizeHint()

    def render(self, *_) -> None:
        shown = self.run.active and self.run.end is None and not self.panel.isVisible()
        self._clock.start() if shown else self._clock.stop()
        if shown == self.isHidden():
            self.replaces.setVisible(not shown)
            self.setVisible(shown)
        if shown:
            figures = self.run.figures()
            set_fraction(self, figures.run_fraction if figures is not None else 0.0)
            self.setFormat(self.text_now())
