"""The "Training" tab: live plots of a run, a mirror of the :class:`RunState`.

Reports arrive ~30×/s. A 100 ms timer redraws at most one plot per tick: the loss curves
every other tick (5 Hz), the others in turn when they have new data. On a 2-core machine
every millisecond the main thread paints is taken from training's two OpenMP threads (whose
barriers then wait), and four plots painted at once stall input for 30+ ms; so redraws are
rationed and staggered.
"""

from __future__ import annotations

import math
import re

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from sae_desktop.architecture import learned_thresholds
from sae_desktop.config import TOPK_PENALTIES
from sae_desktop.data import TRAIN_IMAGES
from sae_desktop.evaluation import Evaluation
from sae_desktop.paths import runs_dir
from sae_desktop.events import EpochOutput, IntervalOutput, Revival, RunEnd, RunStart
from sae_desktop.qt.activation_histogram import ActivationHistogram
from sae_desktop.qt.loss_plot import AUXK_NAME, SPARSITY_NAME, LossPlot
from sae_desktop.qt.plot_style import settle
from sae_desktop.qt.labels import ElidedLabel
from sae_desktop.qt.rich_text import tooltip_paragraphs
from sae_desktop.qt.rho_hat_plot import RhoHatPlot
from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.qt.sparsity_plot import SparsityPlot
from sae_desktop.qt.training_header import WHILE, run_figures, glossary, resumed_from, shorter_forms
from sae_desktop.qt.staggered_paint import StaggeredPaint
from sae_desktop.run_state import RunState, earlier_steps

REFRESH_MS = 100
HEADER_GAP_PX = 16  # between the header's text and the log-scale check box
IDLE = "No run in this window yet: press Start (Ctrl+Return) to train"
TRASHED = "No run to show: press Start (Ctrl+Return) to train"


def idle_text(head: str = IDLE) -> str:
    """The header before any run (or ``head``): the Runs tab named only where it lists runs ("earlier runs are
    in the Runs tab" greeted a first launch, beside a Runs tab that said "No runs yet")."""
    try:
        earlier = any(folder.is_dir() for folder in runs_dir().iterdir())
    except OSError:  # (no runs folder yet)
        earlier = False
    return f"{head}; earlier runs are in the Runs tab." if earlier else f"{head}."


class TrainingView(QWidget):
    def __init__(self, run: RunState, shown: ShownModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.run, self.shown = run, shown
        self.loss_plot, self.rho_plot = LossPlot(), RhoHatPlot()
        self.histogram, self.sparsity_plot = ActivationHistogram(), SparsityPlot()
        header = QHBoxLayout()
        # one line, cut at its end with "…" (the whole in its tooltip) where the window is narrow
        self.summary = ElidedLabel(None, elide=Qt.TextElideMode.ElideRight)
        self.summary.setObjectName("summary")
        self._said: tuple[str, Evaluation | None, str] = ("", None, "")
        self._ran = False  # a run has started in this window (the header then tells its story)
        self._planned = None  # the settings the panel plans (TrainConfig), for the plots' axes before a run
        self._say(idle_text())
        self.log_y = QCheckBox("Log-scale losses")
        self.log_y.toggled.connect(self.loss_plot.set_log_y)
        header.addWidget(self.summary, 1)
        header.addSpacing(HEADER_GAP_PX)  # (the header's last figure ran into the check box: "2.6225 ☐ Log…")
        header.addWidget(self.log_y)
        grid = QGridLayout()
        grid.addWidget(self.loss_plot, 0, 0, 1, 3)
        grid.addWidget(self.rho_plot, 1, 0)
        grid.addWidget(self.histogram, 1, 1)
        grid.addWidget(self.sparsity_plot, 1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(grid, 1)
        self._ticks = 0
        self.timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self.timer.start()
        self.staggered = StaggeredPaint([self.loss_plot, self.rho_plot, self.histogram, self.sparsity_plot], self)
        run.cleared.connect(self.on_cleared)
        shown.changed.connect(lambda _snap: self._say(*self._said))
        shown.evaluated.connect(lambda _snap: self._say(*self._said))  # (saved as another file: its name)
        run.started.connect(self.on_started)
        run.stepped.connect(self.on_step)
        run.epoch_finished.connect(self.on_epoch)
        run.ended.connect(self.on_ended)
        run.status_changed.connect(lambda _status: self._say(*self._said))  # "Paused · …" and back
        run.renamed.connect(lambda _folder: self._say(*self._said))  # (its folder renamed after the shown model's:
        # the header put the old name in front, "Run 20261206-…-batchtopk", as if another run's model were shown)
        run.resume_changed.connect(self._on_resume_changed)
        run.forgotten.connect(self.on_cleared)
        run.failed.connect(self.on_failed)

    def _on_resume_changed(self, snap) -> None:
        """Before any run: what Ctrl+Return does now ("press Start" beside a button that read
        "Continue training"), and the run it continues as far as it went (after a restart its plots were blank
        and its losses' axis from 0 until the continuation started)."""
        if not self._ran:
            self._say(idle_text() if snap is None else f"Continuing {snap.short_name}: press Continue training "
                      "(Ctrl+Return) to add epochs; earlier runs are in the Runs tab.")
            self._show_continued(snap)

    def _show_continued(self, snap) -> None:
        """The run ``snap`` is of, so far: its per-step losses and revivals, its epochs and last activations;
        for None (no run to continue), empty plots."""
        tc = snap.train_config if snap is not None else None
        if tc is None or snap.path is None:
            self._clear_plots(None, None, self.rho_plot.n)
            if self._planned is not None:  # (the run the panel plans: its axes, not the continued run's)
                self.preview(self._planned)
        else:
            steps = snap.steps_per_epoch
            at = snap.position.step if snap.position is not None else snap.epoch * steps
            self._clear_plots(steps * tc.epochs, tc.epochs, snap.config.d_latent)
            self._name_curves(tc)
            self.rho_plot.set_target(tc.kl_target)
            self._draw_history(earlier_steps(snap.path.parent, at), snap.history)
            if snap.evaluation is not None:
                when = f"step {at}" if snap.position is not None else f"epoch {snap.epoch}"
                self._show_activations(snap.evaluation, when, snap.weights, tc)
                if snap.position is not None:
                    self._show_stop(at, steps, snap.evaluation)
        self.refresh_all()

    def _draw_history(self, earlier, history: list[dict]) -> None:
        """A continued run's per-step losses and revivals so far (read back from its metrics.jsonl), and its epochs."""
        for out in earlier:
            if isinstance(out, Revival):
                self.on_revival(out)
            else:
                self.loss_plot.add_step(out)
        for record in history:  # (a record of another version's, without these figures: left out)
            if {"step", "epoch", "metrics/test_mse", "metrics/l0", "metrics/dead_latents"} <= record.keys():
                self.loss_plot.add_epoch(record["step"], record["metrics/test_mse"])
                self.sparsity_plot.add_epoch(record["epoch"], record["metrics/l0"], record["metrics/dead_latents"])

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """A visit paints the losses at once, then the other plots one per event-loop turn, each
        brought up to date just before (see StaggeredPaint)."""
        super().showEvent(event)
        self.staggered.hold()

    def preview(self, cfg) -> None:
        """Before a run: show the target ρ the panel is set to, the losses' axis over the first eighth
        of the run it plans (it kept the 10-epoch default's 0-586 for 3 epochs) and its curves' names."""
        self._planned = cfg
        if self.run.start is None:
            self.rho_plot.set_target(cfg.kl_target)
            if self.sparsity_plot.empty():  # its epochs and latents too (a first launch's read "1" and "dead
                self.sparsity_plot.clear_data(cfg.epochs, cfg.d_latent)  # latents", a new run's a continued one's)
            if not len(self.loss_plot.steps):
                self.loss_plot.clear_data(cfg.epochs * math.ceil(TRAIN_IMAGES / cfg.batch_size))
                self._name_curves(cfg)  # (the legend named a "sparsity (weighted)" and a "total" curve beside a
                # BatchTopK panel, whose run has neither: "reconstruction (= total)")

    def refresh(self) -> None:
        """One plot per tick: losses on even ticks, the first other plot with news on odd ones.
        None while another tab is shown (its data is kept; a visit brings the plots up to date)."""
        if not self.isVisible() and self.window().isVisible():
            return
        self._ticks += 1
        if self._ticks % 2 == 0:
            self.loss_plot.refresh()
            settle(self.loss_plot)
            return
        others = (self.rho_plot, self.histogram, self.sparsity_plot)
        start = self._ticks // 2 % len(others)
        for plot in others[start:] + others[:start]:
            if plot.dirty:
                plot.refresh()
                settle(plot)
                return

    def refresh_all(self) -> None:
        for plot in (self.loss_plot, self.rho_plot, self.histogram, self.sparsity_plot):
            plot.refresh()
            settle(plot)

    # -- mirroring the run state ---------------------------------------------------------
    def on_cleared(self, forgotten: str = "") -> None:
        """Start was pressed: the previous run's curves go with its figures (they stayed up for ~0.5 s under
        "Starting a new run…"); or the run, named ``forgotten``, was moved to the trash (it still headed the tab)."""
        self._clear_plots(None, None, self.rho_plot.n)
        self.refresh_all()
        self._ran = not forgotten
        resumed = self.run.resume_from
        # (not "No run in this window yet": five had been trained in it)
        self._say(f"Run {forgotten} was moved to the trash. {idle_text(TRASHED)}" if forgotten else
                  f"Continuing {resumed.short_name}…" if resumed is not None else "Starting a new run…")

    def on_failed(self, message: str) -> None:
        """The run could not run ("Starting a new run…" stayed): its cause's first clause, the whole on hover."""
        cause = re.split(r" \(|\. |\n", message.strip(), maxsplit=1)[0].rstrip(".")
        self._say(f"Training could not run: {cause}. Press Start (Ctrl+Return) to try again.", None, message)

    def _name_curves(self, cfg) -> None:
        """The losses' curves (and legend) for ``cfg``'s terms: top-k has no penalty, with AuxK its term,
        else nothing beside the reconstruction."""
        topk = cfg.penalty in TOPK_PENALTIES
        self.loss_plot.set_penalty_name((AUXK_NAME if cfg.auxk > 0 else None) if topk else SPARSITY_NAME)
        self.loss_plot.set_total_visible(not topk or cfg.auxk > 0)  # (else total = recon)

    def _clear_plots(self, steps: int | None, epochs: int | None, d_latent: int) -> None:
        self.loss_plot.clear_data(steps)
        self.histogram.clear_data()
        self.sparsity_plot.clear_data(epochs, d_latent)
        self.rho_plot.clear_data(d_latent)

    def on_started(self, start: RunStart) -> None:
        cfg = start.config
        self._clear_plots(start.steps_per_epoch * cfg.epochs, cfg.epochs, cfg.d_latent)
        self._name_curves(cfg)
        self.rho_plot.set_target(cfg.kl_target)
        self._draw_history(self.run.earlier, start.history)  # (a continued run's so far)
        resumed_model = self.run.resume_from if start.resumed else None
        if resumed_model is not None and resumed_model.evaluation is not None:  # the model it goes on from, until
            inside = start.start_step != start.start_epoch * start.steps_per_epoch  # its next epoch (the histogram
            when = f"step {start.start_step}" if inside else f"epoch {start.start_epoch}"  # was blank till then)
            self._show_activations(resumed_model.evaluation, when, resumed_model.weights)
        resumed = f", continuing {resumed_from(start)}" if start.start_step else ""
        self._say(f"Training {cfg.penalty} on {cfg.dataset} – {start.device}{resumed}")
        self.refresh_all()

    def on_revival(self, revival: Revival) -> None:
        self.sparsity_plot.add_revival(revival.epoch_position, revival.count, revival.kind)

    def on_step(self, out: IntervalOutput) -> None:
        self.loss_plot.add_step(out)
        self.rho_plot.add_batch_estimate(out.rho_hat)

    def on_epoch(self, out: EpochOutput) -> None:
        ev = out.evaluation
        self.loss_plot.add_epoch(out.step, ev.test_mse)
        self._show_activations(ev, f"epoch {out.epoch}", out.weights)
        self.sparsity_plot.add_epoch(out.epoch, ev.l0, ev.dead_latents)
        total = self.run.start.config.epochs if self.run.start else out.epoch
        # (the finished epoch's figures, while the progress bar counts the epoch under way)
        self._say(f"After epoch {out.epoch}/{total}:  {run_figures(ev)}", ev)
        self._refresh_with_header()

    def _refresh_with_header(self) -> None:
        """The panels that show an epoch's figures, redrawn with the header that states them (in
        their turn, "Completed 3 epochs" stood beside "activation, epoch 2" for up to 3 s on a busy
        machine); once an epoch, so the rationing of redraws is kept during its steps."""
        if self.isVisible():
            for plot in (self.loss_plot, self.rho_plot, self.histogram, self.sparsity_plot):
                if plot.dirty:
                    plot.refresh()
                    settle(plot)

    def _show_activations(self, ev: Evaluation, when: str, weights, cfg=None) -> None:
        """``cfg``: the run's settings (the run started here's by default)."""
        self.rho_plot.set_test_values(ev.rho_hat, when)
        cfg = cfg or (self.run.start.config if self.run.start is not None else None)  # (BatchTopK's line at θ, as
        shared = float(learned_thresholds(weights, cfg.model_config())[0]) \
            if cfg is not None and cfg.penalty == "batchtopk" else None  # the Probe's: "active above 0" hid it)
        self.histogram.set_histogram(*ev.histogram, ev.threshold, when, shared)

    def _show_stop(self, step: int, steps_per_epoch: int, ev: Evaluation) -> None:
        """A run stopped inside an epoch: the figures the header states, where it stopped (the plots'
        last points were its last whole epoch's: "dead 3" above a Sparsity plot ending at 5)."""
        self.loss_plot.set_stop(step, ev.test_mse)
        self.sparsity_plot.set_stop(step / max(steps_per_epoch, 1), ev.l0, ev.dead_latents, step)

    def on_ended(self, end: RunEnd) -> None:
        """One story: the header, the activation panels and the model's name all describe the
        weights the run ended with (a stopped run's, at its last step, not its last epoch's)."""
        story = self.run.end_story()
        if end.evaluation is not None:
            if end.status != "completed":
                self._show_activations(end.evaluation, f"step {end.step}", end.weights)
            if end.position is not None and self.run.start is not None:  # (inside an epoch: not its end's figures)
                self._show_stop(end.step, self.run.start.steps_per_epoch, end.evaluation)
            self._say(f"{story}:  {run_figures(end.evaluation)}", end.evaluation)
        else:
            self._say(story)
        self.refresh_all()

    def _say(self, text: str, ev: Evaluation | None = None, tip: str = "") -> None:
        """The header, and on hover the whole of it with what each figure means. Where Probe and
        Atlas (and the status bar) show a model not of this run, it names the run it tells of:
        beside "Model: 20261203-211919-mnist-kl", "Completed 10 epochs: test MSE 0.02552" read as
        that model's."""
        self._said = (text, ev, tip)
        shown = self.shown.snapshot
        if self.run.run_dir is not None and (shown is None or shown.run_name != self.run.run_dir.name):
            text = f"Run {self.run.run_dir.name} · {text}"
        if self.run.status in WHILE and self.run.end is None:  # first (the progress panel and the status bar
            text = f"{WHILE[self.run.status]} · {text}"  # said "paused" while this said "Training …")
        self.summary.setText(text, *shorter_forms(text))
        self.summary.setToolTip(tooltip_paragraphs([text, *glossary(ev)]) if ev is not None else tip)
