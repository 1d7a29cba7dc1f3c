"""Train ▸ Sweep…: the dialog's grid, the sweep's progress, the frontier filling, stop."""

from PySide6.QtWidgets import QDialog

from sae_desktop.config import TrainConfig
from sae_desktop.qt.sweep_dialog import SweepDialog

SMALL = TrainConfig(epochs=1, batch_size=64, d_hidden=32, d_latent=8, device="cpu", penalty="topk")


def test_dialog_lists_the_runs_and_refuses_bad_values(qtbot):
    dialog = SweepDialog(SMALL)
    qtbot.addWidget(dialog)
    assert dialog.settings[0].currentData() == "k"  # the penalty's own setting first
    dialog.values[0].setText("1,2,4")
    dialog.epochs.setValue(2)
    assert [c.k for c in dialog.configs] == [1, 2, 4] and all(c.epochs == 2 for c in dialog.configs)
    assert "3 runs" in dialog.preview.text() and "k=4" in dialog.preview.text() and dialog.start.isEnabled()
    dialog.settings[1].setCurrentIndex(dialog.settings[1].findData("seed"))
    dialog.values[1].setText("0,1")
    assert len(dialog.configs) == 6 and not dialog.seed.isEnabled() and dialog.names == ["k", "seed"]
    assert "k=1, seed=0; k=1, seed=1; k=2, seed=0" in dialog.preview.text()  # one run from the next
    dialog.values[0].setText("1,20")  # more than the 8 latents
    assert not dialog.start.isEnabled() and "k (kept) 20" in dialog.preview.text() and dialog.configs == []
    dialog.values[0].setText("one")
    assert not dialog.start.isEnabled() and "integer" in dialog.preview.text()


def test_dialog_offers_only_the_penaltys_settings_and_names_them_as_the_form_does(qtbot):
    """With KL it offered k and the L1 coefficient (8 runs announced, of which 2 differed), and said
    "--beta: 'abc' is not a number" in the command line's words."""
    from sae_desktop.config import SETTINGS

    dialog = SweepDialog(SMALL.replace(penalty="kl"))
    qtbot.addWidget(dialog)
    offered = {dialog.settings[1].itemData(i) for i in range(dialog.settings[1].count())} - {None}
    assert {"beta", "rho", "lr", "seed"} <= offered and not offered & {"k", "l1", "l0_coeff"}
    assert all(SETTINGS[name].applies("kl") for name in offered)
    assert dialog.settings[0].currentData() == "beta"
    dialog.values[0].setText("0.001, 0.01")
    assert "β=0.001; β=0.01" in dialog.preview.text()  # the Runs table's symbol ("beta=0.001" beside "Weight β")
    dialog.values[0].setText("abc")
    assert dialog.preview.text().endswith(">Weight β: &#x27;abc&#x27; is not a number</span>")  # (escaped HTML)
    dialog.values[0].setText("-1")
    assert "Weight β -1" in dialog.preview.text() and "--beta" not in dialog.preview.text()


def _accept_with(monkeypatch, values: str):
    def fake_exec(self):
        self.values[0].setText(values)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SweepDialog, "exec", fake_exec)


def test_sweep_runs_in_turn_fills_the_frontier_and_shows_progress(qtbot, gui_window, monkeypatch):
    w = gui_window
    w.panel.set_config(SMALL)
    _accept_with(monkeypatch, "1,3")
    ends = []
    w.controller.runEnded.connect(ends.append)
    states, panel_k = [], []
    w.controller.stateChanged.connect(lambda state: states.append((state, w.sweep_action.isEnabled())))
    w.controller.sweepRunStarted.connect(lambda _: panel_k.append(w.panel.config().k))
    with qtbot.waitSignal(w.controller.sweepEnded, timeout=120000) as ended:
        w.sweep_action.trigger()
        tab = w.tabs.currentWidget()
    assert tab is w.runs_view and states[0] == ("running", False)
    qtbot.waitUntil(lambda: w.controller.state == "idle", timeout=5000)
    assert ended.args[0].runs_done == 2 and not ended.args[0].stopped
    assert [e.status for e in ends] == ["completed", "completed"]
    assert panel_k == [1, 3]  # the panel showed each run's k while it trained (it said the k it started from)
    # refreshed as each run ended (read off the GUI thread: the table follows a moment later)
    # (a scan begun while the second run was training may come back first: wait for the one after its end)
    qtbot.waitUntil(lambda: sorted((r.config["k"], r.status) for r in w.runs_view.runs)
                    == [(1, "completed"), (3, "completed")], timeout=5000)
    assert len(w.runs_view.frontier.scatter["topk"].getData()[0]) == 2
    assert w.statusBar().currentMessage() == "Sweep finished: 2 of 2 runs completed"  # said at its end
    assert w.progress.form.isRowVisible(w.progress.sweep_bar) and "2 of 2" in w.progress.sweep_bar.format()
    assert w.sweep_action.isEnabled()
    # the settings the sweep started from are back (the last run's k stayed, and the next Start trained with it)
    assert w.panel.config().k == SMALL.k == 4


def test_stop_ends_the_sweep(qtbot, gui_window, monkeypatch):
    w = gui_window
    w.panel.set_config(SMALL.replace(epochs=50))
    _accept_with(monkeypatch, "1,2,3")
    w.controller.epochFinished.connect(lambda _: w.stop_action.trigger())  # stop after the first epoch
    with qtbot.waitSignal(w.controller.sweepEnded, timeout=120000) as ended:
        w.sweep_action.trigger()
    assert ended.args[0].runs_done == 1 and ended.args[0].stopped
    qtbot.waitUntil(lambda: w.controller.state == "idle", timeout=5000)
    bar = w.progress.sweep_bar
    assert bar.format() == "stopped: 0 of 3 runs done" and bar.value() == 0  # the stopped run is not one done
    assert bar.fontMetrics().horizontalAdvance(bar.format()) < bar.width()  # on one line in the bar
    assert "Sweep finished: 0 of 3 runs completed; stopped during run 1" in w.statusBar().currentMessage()


def test_a_sweep_that_fails_stops_its_clock(qtbot, gui_window, monkeypatch):
    """A sweep ended by a failure says no SweepEnded: its time went on counting in the panel."""
    import sae_desktop.engine as engine

    real = engine.train
    runs = []

    def train(cfg, *args, **kwargs):
        runs.append(cfg)
        if len(runs) == 2:
            raise MemoryError("out of memory")
        return real(cfg, *args, **kwargs)
    monkeypatch.setattr(engine, "train", train)
    w = gui_window
    w.panel.set_config(SMALL)
    _accept_with(monkeypatch, "1,2,3")
    with qtbot.waitSignal(w.controller.runFailed, timeout=60000):
        w.start_sweep()
    qtbot.waitUntil(lambda: w.controller.state == "idle", timeout=10000)
    sweep = w.run.sweep
    assert sweep is not None and sweep.ended and w.run.sweep_eta() is None
    assert sweep.elapsed(w.run.clock() + 60.0) == sweep.elapsed(w.run.clock())


def test_the_runs_table_follows_the_run_in_training_epoch_by_epoch(qtbot, gui_window):
    """With the Runs tab in view (a sweep shows it), the run in training appeared and changed only
    at run ends: its row, its epochs and its point on the frontier waited for the run to finish."""
    w = gui_window
    w.panel.set_config(SMALL.replace(epochs=3, batch_size=1, log_every=8))  # 640 steps an epoch
    w.tabs.setCurrentWidget(w.runs_view)
    w.run.stepped.connect(lambda out: out.epoch == 2 and w.controller.pause())  # held inside epoch 2
    w.controller.start(w.panel.config())
    try:
        qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=60000)
        table = w.runs_view.table

        def row() -> list[str]:
            return [table.item(0, c).text() for c in range(table.columnCount())] if table.rowCount() == 1 else []

        # Epochs, Status (held there); (the folders are rescanned in the background: 5 s ran out once, under
        # the whole suite's load)
        qtbot.waitUntil(lambda: row()[5:7] == ["1 of 3", "paused"], timeout=20000)  # (of those planned)
        assert row()[7] and row()[9]  # its test MSE and L0
        assert len(w.runs_view.frontier.unfinished.getData()[0]) == 1  # a ring: not completed yet
    finally:
        w.controller.stop()
        qtbot.waitUntil(lambda: w.controller.state == "idle", timeout=30000)


def test_the_sweep_bar_counts_the_run_in_progress(qtbot, gui_window, monkeypatch):
    """It moved only when a run began: 0 % for the whole of run 1 of 2, beside a run bar at 50 %."""
    w = gui_window
    w.panel.set_config(SMALL.replace(epochs=2, batch_size=1, log_every=8))  # 640 steps an epoch
    _accept_with(monkeypatch, "1,3")
    w.run.stepped.connect(lambda out: out.epoch == 2 and w.controller.pause())  # held inside run 1's epoch 2
    w.sweep_action.trigger()
    try:
        qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=60000)
        run_bar, sweep_bar = w.progress.run_bar, w.progress.sweep_bar
        qtbot.waitUntil(lambda: run_bar.value() > 500, timeout=3000)  # (the bars: on the clock's tick)
        assert run_bar.value() < 1000 and abs(sweep_bar.value() - run_bar.value() / 2) <= 1  # its part of run 1 of 2
        assert w.progress.sweep_bar.format().startswith("run 1 of 2")
    finally:
        w.controller.stop()
        qtbot.waitUntil(lambda: w.controller.state == "idle", timeout=30000)


def test_a_runs_scan_is_not_queued_behind_a_paused_run_and_other_work(qtbot, gui_window):
    """The training run holds a background thread for its whole length, paused or not: with one
    thread per core, a paused run and other tasks (one per other core) left the Runs tab's scan
    waiting, its table stale."""
    import threading

    from PySide6.QtCore import QRunnable, QThread, QThreadPool

    w = gui_window
    w.panel.set_config(SMALL.replace(epochs=3, batch_size=1, log_every=8))
    w.run.stepped.connect(lambda out: w.controller.state == "running" and w.controller.pause())
    w.controller.start(w.panel.config())
    release = threading.Event()

    class Busy(QRunnable):
        def run(self) -> None:
            release.wait(30)

    try:
        qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=60000)
        for _ in range(QThread.idealThreadCount() - 1):  # the other cores' worth of background work
            QThreadPool.globalInstance().start(Busy())
        runs = w.runs_view
        with qtbot.waitSignal(runs.scanned, timeout=10000):
            runs.refresh_in_background()
    finally:
        release.set()
        w.controller.stop()
        qtbot.waitUntil(lambda: w.controller.state == "idle", timeout=30000)
    assert QThreadPool.globalInstance().waitForDone(5000)
