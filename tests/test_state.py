"""The window's evented state models, without Qt: progress and ETA, the run's story, the probe's input."""

import numpy as np
import pytest

from sae_desktop.config import TrainConfig
from sae_desktop.evaluation import Evaluation
from sae_desktop.events import EpochOutput, IntervalOutput, Revival, RunEnd, RunStart
from sae_desktop.probe_state import NO_INPUT, ProbeState, from_test_set, image_file
from sae_desktop.progress import ProgressEstimate
from sae_desktop.run_state import RunState

N_TRAIN, N_TEST, SPE = 1000, 500, 10  # 10 steps of 100 images an epoch


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def start_event(epochs=4, start_epoch=0, history=(), start_step=None):
    """As the engine says it: a resumed run (``start_epoch`` epochs done, or ``start_step`` steps)."""
    cfg = TrainConfig(epochs=epochs, batch_size=100, d_hidden=8, d_latent=4)
    step = start_epoch * SPE if start_step is None else start_step
    return RunStart(cfg, "cpu", N_TRAIN, N_TEST, SPE, start_epoch, list(history), "fast", step, step > 0)


def step_event(step, epoch, fraction, samples_per_s=1e6):
    """The engine's own samples_per_s times only its steps: make it absurd, it must not be shown."""
    return IntervalOutput(step, epoch, fraction, 0.1, 0.01, 0.11, samples_per_s, 1e-3, np.full(4, 0.05, np.float32))


def evaluation():
    return Evaluation(np.full(20, 0.02), np.full((20, 4), 0.3, np.float32), 0.1)


def epoch_event(epoch):
    return EpochOutput(epoch, epoch * SPE, 0.1, 1.0, 2.0, evaluation(), {}, {})


def simulate(estimate_or_state, clock, epochs, start_epoch=0, step_s=0.1, overhead_s=2.0, on_report=None):
    """A run at 1000 images/s of training plus ``overhead_s`` per epoch (evaluation, checkpoint)."""
    feed_step = getattr(estimate_or_state, "report_step", None)
    feed_epoch = getattr(estimate_or_state, "finish_epoch", None)
    for epoch in range(start_epoch + 1, epochs + 1):
        for done in range(1, SPE + 1):
            clock.t += step_s
            out = step_event((epoch - 1) * SPE + done, epoch, done / SPE)
            feed_step(out) if feed_step else estimate_or_state.step(out, clock.t)
            if on_report:
                on_report()
        clock.t += overhead_s
        out = epoch_event(epoch)
        feed_epoch(out) if feed_epoch else estimate_or_state.epoch_end(out, clock.t)


def test_eta_starts_estimating_then_includes_evaluation_and_checkpoint_time():
    clock = Clock()
    estimate = ProgressEstimate(start_event(epochs=10), clock.t)
    assert estimate.figures(clock.t).eta_s is None and estimate.figures(clock.t).images_per_s is None
    finish = clock.t + 10 * (SPE * 0.1 + 2.0)  # the run's true end
    errors = []

    def check():
        figures = estimate.figures(clock.t)
        if figures.run_fraction >= 0.4 and figures.eta_s is not None:
            errors.append(abs(clock.t + figures.eta_s - finish) / (finish - clock.t))

    simulate(estimate, clock, 10, on_report=check)
    assert clock.t == pytest.approx(finish)
    assert errors and max(errors) < 0.1  # the old ETA (steps only) was 3× too short here
    assert estimate.figures(clock.t).eta_s == pytest.approx(0.0, abs=0.5)


def test_a_short_runs_eta_is_estimated_from_its_first_epoch():
    """A 10-epoch run of 7 s (2 s of it training, the rest evaluations) read "estimating…" until
    its 2nd second of training, at 80 %: a whole epoch, its end measured, is enough to go on."""
    clock = Clock()
    estimate = ProgressEstimate(start_event(epochs=10), clock.t)
    finish = clock.t + 10 * (SPE * 0.01 + 0.3)
    shown = []

    def check():
        figures = estimate.figures(clock.t)
        shown.append((figures.run_fraction, figures.eta_s, clock.t))

    simulate(estimate, clock, 10, step_s=0.01, overhead_s=0.3, on_report=check)
    assert clock.t == pytest.approx(finish)
    assert all(eta is None for fraction, eta, _ in shown if fraction <= 0.1)  # (nothing to go on in epoch 1)
    later = [(eta, t) for fraction, eta, t in shown if fraction > 0.1]
    assert later and all(eta is not None for eta, _ in later)
    assert max(abs(t + eta - finish) / (finish - t) for eta, t in later) < 0.1  # and right


def test_the_eta_never_reads_zero_while_more_than_a_reports_worth_of_training_is_left():
    """Training slowed between two reports (another program took the CPU): the smoothed finish
    passed and the panel said "ETA 0:00" at 6 % of the last epoch, 10 s before the end."""
    clock = Clock()
    start = start_event(epochs=4)
    start = RunStart(start.config.replace(log_every=1), *list(vars(start).values())[1:])
    estimate = ProgressEstimate(start, clock.t)
    simulate(estimate, clock, 3)  # 3 epochs at 1000 images/s
    clock.t += 0.1
    estimate.step(step_event(3 * SPE + 1, 4, 0.1), clock.t)  # 900 images left: ~0.9 s at that rate
    clock.t += 30.0  # and no report since
    assert estimate.figures(clock.t).eta_s == pytest.approx(0.8, rel=0.05)  # all but the next report's 100
    for done in range(2, SPE + 1):
        clock.t += 0.1
        estimate.step(step_event(3 * SPE + done, 4, done / SPE), clock.t)
    clock.t += 30.0
    assert estimate.figures(clock.t).eta_s == 0.0  # its training done: only the evaluation was left


def test_the_eta_follows_a_run_that_starts_slowly_and_speeds_up():
    """A run's first seconds 10× slower than the rest (a cold start, another program): the smoothed finish
    began at the slow estimate and read "ETA 0:34" with 3 s left, 20× the throughput shown beside it."""
    clock = Clock()
    estimate = ProgressEstimate(start_event(epochs=10), clock.t)
    fast, errors = 0.01, []
    for epoch in range(1, 11):
        for done in range(1, SPE + 1):
            clock.t += 0.1 if epoch == 1 else fast  # epoch 1 at 1000 images/s, then 10 000
            estimate.step(step_event((epoch - 1) * SPE + done, epoch, done / SPE), clock.t)
            figures = estimate.figures(clock.t)
            if figures.run_fraction >= 0.5:  # (the throughput's 5 s still hold part of the slow epoch)
                left = (10 - epoch + 1 - done / SPE) * SPE * fast + (10 - epoch + 1) * 0.1
                errors.append(figures.eta_s / left)
        clock.t += 0.1
        estimate.epoch_end(epoch_event(epoch), clock.t)
    assert errors and max(errors) < 3, max(errors)  # (it was 7-47× the time left)


def test_the_eta_follows_training_that_slows_down():
    """Another program took a core: the panel read "2,763 images/s, ETA 0:04" with ~16 s of
    training left, the ETA at the whole run's average rate while the throughput beside it fell."""
    clock = Clock()
    estimate = ProgressEstimate(start_event(epochs=6), clock.t)
    simulate(estimate, clock, 2, step_s=0.1, overhead_s=0.5)  # 2 epochs at 1000 images/s
    slow = 0.4  # then 250 images/s for the rest of the run
    finish = clock.t + 4 * (SPE * slow + 0.5)
    errors = []

    def check():
        figures = estimate.figures(clock.t)
        if clock.t - (finish - 4 * (SPE * slow + 0.5)) > 10.0:  # once its window has seen the new pace
            assert figures.images_per_s == pytest.approx(250, rel=0.05)
            errors.append(abs(clock.t + figures.eta_s - finish) / (finish - clock.t))

    for epoch in range(3, 7):
        for done in range(1, SPE + 1):
            clock.t += slow
            estimate.step(step_event((epoch - 1) * SPE + done, epoch, done / SPE), clock.t)
            check()
        clock.t += 0.5
        estimate.epoch_end(epoch_event(epoch), clock.t)
    assert errors and max(errors) < 0.2  # (at the whole run's average rate: 0.5 to 0.74)


def test_a_run_continued_inside_an_epoch_starts_its_bars_where_it_stopped():
    """"continuing from step 1002 (during epoch 3)" stood beside "epoch 3 of 4 – 50%" and an
    empty epoch bar until the first report."""
    clock = Clock()
    into = SPE // 4
    figures = ProgressEstimate(start_event(epochs=4, start_epoch=2, start_step=2 * SPE + into), clock.t).figures(
        clock.t)
    assert (figures.epoch, figures.epoch_fraction) == (3, pytest.approx(into / SPE)) and into
    assert figures.run_fraction == pytest.approx((2 + into / SPE) / 4)
    assert figures.images_per_s is None and figures.eta_s is None  # (nothing measured yet)
    assert ProgressEstimate(start_event(start_epoch=2), clock.t).figures(clock.t).epoch_fraction == 0.0


def test_throughput_is_images_per_wall_second_and_steady():
    clock = Clock()
    estimate = ProgressEstimate(start_event(), clock.t)
    shown = []
    simulate(estimate, clock, 4, on_report=lambda: shown.append(estimate.figures(clock.t).images_per_s))
    measured = [s for s in shown[3:] if s is not None]
    assert measured and all(s == pytest.approx(1000.0, rel=0.01) for s in measured)  # never the engine's 1e6


def test_throughput_does_not_jump_at_an_epochs_start():
    """Measured on the new epoch's first reports alone, the figure fell from 23 341 to 1 857 images/s
    while the window drew the new epoch's model (training slowed for a moment, 2 cores shared)."""
    clock = Clock()
    estimate = ProgressEstimate(start_event(epochs=3), clock.t)
    shown = []

    def report(step, epoch, fraction, seconds):
        clock.t += seconds
        estimate.step(step_event(step, epoch, fraction), clock.t)
        shown.append(estimate.figures(clock.t).images_per_s)

    for epoch in (1, 2):
        for done in range(1, SPE + 1):  # 100 images each 0.1 s (the first two: 0.3 s, as the window draws)
            report((epoch - 1) * SPE + done, epoch, done / SPE, 0.3 if epoch == 2 and done <= 2 else 0.1)
        clock.t += 2.0  # evaluation and checkpoint: no training
        estimate.epoch_end(epoch_event(epoch), clock.t)
    measured = [s for s in shown if s is not None][3:]
    assert measured and max(measured) / min(measured) < 1.5  # was 1000, then 333
    # all the training so far (under 5 s): epoch 1 from its first report, 900 images in 0.9 s, and epoch 2
    # from its start, 1000 in 1.4 s; not the 2 s of evaluation between them
    assert shown[-1] == pytest.approx(1900 / 2.3, rel=1e-6)


def test_pauses_are_left_out_of_elapsed_time_and_throughput():
    clock = Clock()
    state = RunState(clock)
    state.set_status("running")
    state.begin(start_event(epochs=2))
    for done in range(1, 6):
        clock.t += 0.1
        state.report_step(step_event(done, 1, done / SPE))
    state.set_status("paused")
    clock.t += 60.0
    state.set_status("running")
    for done in range(6, 11):
        clock.t += 0.1
        state.report_step(step_event(done, 1, done / SPE))
    figures = state.figures()
    assert figures.elapsed_s == pytest.approx(1.0)
    assert figures.images_per_s == pytest.approx(1000.0, rel=0.01)


def test_a_resumed_run_counts_only_its_own_images():
    clock = Clock()
    history = [{"epoch": e, "eval_seconds": 2.0} for e in (1, 2)]
    estimate = ProgressEstimate(start_event(epochs=4, start_epoch=2, history=history), clock.t)
    assert estimate.figures(clock.t).run_fraction == pytest.approx(0.5)
    rates = []
    simulate(estimate, clock, 4, start_epoch=2, on_report=lambda: rates.append(estimate.figures(clock.t).images_per_s))
    assert all(r == pytest.approx(1000.0, rel=0.01) for r in rates if r is not None)  # not 3000 (2 epochs too many)
    assert estimate.overhead() == pytest.approx(2.0)


def one_run_ended(clock: Clock) -> RunState:
    """A state after a run of one epoch has ended (still running: its worker not yet finished)."""
    state = RunState(clock)
    state.set_status("running")
    state.begin(start_event(epochs=1))
    simulate(state, clock, 1)
    state.finish(RunEnd("completed", "done", 1, SPE, {}, {}, state.history, evaluation(), "cpu"))
    return state


def test_nothing_of_the_previous_run_survives_a_new_start():
    clock = Clock()
    state = one_run_ended(clock)
    state.set_status("idle")
    assert state.end is not None and state.figures() is not None
    cleared = []
    state.cleared.connect(lambda: cleared.append(1))
    state.new_run()
    state.set_status("paused")
    assert cleared == [1] and state.end is None and state.figures() is None and state.model is None


def test_one_story_for_a_stopped_run_and_no_model_before_its_first_epoch():
    clock = Clock()
    state = RunState(clock)
    models = []
    state.model_ready.connect(models.append)
    state.set_status("running")
    state.begin(start_event(epochs=3))
    state.report_step(step_event(4, 1, 0.4))
    state.finish(RunEnd("stopped", "stopped", 0, 4, {}, {}, [], evaluation(), "cpu"))
    assert models == []  # an untrained network is never offered to Probe and Atlas
    assert state.end_story() == "Stopped at step 4, during epoch 1"
    state.new_run()
    state.begin(start_event(epochs=3))
    state.finish(RunEnd("stopped", "stopped", 0, 0, {}, {}, [], evaluation(), "cpu"))  # stopped at once
    assert state.end_story() == "Stopped at step 0, before the first step"  # (it read "after epoch 0")

    state.new_run()
    state.begin(start_event(epochs=3))
    simulate(state, clock, 1)
    assert [m.name for m in models] == ["training run, epoch 1"]
    state.finish(RunEnd("stopped", "stopped", 1, 13, {}, {}, state.history, evaluation(), "cpu"))
    assert state.end_story() == "Stopped at step 13, during epoch 2"
    assert models[-1].name == "training run, stopped at step 13 (during epoch 2)" and models[-1].epoch == 1


def test_resumed_runs_read_their_earlier_steps_back(tmp_path):
    from sae_desktop.runs import RunFolder

    folder = RunFolder(tmp_path)
    for step in (5, 10, 15, 20, 25):
        folder.append(step_event(step, (step - 1) // SPE + 1, 0.5).to_json())
        folder.append(Revival(step, step / SPE, 3, "auxk").to_json())
    folder.append({"type": "revival", "step": 6, "epoch": 0.6, "metrics/revived": 4})  # before "by" existed
    state = RunState(Clock())
    state.prepare(tmp_path)
    state.begin(start_event(epochs=4, start_epoch=2))
    steps = [e for e in state.earlier if isinstance(e, IntervalOutput)]
    assert [s.step for s in steps] == [5, 10, 15, 20]  # up to the checkpoint's step, 2 × 10
    assert steps[0].recon_loss == pytest.approx(0.1)
    revivals = [(e.step, e.count, e.kind) for e in state.earlier if isinstance(e, Revival)]
    assert revivals == [(5, 3, "auxk"), (10, 3, "auxk"), (15, 3, "auxk"), (20, 3, "auxk"), (6, 4, "resampled")]

    state.new_run()  # stopped at step 25, inside epoch 3, and continued from there: its steps so far are kept
    state.prepare(tmp_path)
    state.begin(start_event(epochs=4, start_epoch=2, start_step=25))
    assert [e.step for e in state.earlier if isinstance(e, IntervalOutput)] == [5, 10, 15, 20, 25]


def test_probe_sources_describe_themselves_and_edits_become_drawings():
    digit = from_test_set(17, "7", np.full((28, 28), 255, np.uint8))
    assert digit.describe() == "test #17, label 7" and digit.image.max() == 1.0
    drawn = digit.edited()
    assert drawn.kind == "drawing" and not drawn.fixed and "over test #17" in drawn.describe()
    assert drawn.edited() is drawn and NO_INPUT.edited().describe() == "your drawing"
    assert image_file("one.png", np.zeros((28, 28))).describe() == "file one.png"
    both = image_file("anim.gif", np.zeros((28, 28)), frames=3, part="sheet").describe()
    assert both == "file anim.gif (its first frame of 3; the sheet alone, cut out of the photo)"


def test_probe_state_emits_only_on_change():
    state = ProbeState()
    sources, clamps = [], []
    state.source_changed.connect(sources.append)
    state.clamps_changed.connect(clamps.append)
    digit = from_test_set(3, "1", np.zeros((28, 28), np.uint8))
    state.set_source(digit)
    state.set_source(digit)
    state.set_clamp(2, 0.5)
    state.release(5)
    state.release(2)
    state.reset_clamps()
    assert sources == [digit] and clamps == [{2: 0.5}, {}]


def test_another_runs_model_releases_the_clamps_and_the_same_runs_next_epoch_keeps_them():
    """A clamp set on one run's model steered the next run's (same size): latent i is another
    feature there."""
    state = ProbeState()
    state.set_dictionary(("run-a", 32))
    state.set_clamp(0, 1.0)
    state.set_dictionary(("run-a", 32))  # its next epoch
    assert state.clamps == {0: 1.0}
    state.set_dictionary(("run-b", 32))
    assert state.clamps == {}
    state.set_clamp(3, 0.5)
    state.set_dictionary(("run-b", 64))
    assert state.clamps == {}


def test_a_file_being_read_is_no_longer_wanted_once_another_input_is_chosen():
    state = ProbeState()
    reading = []
    state.reading_changed.connect(reading.append)
    state.set_reading("/photos/seven.png")
    state.set_reading("/photos/seven.png")
    assert state.reading == "/photos/seven.png"
    state.set_source(from_test_set(3, "1", np.zeros((28, 28), np.uint8)))
    assert state.reading == "" and reading == ["/photos/seven.png", ""]


def sweep_of(state: RunState, clock: Clock, runs: int, on_report=None, pause_in_run: int | None = None) -> None:
    """A sweep of ``runs`` runs of 4 epochs each (8.5 s per run: 4 × (1 s of steps + 1 s at the
    epoch's end), plus 0.5 s of starting up), as the controller feeds them."""
    for index in range(runs):
        state.sweep_run(index, runs, None)
        clock.t += 0.5  # loading, building the trainer
        state.begin(start_event(epochs=4))
        if index == pause_in_run:
            state.set_status("paused")
            clock.t += 30.0
            state.set_status("running")
        simulate(state, clock, 4, overhead_s=1.0, on_report=on_report)
        state.finish(RunEnd("completed", "done", 4, 4 * SPE, {}, {}, state.history, evaluation(), "cpu"))


def test_a_sweeps_eta_is_the_whole_sweeps_not_its_runs():
    """In a sweep the ETA said "0:01" at the end of its first run with three more to go."""
    clock = Clock()
    state = RunState(clock)
    state.set_status("running")
    state.new_run()
    finish = clock.t + 4 * 8.5 + 30.0  # the sweep's true end (one pause of 30 s in its second run)
    seen = []

    def check():
        left = state.sweep_eta()
        if left is not None:
            seen.append((state.sweep.index, left, finish - clock.t))
    sweep_of(state, clock, 4, check, pause_in_run=1)
    assert clock.t == pytest.approx(finish)
    assert {index for index, _, _ in seen} == {0, 1, 2, 3}  # from the first run on
    after_pause = [(left, true) for index, left, true in seen if index >= 2]
    assert all(left == pytest.approx(true, rel=0.1) for left, true in after_pause)  # the pause not counted as a run's
    first = [(left, true) for index, left, true in seen if index == 0]
    assert all(left == pytest.approx(true - 30.0, rel=0.15) for left, true in first)  # (the pause was not foreseeable)
    assert state.figures().eta_s < 1.0 and state.sweep_eta() == pytest.approx(0.0, abs=0.5)
    state.end_sweep()
    clock.t += 100.0
    assert state.sweep_eta() is None and state.sweep.elapsed(clock.t) == pytest.approx(4 * 8.5)  # pause left out


def test_between_two_runs_of_a_sweep_the_next_run_is_still_to_come():
    clock = Clock()
    state = RunState(clock)
    state.set_status("running")
    state.new_run()
    sweep_of(state, clock, 1)  # one run done: 8.5 s
    state.sweep.total = 3
    state.sweep_run(1, 3, None)  # the next one has its folder, not its first event
    assert state.sweep_eta() == pytest.approx(2 * 8.5, rel=0.05)
    state.new_run()  # a single run after it: no sweep
    assert state.sweep is None and state.sweep_eta() is None


def test_a_runs_elapsed_time_stops_when_it_ends():
    """Drawn a minute after the run had ended, the panel's Elapsed had gone on counting."""
    clock = Clock()
    state = one_run_ended(clock)
    took = state.figures().elapsed_s
    state.set_status("idle")
    clock.t += 60.0
    assert took == pytest.approx(3.0) and state.figures().elapsed_s == took


def test_images_between_two_steps_count_each_epochs_last_batch_as_it_is():
    """60 000 images in 469 steps of 128: counted as whole batches, 10 epochs made 600 320 images."""
    from sae_desktop.progress import images_between

    cfg = TrainConfig(epochs=3, batch_size=100, d_hidden=8, d_latent=4)
    start = RunStart(cfg, "cpu", 1050, N_TEST, 11, 0, [], "fast", 0, False)  # 10 full batches and one of 50
    assert images_between(start, 0, 11) == 1050 and images_between(start, 0, 33) == 3150
    assert images_between(start, 5, 11) == 550 and images_between(start, 11, 16) == 500


def test_a_run_moved_to_the_trash_is_forgotten_never_the_one_training(tmp_path):
    """The Training tab went on presenting a run moved to the trash from the Runs tab as the current run."""
    from pathlib import Path
    from types import SimpleNamespace

    run = RunState(clock=lambda: 0.0)
    folder, other = tmp_path / "20261206-053938-mnist-batchtopk", tmp_path / "other"
    run.prepare(folder)
    forgotten = []
    run.forgotten.connect(forgotten.append)
    run.trashed([other])  # another run: nothing changes
    assert run.run_dir == folder and not forgotten
    run.set_status("running")
    run.trashed([folder])  # (the Runs tab never moves the run training; if told so, it is kept)
    assert run.run_dir == folder and not forgotten
    run.set_status("idle")
    run.set_resume(SimpleNamespace(path=folder / "checkpoint.safetensors"))  # Continue training would go on in it
    run.trashed([Path(str(folder))])
    assert forgotten == [folder.name] and run.run_dir is None and run.start is None and run.figures() is None
    assert run.resume_from is None  # (a new run next, not one in the trash)
