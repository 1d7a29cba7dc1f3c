"""The "Training" tab: live plots of a run, fed only by the controller's signals.

Reports arrive ~30×/s. A 100 ms timer redraws at most one plot per tick: the loss curves
every other tick (5 Hz), the others in turn when they have new data. On a 2-core machine
every millisecond the main thread paints is taken from training's two OpenMP threads (whose
barriers then wait), and four plots painted at once stall input for 30+ ms; so redraws are
rationed and staggered.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from sae_desktop.engine import EpochOutput, RunEnd, RunStart, StepOutput
from sae_desktop.qt.activation_histogram import ActivationHistogram
from sae_desktop.qt.loss_plot import LossPlot
from sae_desktop.qt.labels import steady_label
from sae_desktop.qt.rho_hat_plot import RhoHatPlot
from sae_desktop.qt.sparsity_plot import SparsityPlot

REFRESH_MS = 100


class TrainingView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loss_plot, self.rho_plot = LossPlot(), RhoHatPlot()
        self.histogram, self.sparsity_plot = ActivationHistogram(), SparsityPlot()
        header = QHBoxLayout()
        self.summary = steady_label("No run yet: press Start (Ctrl+Return) to train.")
        self.summary.setObjectName("summary")
        self.log_y = QCheckBox("Log-scale losses")
        self.log_y.toggled.connect(self.loss_plot.set_log_y)
        header.addWidget(self.summary, 1)
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
        self._run: RunStart | None = None
        self._ticks = 0
        self.timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self.timer.start()

    def preview(self, cfg) -> None:
        """Before a run: show the target ρ the panel is set to."""
        if self._run is None:
            self.rho_plot.set_target(cfg.rho if cfg.penalty == "kl" else None)

    def refresh(self) -> None:
        """One plot per tick: losses on even ticks, the first other plot with news on odd ones."""
        self._ticks += 1
        if self._ticks % 2 == 0:
            self.loss_plot.refresh()
            return
        others = (self.rho_plot, self.histogram, self.sparsity_plot)
        start = self._ticks // 2 % len(others)
        for plot in others[start:] + others[:start]:
            if plot.dirty:
                plot.refresh()
                return

    def refresh_all(self) -> None:
        for plot in (self.loss_plot, self.rho_plot, self.histogram, self.sparsity_plot):
            plot.refresh()

    # -- slots for TrainingController signals -------------------------------------------
    def on_started(self, start: RunStart) -> None:
        self._run = start
        cfg = start.config
        self.loss_plot.clear_data(start.steps_per_epoch * cfg.epochs)
        self.histogram.clear_data()
        self.sparsity_plot.clear_data(cfg.epochs)
        self.rho_plot.clear_data(cfg.d_latent)
        self.loss_plot.set_sparsity_visible(cfg.penalty != "topk")
        self.rho_plot.set_target(cfg.rho if cfg.penalty == "kl" else None)
        for record in start.history:  # resumed run: show what came before
            self.loss_plot.add_epoch(record["step"], record["metrics/test_mse"])
            self.sparsity_plot.add_epoch(record["epoch"], record["metrics/l0"], record["metrics/dead_latents"])
        self.summary.setText(f"Training {cfg.penalty} on {cfg.dataset} – {start.device}")

    def on_step(self, out: StepOutput) -> None:
        self.loss_plot.add_step(out)
        self.rho_plot.add_batch_estimate(out.rho_hat)

    def on_epoch(self, out: EpochOutput) -> None:
        ev = out.evaluation
        self.loss_plot.add_epoch(out.step, ev.test_mse)
        self.rho_plot.set_test_values(ev.rho_hat, out.epoch)
        self.histogram.set_histogram(*ev.histogram, ev.threshold, out.epoch)
        self.sparsity_plot.add_epoch(out.epoch, ev.l0, ev.dead_latents)
        total = self._run.config.epochs if self._run else out.epoch
        self.summary.setText(f"Epoch {out.epoch}/{total}:  test MSE {ev.test_mse:.5f}   L0 {ev.l0:.2f}   "
                             f"dead latents {ev.dead_latents}   mean activation {ev.rho_hat.mean():.4f}")

    def on_ended(self, end: RunEnd) -> None:
        self.refresh_all()
        if end.evaluation is not None and end.status != "completed":
            ev = end.evaluation
            self.summary.setText(f"{end.status.capitalize()} at step {end.step}:  test MSE {ev.test_mse:.5f}   "
                                 f"L0 {ev.l0:.2f}   dead latents {ev.dead_latents}")
