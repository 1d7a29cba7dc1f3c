"""The main window's training commands: Start, Sweep, Continue, and what the window shows of
the run's state (actions enabled, texts, status bar), mirrored from the run state.
"""

from __future__ import annotations

import json

from sae_desktop.config import TrainConfig
from sae_desktop.events import RunEnd
from sae_desktop.qt.data_folder import confirm_dataset, saved_data_dir
from sae_desktop.qt.settings import app_settings
from sae_desktop.qt.sweep_dialog import SweepDialog
from sae_desktop.qt.torch_loader import FAILED, READY
from sae_desktop.runs import RunFolder
from sae_desktop.snapshot import ModelSnapshot


class TrainingCommands:
    """Part of :class:`~sae_desktop.qt.main_window.MainWindow` (training)."""

    def start_training(self) -> None:
        if self.controller.active or self._start_queued:
            return
        confirmed, self._start_confirmed = self._start_confirmed, False
        cfg = self.panel.config()
        if cfg is None:
            self.statusBar().showMessage("Fix the highlighted settings first.", 5000)
            return
        dataset = (self.run.resume_from.train_config if self.run.resume_from is not None else cfg).dataset
        if not confirmed and not confirm_dataset(self, self.panel.data_folder, dataset):
            return
        if self.torch.state == FAILED:
            self.notify("Training is unavailable", self.torch.error, error=True)
            return
        if self.torch.state != READY:  # the first Start may come before torch has loaded
            self._start_queued = True
            self.torch.start()
            self._on_state(self.controller.state)
            self.statusBar().showMessage("Training starts as soon as PyTorch has loaded…")
            return
        resume, run_dir = None, None
        snap = self.run.resume_from
        if snap is not None:  # the panel's Epochs are more epochs; the rest is the model's own
            cfg = snap.train_config.replace(epochs=snap.epoch + cfg.epochs, device=cfg.device)
            resume = snap.resume_state()  # exactly where it stopped, inside an epoch too
            folder = RunFolder.containing(snap.path) if snap.path else None
            run_dir = folder.path if folder else None
        else:  # a new run's own settings: a hidden penalty's left at their defaults (Resample dead ticked under
            cfg = cfg.applicable()  # KL went on into a BatchTopK run)
        self._save_panel()
        self.progress.clear_sweep()
        self.build_all_tabs()
        self.controller.start(cfg, saved_data_dir(), resume=resume, run_dir=run_dir)

    def start_sweep(self) -> None:
        """Train ▸ Sweep…: a grid over the form's settings; the Runs tab shows the frontier filling."""
        cfg = self.panel.config()
        if self.controller.active or cfg is None or self.run.resume_from is not None:
            return
        dialog = SweepDialog(cfg, self)
        if dialog.exec() != SweepDialog.DialogCode.Accepted or not dialog.configs:
            return
        if not confirm_dataset(self, self.panel.data_folder, dialog.configs[0].dataset):
            return
        self._save_panel()
        self._panel_lent = True
        self.build_all_tabs()
        self.controller.start_sweep(dialog.configs, dialog.names, saved_data_dir())
        self.tabs.setCurrentWidget(self.runs_view)

    def _on_sweep_ended(self, ended) -> None:
        cut_short = ended.stopped and ended.runs_done > ended.completed  # (a run stopped, not between runs)
        stopped = f"; stopped during run {ended.runs_done}" if cut_short else ""
        self.statusBar().showMessage(f"Sweep finished: {ended.completed} of {ended.total} runs completed{stopped}",
                                     15000)  # (as long as a run's end is said)

    def continue_shown_model(self) -> None:
        snap = self.shown.snapshot
        if snap is None or snap.train_config is None or snap.optimizer is None:
            self.notify("Cannot continue", "The shown model has no training state (optimizer); open a full "
                        "checkpoint, e.g. a run's checkpoint.safetensors.", error=True)
            return
        self.run.set_resume(snap)
        self.tabs.setCurrentWidget(self.training_view)

    def leave_resume_mode(self) -> None:
        """New run instead: the panel as it was last set for a new run."""
        self.run.set_resume(None)
        self._restore_panel()

    def _on_resume_changed(self, snap: ModelSnapshot | None) -> None:
        """The panel mirrors continue-training mode: Epochs become "More epochs", the rest is locked.
        When a continued run ends, the panel keeps that run's settings (its epochs the total), as after
        any run: it went back to the form saved before, another model's settings beside the run's figures."""
        if snap is not None:
            cfg = snap.train_config
            more = cfg.epochs - snap.epoch if snap.epoch < cfg.epochs else cfg.epochs  # the rest of its plan
            self.panel.set_config(cfg.replace(epochs=max(1, more)))
            self.panel.set_resume(resume_note(snap))
        else:
            self.panel.set_resume("")
            if self.run.start is not None and self.run.end is not None:  # (the run just ended: it was continued)
                self.panel.set_config(self.run.start.config)
        self._on_state(self.run.status)

    def _on_run_started(self, start) -> None:
        self.device_label.setText(f"Device: {start.device}")
        self.statusBar().showMessage(f"Training – run folder {self.run.run_dir}", 8000)

    def _on_run_ended(self, end: RunEnd) -> None:
        if end.status == "diverged":
            self.notify("Training diverged", end.message, error=True)
        else:
            # a completed or stopped run's message only repeats its story ("Completed 10 epochs: trained
            # 10 epochs", "Stopped at step 533, during epoch 2: stopped by request at step 533 (epoch 2)…")
            detail = f": {end.message}" if end.status not in ("completed", "stopped") else ""
            note = self.follow.end_note(end)
            self.statusBar().showMessage(f"{self.run.end_story()}{detail}." + (f" {note}" if note else ""), 15000)

    def _on_panel_changed(self) -> None:
        cfg = self.panel.config()
        if cfg is not None and (view := self.built_view("Training")) is not None:
            view.preview(cfg)
        self._on_state(self.controller.state)

    def _on_torch_state(self, state: str) -> None:
        if state == READY and self._start_queued:
            self._start_queued, self._start_confirmed = False, True
            self.start_training()
        elif state == FAILED and self._start_queued:
            self._start_queued = False
            self.notify("Training is unavailable", self.torch.error, error=True)
        self._on_state(self.controller.state)

    def _on_state(self, state: str) -> None:
        if state == "idle" and self._panel_lent:  # a sweep has ended (or failed): the settings it started from
            self._panel_lent = False
            self._restore_panel()
        idle = state == "idle" and not self._start_queued
        self.start_action.setEnabled(idle and self.panel.config() is not None)
        self.sweep_action.setEnabled(idle and self.panel.config() is not None and self.run.resume_from is None)
        if self._start_queued:
            self.start_action.setText("Waiting for PyTorch…")
        elif self.torch.state in (READY, FAILED):
            self.start_action.setText("&Continue training" if self.run.resume_from is not None else "&Start training")
        else:  # still clickable: a Start now is queued until torch is ready
            self.start_action.setText("&Start (loading PyTorch…)")
        resumed = self.run.resume_from  # (it said "Train with these settings" of a run whose settings are locked)
        tip = (f"Continue training {resumed.short_name} for its “More epochs” (its settings kept)"
               if resumed is not None else "Train with these settings")
        self.start_action.setStatusTip(tip)
        self.start_action.setToolTip(f"{tip} ({self.start_action.shortcut().toString()})")
        held = state in ("pausing", "paused")
        self.pause_action.setEnabled(state == "running" or held)
        self.pause_action.setText("&Resume" if held else "&Pause")
        self.pause_action.setIcon(self._icons["start" if held else "pause"])
        self.stop_action.setEnabled(state == "running" or held)
        self._update_continue_action()
        self.open_action.setEnabled(idle)
        self.fresh_action.setEnabled(idle and self.run.resume_from is not None)
        self.panel.set_editable(idle, resume=self.run.resume_from is not None)

    def _say_status(self, status: str) -> None:
        """The status bar says a change of the run's status when it happens, only then: said again
        from _on_state (which also mirrors panel edits and the end of continue-training mode,
        after the run's end was told), "Training…" stayed on under a completed run."""
        said = {"running": "Training…", "pausing": "Pausing…", "paused": "Paused", "stopping": "Stopping…"}
        if status in said:
            self.statusBar().showMessage(said[status])
        elif self.statusBar().currentMessage() in said.values():  # idle: nothing left to say of it
            self.statusBar().clearMessage()

    def _update_continue_action(self) -> None:
        """Resuming needs an idle trainer and a model with optimizer state."""
        snap = self.shown.snapshot
        self.continue_action.setEnabled(self.controller.state == "idle" and snap is not None
                                        and snap.optimizer is not None)

    def _on_run_failed(self, message: str) -> None:
        lowered = message.lower()
        if "cuda" in lowered or "gpu" in lowered or "mps" in lowered:
            self.notify("Training could not run", message, error=True, offer=("Use the CPU", self.use_cpu))
        else:
            self.notify("Training could not run", message, error=True)

    def use_cpu(self) -> None:
        self.panel.set_config((self.panel.config() or TrainConfig()).replace(device="cpu"))
        self.statusBar().showMessage("Device set to cpu: press Start (Ctrl+Return) to train", 8000)

    def _save_panel(self) -> None:
        cfg = self.panel.config()
        if cfg is not None and self.run.resume_from is None and not self._panel_lent:  # (not a sweep's point)
            app_settings().setValue("training/config", json.dumps(cfg.to_dict()))

    def _restore_panel(self) -> None:
        saved = app_settings().value("training/config")
        if isinstance(saved, str):
            try:
                self.panel.set_config(TrainConfig.from_dict(json.loads(saved)))
            except (ValueError, RecursionError):  # (JSON nested too deeply: the window never opened)
                pass  # settings from another version, or garbled: keep the defaults


def resume_note(snap: ModelSnapshot) -> str:
    """What a Start in continue-training mode does, for a model saved after an epoch or inside one.
    A run's model is named by its run folder (the model's name also says "stopped at step 533
    (during epoch 2)", which the note says its own way)."""
    folder = RunFolder.containing(snap.path) if snap.path is not None else None
    run = folder.path.name if folder is not None else snap.name
    if snap.position is not None:
        start = (f"from epoch {snap.epoch}, the last one finished" if snap.epoch else
                 "from the start: no epoch has finished yet")  # (it read "from epoch 0, the last one finished")
        return (f"Continuing “{run}” from step {snap.position.step}, inside epoch {snap.epoch + 1} (its steps so "
                f"far are kept). “More epochs” are counted {start}. The device can be changed too.")
    return (f"Continuing “{run}” after epoch {snap.epoch}: Continue training adds “More epochs” on top. The "
            "device can be changed too.")
