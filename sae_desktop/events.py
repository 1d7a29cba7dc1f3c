"""What the training loop says and hears: its events (the CLI prints them, the window's
worker forwards them as signals, ``runs.py`` records them) and :class:`TrainingControl`,
the pause / resume / stop requests it honours between steps."""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

import numpy as np

from sae_desktop.config import TrainConfig
from sae_desktop.evaluation import Evaluation

if TYPE_CHECKING:  # the window imports these events before torch is loaded
    import torch


class TrainingControl:
    """Thread-safe pause / resume / stop requests, checked by the loop between report intervals."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can see the stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; return the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        self._running.wait()
        return time.perf_counter() - start


def where_in_run(epochs_done: int, inside: bool) -> str:
    """Where a step lies, in the words every view uses: "after epoch 3" at an epoch's end, else
    (``inside`` the next epoch) "during epoch 4"; step 0 is "before the first step" (a run stopped at
    once read "Stopped at step 0, after epoch 0")."""
    if inside:
        return f"during epoch {epochs_done + 1}"
    return f"after epoch {epochs_done}" if epochs_done else "before the first step"


@dataclass(frozen=True)
class Position:
    """Where inside an epoch a stopped run stands, so that its checkpoint resumes exactly there
    (a stop lands between two reports; resuming at an epoch's start would train the steps twice)."""

    step: int  # optimizer steps done in the run
    epoch_loss_sum: float  # Σ over this epoch's reports so far of (mean total loss × its steps)
    epoch_seconds: float  # training time of this epoch so far
    steps_since_flush: int  # the trainer's count towards its next denormal flush

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data) -> Position:
        """Rebuild from checkpoint metadata; ``ValueError`` with one line if a field is wrong."""
        fields = [f.name for f in dataclasses.fields(cls)]
        if not isinstance(data, dict) or sorted(data) != sorted(fields):
            raise ValueError(f"position should be an object with {', '.join(fields)}")
        ints = ("step", "steps_since_flush")
        for name in fields:
            value = data[name]
            ok = (isinstance(value, int) and value >= 0) if name in ints else (
                isinstance(value, (int, float)) and math.isfinite(value))
            if isinstance(value, bool) or not ok or abs(value) > 2**53:
                raise ValueError(f"position.{name} should be a {'count' if name in ints else 'finite number'}")
        return cls(**{name: (int(data[name]) if name in ints else float(data[name])) for name in fields})


@dataclass
class RunStart:
    config: TrainConfig
    device: str  # human description, e.g. "cpu (2 threads)"
    n_train: int
    n_test: int
    steps_per_epoch: int
    start_epoch: int  # epochs already done (resume), 0 for a fresh run
    history: list[dict] = field(default_factory=list)  # epoch records so far (resume)
    backend: str = ""  # the training step's backend: "fast" or "autograd" (trainer.py)
    start_step: int = 0  # optimizer steps already done (resume)
    resumed: bool = False


@dataclass
class IntervalOutput:
    """Progress over one report interval: means over the ``log_every`` steps since the last report."""

    step: int  # optimizer steps done in the run
    epoch: int  # 1-based epoch in progress
    epoch_fraction: float  # progress through this epoch, 0-1
    recon_loss: float  # means over the steps since the previous report
    sparsity_loss: float  # unweighted penalty (Σ KL, mean |z| or 0)
    total_loss: float
    samples_per_s: float
    lr: float
    rho_hat: np.ndarray  # batch-mean activation per latent, averaged over the interval

    def to_json(self) -> dict:
        return {
            "type": "step",
            "step": self.step,
            "epoch": self.epoch,
            "losses/recon": self.recon_loss,
            "losses/sparsity": self.sparsity_loss,
            "losses/total": self.total_loss,
            "metrics/samples_per_s": self.samples_per_s,
            "lr": self.lr,
        }

    @classmethod
    def from_json(cls, record: dict) -> IntervalOutput:
        """A step line of metrics.jsonl back as a report (its epoch fraction and ρ̂ are not kept)."""
        return cls(int(record["step"]), int(record["epoch"]), float("nan"), float(record["losses/recon"]),
                   float(record["losses/sparsity"]), float(record["losses/total"]),
                   float(record.get("metrics/samples_per_s", float("nan"))), float(record.get("lr", float("nan"))),
                   np.zeros(0, dtype=np.float32))


@dataclass
class EpochOutput:
    epoch: int
    step: int
    train_loss: float  # mean total loss over the epoch's steps
    epoch_seconds: float  # training time of the epoch (pauses and evaluation excluded)
    eval_seconds: float
    evaluation: Evaluation  # per-image test errors and latents (not written to JSON)
    weights: dict[str, torch.Tensor]  # CPU snapshot, safe to share with other threads
    optimizer: dict[str, torch.Tensor]  # CPU copy of Adam's state, for the autosave

    @property
    def test_mse(self) -> float:
        return self.evaluation.test_mse

    def record(self) -> dict:
        """The JSON-able summary kept in metrics.jsonl and in checkpoints."""
        ev = self.evaluation
        return {
            "type": "epoch",
            "epoch": self.epoch,
            "step": self.step,
            "losses/train_total": self.train_loss,
            "metrics/test_mse": ev.test_mse,
            "metrics/l0": ev.l0,
            "metrics/dead_latents": ev.dead_latents,
            "metrics/fvu": ev.fvu,
            "metrics/frac_alive": ev.frac_alive,
            "metrics/frac_dense": ev.frac_dense,
            "metrics/rho_hat": ev.rho_hat.tolist(),
            "metrics/rho_hat_mean": float(ev.rho_hat.mean()),
            "epoch_seconds": self.epoch_seconds,
            "eval_seconds": self.eval_seconds,
        }


END_STATUSES = ("completed", "stopped", "diverged")  # how a run ends: RunEnd.status, a summary's


@dataclass
class RunEnd:
    status: str  # one of END_STATUSES
    message: str
    epochs_done: int
    step: int
    weights: dict[str, torch.Tensor]  # the weights kept: final, stopped, or last good
    optimizer: dict[str, torch.Tensor]
    history: list[dict]
    evaluation: Evaluation | None  # test metrics of ``weights`` (None if no test images)
    device: str
    position: Position | None = None  # stopped inside an epoch: where (None: at an epoch's end)


@dataclass
class Revival:
    """Dead latents came back at ``step``, ``epoch_position`` epochs in: re-initialised by
    resampling (``kind`` "resampled"), or firing again since the previous report while AuxK
    trains them ("auxk")."""

    step: int
    epoch_position: float  # fractional epochs since the start, e.g. 2.5
    count: int
    kind: str = "resampled"

    def to_json(self) -> dict:
        return {"type": "revival", "step": self.step, "epoch": self.epoch_position, "metrics/revived": self.count,
                "by": self.kind}

    @classmethod
    def from_json(cls, record: dict) -> "Revival":
        """The event of :meth:`to_json`'s record (one written before ``by`` existed: resampling)."""
        kind = record.get("by", "resampled")
        if kind not in ("resampled", "auxk"):
            raise ValueError(f"unknown revival kind {kind!r}")
        return cls(int(record["step"]), float(record["epoch"]), int(record["metrics/revived"]), kind)


@dataclass
class Holding:
    """The loop has stopped between two report intervals, as asked, and waits to go on: said
    before it blocks, so that a window says "Paused" when the steps have stopped (said at the
    request, the interval under way still moved the bars under "Paused")."""

    step: int  # optimizer steps done


Event = Union[RunStart, IntervalOutput, EpochOutput, RunEnd, Revival, Holding]


@dataclass
class ResumeState:
    """Where a run continues from: weights, optimizer state, epochs done, history."""

    weights: dict[str, torch.Tensor]
    optimizer: dict[str, torch.Tensor] | None
    epochs_done: int
    history: list[dict]
    position: Position | None = None  # a stop inside epoch ``epochs_done + 1``
