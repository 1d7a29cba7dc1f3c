"""How far a run is, how fast it goes and when it will end, from wall-clock time.

The engine's own ``samples_per_s`` times only its steps: it leaves out evaluation, the
checkpoint written after each epoch and the time the window takes to draw, so an ETA built
on it was several times too short (0:05 left at 42 %, for a run that took 35 s more), and
per-interval figures jumped by 100× between reports. Here every figure comes from the
times the reports *arrive*, with pauses left out:

- throughput: images trained over the last few seconds of training, divided by those seconds
  (the time between an epoch's last report and the next epoch's first, where the test set is
  evaluated and the checkpoint written, left out; counted across it: measured on the new epoch's
  first reports alone, it jumped from 23 341 to 1 857 images/s while the window drew the new model);
- per-epoch overhead: from the last report of an epoch to its evaluation's arrival (evaluation,
  checkpoint, transport), measured each epoch; before the first, the resumed run's recorded
  evaluation times, or a guess from the test set's size;
- ETA: remaining images at the throughput plus the remaining epochs' overhead,
  smoothed over a few seconds, within :data:`BAND` of it; ``None`` ("estimating…") until
  enough has been seen (a few seconds of training, or a whole epoch and its end).

Pure Python: the caller passes the clock (``time.monotonic()``), so tests drive it exactly.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from sae_desktop.events import EpochOutput, RunStart, IntervalOutput

WINDOW_S = 5.0  # throughput: the last seconds of training
SMOOTHING_S = 3.0  # ETA: time constant of the smoothed finish time
BAND = 1.5  # …held within this factor of the time left at the current pace
MIN_REPORTS, MIN_SECONDS = 3, 2.0  # before this (or an epoch's end), the ETA is "estimating…"
EVAL_COST = 0.5  # guess before the first epoch ends: a test image costs half a training image


@dataclass(frozen=True)
class Figures:
    """What a progress view shows at one moment."""

    run_fraction: float  # of the whole run (epochs before a resume included)
    epoch: int  # 1-based epoch in progress (or the last one, when done)
    epoch_fraction: float
    images_per_s: float | None  # None: not measured yet
    elapsed_s: float  # this run's active time (pauses excluded)
    eta_s: float | None  # None: still estimating
    training_rate: float | None = None  # images per second of training over the whole run (None: not measured)


def images_between(start: RunStart, first_step: int, last_step: int) -> int:
    """Images trained from step ``first_step`` to ``last_step``: an epoch's last batch is partial
    (60 000 images in 469 steps of 128; counted whole, 10 epochs made 600 320)."""

    def images_at(step: int) -> int:
        epochs, into = divmod(step, start.steps_per_epoch) if start.steps_per_epoch else (0, step)
        return epochs * start.n_train + min(into * start.config.batch_size, start.n_train)

    return images_at(last_step) - images_at(first_step)


class ActiveClock:
    """Seconds since ``now``, pauses left out, until it is stopped."""

    def __init__(self, now: float):
        self._t0 = now
        self._paused_total = 0.0
        self._paused_since: float | None = None
        self._stopped: float | None = None  # the active seconds it stopped at

    def active(self, now: float) -> float:
        if self._stopped is not None:
            return self._stopped
        paused = self._paused_total + (now - self._paused_since if self._paused_since is not None else 0.0)
        return max(0.0, now - self._t0 - paused)

    def stop(self, now: float) -> None:
        if self._stopped is None:
            self._stopped = self.active(now)

    @property
    def stopped(self) -> bool:
        return self._stopped is not None

    def pause(self, now: float) -> None:
        if self._paused_since is None:
            self._paused_since = now

    def resume(self, now: float) -> bool:
        """Counting again; True if it was paused."""
        if self._paused_since is None:
            return False
        self._paused_total += now - self._paused_since
        self._paused_since = None
        return True

    @property
    def paused(self) -> bool:
        return self._paused_since is not None


class ProgressEstimate:
    def __init__(self, start: RunStart, now: float):
        cfg = start.config
        self.start = start
        self.total_epochs = cfg.epochs
        self.n_train = start.n_train
        self._clock = ActiveClock(now)
        self.epoch = start.start_epoch + 1
        # a run continued inside an epoch starts where it stopped (its bars read "50 %" and "0 %"
        # beside "continuing from step 1002 (during epoch 3)" until the first report)
        into = start.start_step - start.start_epoch * start.steps_per_epoch
        self.epoch_fraction = into / start.steps_per_epoch if start.steps_per_epoch and into > 0 else 0.0
        self.epochs_done = start.start_epoch
        self._reports = 0
        self._previous: tuple[float, float] | None = None  # (active s, images) at the last report or epoch start
        self._train_seconds = 0.0  # training time between reports of an epoch, and their images
        self._train_images = 0.0
        self._trained: deque[tuple[float, float]] = deque()  # (_train_seconds, _train_images) at reports
        self._last_report: tuple[float, float] | None = None
        self._overheads: list[float] = []
        recorded = [r["eval_seconds"] for r in start.history if isinstance(r.get("eval_seconds"), (int, float))]
        self._overhead_prior = sum(recorded) / len(recorded) if recorded else None
        self._finish: float | None = None  # smoothed predicted finish, in active seconds
        self._finish_at: float = 0.0

    # -- clock ------------------------------------------------------------------------------
    def active(self, now: float) -> float:
        return self._clock.active(now)

    def pause(self, now: float) -> None:
        self._clock.pause(now)

    def resume(self, now: float) -> None:
        if self._clock.resume(now):
            self._previous = None  # the first report after a pause spans the pause's edge
            self._last_report = None

    @property
    def paused(self) -> bool:
        return self._clock.paused

    # -- reports ----------------------------------------------------------------------------
    def images_done(self) -> float:
        """Images trained in this run (not counting epochs before a resume)."""
        return (self.epoch - 1 - self.start.start_epoch + self.epoch_fraction) * self.n_train

    def step(self, out: IntervalOutput, now: float) -> None:
        self.epoch, self.epoch_fraction = out.epoch, out.epoch_fraction
        t, images = self.active(now), self.images_done()
        self._reports += 1
        if self._previous is not None:
            (t_prev, i_prev) = self._previous
            if t > t_prev and images > i_prev:
                self._train_seconds += t - t_prev
                self._train_images += images - i_prev
        self._previous = (t, images)
        self._trained.append((self._train_seconds, self._train_images))
        while len(self._trained) > 2 and self._train_seconds - self._trained[1][0] >= WINDOW_S:
            self._trained.popleft()
        self._last_report = (t, images)
        self._update_finish(t)

    def epoch_end(self, out: EpochOutput, now: float) -> None:
        t = self.active(now)
        if self._last_report is not None and self.epoch_fraction >= 1.0:
            self._overheads.append(max(0.0, t - self._last_report[0]))
        self.epochs_done = out.epoch
        self.epoch, self.epoch_fraction = out.epoch + 1, 0.0
        self._previous = (t, self.images_done())  # the next epoch's training starts now
        self._last_report = None
        self._update_finish(t)

    def finish(self, now: float) -> None:
        """The run has ended: its elapsed time stops (a view drawn later showed it still counting)."""
        self._clock.stop(now)

    # -- figures ----------------------------------------------------------------------------
    def throughput(self) -> float | None:
        """Images per second over the last WINDOW_S seconds of training."""
        (s0, i0), (s1, i1) = (self._trained[0], self._trained[-1]) if self._trained else ((0.0, 0.0),) * 2
        return (i1 - i0) / (s1 - s0) if s1 > s0 else self.training_rate()

    def overhead(self) -> float:
        """Seconds each epoch's end costs (evaluation, checkpoint)."""
        if self._overheads:
            return sum(self._overheads) / len(self._overheads)
        if self._overhead_prior is not None:
            return self._overhead_prior
        rate = self.training_rate()
        return EVAL_COST * self.start.n_test / rate if rate else 0.0

    def training_rate(self) -> float | None:
        """Images per second of training over the run so far (its evaluations, checkpoints and
        start left out)."""
        return self._train_images / self._train_seconds if self._train_seconds > 0 else None

    def _remaining_images(self) -> float:
        return max(0.0, (self.total_epochs - self.start.start_epoch) * self.n_train - self.images_done())

    def _raw_eta(self) -> float | None:
        """The remaining images at the rate training goes at now (the last WINDOW_S seconds': at
        the whole run's average, a run slowed to a quarter by another program read "2,763
        images/s, ETA 0:04" with 16 s of training left), plus the remaining epochs' ends."""
        rate = self.throughput()
        # enough seen: a few seconds of training, or a whole epoch and its end (a 10-epoch run of 7 s,
        # 2 of them training, read "estimating…" until 80 %)
        if not rate or self._reports < MIN_REPORTS or (self._train_seconds < MIN_SECONDS and not self._overheads):
            return None
        return self._remaining_images() / rate + (self.total_epochs - self.epochs_done) * self.overhead()

    def _least_left(self) -> float:
        """The time left however fast the steps since the last report went: all but the next
        report's images are still to train (when training slowed between two reports, the
        smoothed finish counted down to "0:00" with most of the last epoch still to go)."""
        rate, cfg = self.throughput(), self.start.config
        return max(0.0, self._remaining_images() - cfg.log_every * cfg.batch_size) / rate if rate else 0.0

    def _update_finish(self, t: float) -> None:
        eta = self._raw_eta()
        if eta is None:
            return
        finish = t + eta
        if self._finish is None or not self._remaining_images():  # (training done: only epochs' ends left)
            self._finish = finish
        else:
            self._finish += (1.0 - math.exp(-max(0.0, t - self._finish_at) / SMOOTHING_S)) * (finish - self._finish)
            # never further than BAND× from the estimate at today's pace: a run whose start was slow (10× slower
            # in its first seconds) read "ETA 0:34" with 3 s to go, the throughput beside it 20× its first
            self._finish = min(max(self._finish, t + eta / BAND), t + eta * BAND)
        self._finish_at = t

    def figures(self, now: float) -> Figures:
        t = self.active(now)
        epoch, fraction = self.epoch, self.epoch_fraction
        if epoch > self.total_epochs:  # the last epoch has ended
            epoch, fraction = self.total_epochs, 1.0
        done = (epoch - 1 + fraction) / self.total_epochs
        eta = None if self._finish is None else max(0.0, self._finish - t, self._least_left())
        return Figures(min(max(done, 0.0), 1.0), epoch, fraction, self.throughput(), t, eta, self.training_rate())


class SweepEstimate:
    """A sweep's time left: the run in progress's, plus each run still to come as long as the
    sweep's finished runs took on average (from one's start to the next's: starting up, training,
    evaluations, checkpoints; pauses left out) or, before one has finished, as long as the run in
    progress will have taken. The run's own ETA alone said "0:01" with three runs to go."""

    def __init__(self, total: int, now: float):
        self.total = total
        self.index = 0  # 0-based: the run in progress (or starting)
        self._clock = ActiveClock(now)
        self._began = 0.0  # active seconds at which the run in progress began
        self._took: list[float] = []  # active seconds each finished run took

    @property
    def ended(self) -> bool:
        return self._clock.stopped

    def end(self, now: float) -> None:
        self._clock.stop(now)

    def elapsed(self, now: float) -> float:
        """The sweep's active seconds so far (all of them, once it has ended)."""
        return self._clock.active(now)

    def pause(self, now: float) -> None:
        self._clock.pause(now)

    def resume(self, now: float) -> None:
        self._clock.resume(now)

    def run_started(self, index: int, now: float) -> None:
        t = self._clock.active(now)
        if index == self.index + 1:
            self._took.append(t - self._began)
        self.index, self._began = index, t

    def eta(self, run_left: float | None, now: float, begun: bool = True) -> float | None:
        """Seconds until the sweep ends, given the run in progress's ``run_left`` (None: still
        estimating); ``begun`` False: the run in progress is still starting (no report of its own
        yet). None while there is nothing to go on, or once the sweep has ended."""
        if self.ended:
            return None
        in_run = self._clock.active(now) - self._began
        if self._took:
            per_run = sum(self._took) / len(self._took)
            if run_left is None or not begun:
                run_left = max(per_run - in_run, 0.0)
        elif run_left is None or not begun:
            return None
        else:
            per_run = in_run + run_left
        return run_left + (self.total - self.index - 1) * per_run
