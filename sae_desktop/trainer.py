"""The training-step interface the engine drives, and its plain autograd backend.

A :class:`Trainer` holds one model's parameters and Adam's state on one device and runs
steps on batches of the uint8 training images. Two backends implement it:

* :class:`AutogradTrainer` (here): the model's forward pass, the loss, ``loss.backward()``
  and ``torch.optim.Adam`` (its fused kernel where the device has one). It runs any
  mechanism the model and the loss define, on any device, and is the test oracle. A new
  mechanism plugs in where the model and the loss are defined (``model.py``: the latent
  activation; ``losses.py``: the penalty and :class:`~sae_desktop.losses.Objective`); this
  backend needs no change.
* :class:`~sae_desktop.fast_trainer.FastSAETrainer`: the hand-written step, ~2× faster on a
  small CPU for the configurations it supports (``sae-desktop benchmark`` reports both).

Both record, per step, the batch's summed reconstruction loss and its ρ̂ row; :meth:`report`
turns them into means every ``log_every`` steps (one device sync), so both give the same
events, and both save Adam's state in the same canonical layout (checkpoints and resumes are
interchangeable between them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from sae_desktop.checkpoint_schema import DEAD_LATENT_KEYS
from sae_desktop.config import SETTINGS, TrainConfig
from sae_desktop.devices import fused_adam_works
from sae_desktop.events import ResumeState
from sae_desktop.losses import Objective
from sae_desktop.mechanisms import RESAMPLE_UNTIL, normalise_decoder, project_decoder_grad, resample_dead
from sae_desktop.model import SparseAutoencoder

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, as the tutorial uses

# Adam's moments are flushed of denormal numbers after a run of steps once at least this many have
# run since the last flush (see flush_denormal_moments): at every report with the default log_every.
FLUSH_DENORMALS_EVERY = 16
SMALLEST_NORMAL = torch.finfo(torch.float32).tiny


@torch.no_grad()
def copy_tensors(into: list[torch.Tensor], sources: list[torch.Tensor]) -> None:
    """``into[i].copy_(sources[i])`` for all i (public API: torch's foreach kernel is private)."""
    for dst, src in zip(into, sources):
        dst.copy_(src)


def seeded_model(cfg: TrainConfig, resume: ResumeState | None) -> SparseAutoencoder:
    """The run's starting model on the CPU: default init drawn from the seed (tutorial
    order, global RNG untouched), or the resumed weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = SparseAutoencoder(cfg.model_config())
    return model.load_weights(resume.weights) if resume is not None else model


@dataclass
class Report:
    """Means over the steps since the previous report."""

    steps: int
    recon: float
    sparsity: float
    total: float
    rho_hat: np.ndarray
    finite: bool
    revived: int = 0  # AuxK: latents dead at the previous report that have fired since


class Trainer:
    """Parameters, Adam's state and the steps for one model on one device (see the module
    docstring). Subclasses set ``model`` (whose parameters are the live weights) and
    implement :meth:`_run`, :meth:`_moments`, :meth:`_adam_steps` and :meth:`state_tensors`."""

    backend = ""
    model: SparseAutoencoder

    def __init__(self, cfg: TrainConfig, device: torch.device, train_u8: torch.Tensor):
        self.cfg, self.device = cfg, device
        self.model_cfg = mc = cfg.model_config()
        self.objective = Objective(cfg)
        self.penalty = self.objective.penalty
        self.train_u8 = train_u8.contiguous()
        self.n = train_u8.shape[0]
        self.steps_since_flush = 0
        # A row per step since the last report: the summed reconstruction loss, the batch ρ̂, the other weighted
        # terms (LossTerms.extra: AuxK's, JumpReLU's), one buffer a report reads in one go (losses: report()).
        self.capacity = cfg.log_every
        self.records = torch.zeros(self.capacity, 2 + mc.d_latent, device=device)
        self.recon_rows, self.rho_rows = self.records[:, 0], self.records[:, 1:1 + mc.d_latent]
        self.extra_rows = self.records[:, 1 + mc.d_latent]
        self.sparsity_rows = torch.zeros(self.capacity, device=device)  # penalties not computed from ρ̂
        self.revivals: list[tuple[int, int]] = []  # (step, latents revived: 0 at a check that found none) unreported
        self.pending_elements: list[int] = []  # per unreported step: the pixel count its summed loss is over
        self._since_fired_at_report = self.objective.images_since_fired.clone()  # see _revived_since_report

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n / min(self.cfg.batch_size, self.n))

    def run_steps(self, idx: torch.Tensor, lrs: list[float]) -> None:
        """``len(lrs)`` steps on consecutive batches of ``idx`` (equal ones, or one step on
        any batch), with those learning rates. Call :meth:`report` at least every
        ``log_every`` steps (older loss records would be overwritten)."""
        count = len(lrs)
        b = idx.shape[0] // count
        first = len(self.pending_elements) % self.capacity
        if count > 1 and (idx.shape[0] != b * count or first + count > self.capacity):
            raise ValueError(f"{count} steps need {count} full batches within one report interval")
        self._run(idx, first, lrs)
        self.pending_elements.extend([b * self.model_cfg.d_in] * count)
        self.steps_since_flush += count
        if self.steps_since_flush >= FLUSH_DENORMALS_EVERY:
            self.flush_denormal_moments()

    def step(self, idx: torch.Tensor, lr: float) -> None:
        """One Adam step on the training images ``idx``."""
        self.run_steps(idx, [lr])

    def _run(self, idx: torch.Tensor, first_row: int, lrs: list[float]) -> None:
        raise NotImplementedError

    @property
    def pending(self) -> bool:
        """Whether steps have run since the last report."""
        return bool(self.pending_elements)

    def report(self) -> Report:
        """Loss means over the steps since the last report (one device sync), then reset."""
        m = min(len(self.pending_elements), self.capacity)
        # One transfer, then NumPy in float64 on a few rows (see SparsityPenalty).
        records = self.records[:m].cpu().numpy().astype(np.float64)
        recon = records[:, 0] / np.asarray(self.pending_elements[-m:], dtype=np.float64)
        rows = records[:, 1:-1]
        sparsity = (self.penalty.value(rows) if self.penalty.from_rho
                    else self.sparsity_rows[:m].cpu().numpy().astype(np.float64))
        total = recon + self.penalty.weight * sparsity + records[:, -1]  # (the extra terms: 0 where none)
        rho = rows.mean(axis=0).astype(np.float32)
        revived = self._revived_since_report(sum(self.pending_elements) // self.model_cfg.d_in)
        self.pending_elements.clear()
        means = [float(v.sum()) / max(m, 1) for v in (recon, sparsity, total)]
        finite = all(math.isfinite(v) for v in means) and bool(np.isfinite(rho).all())
        return Report(m, *means, rho, finite, revived)

    def _revived_since_report(self, images: int) -> int:
        """With AuxK, the latents dead (Objective.dead) at the previous report that fired on one
        of the ``images`` trained on since: each firing resets its count, so it now stands below
        where it would without one. Both backends share the count, so both report the same."""
        if self.objective.auxk <= 0:
            return 0
        before, now = self._since_fired_at_report, self.objective.images_since_fired.cpu()
        self._since_fired_at_report = now.clone()
        return int(((before >= self.objective.dead_after) & (now < before + images)).sum())

    def _moments(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Each parameter's (exp_avg, exp_avg_sq), in ``[out, in]`` shape, PARAM_NAMES order."""
        raise NotImplementedError

    def _adam_steps(self) -> list[torch.Tensor]:
        """Adam's step count tensor(s) (0-d)."""
        raise NotImplementedError

    def state_tensors(self) -> list[torch.Tensor]:
        """Everything a step changes and a restore must put back: weights and Adam's state."""
        raise NotImplementedError

    def flush_denormal_moments(self) -> None:
        """Zero Adam's moments below float32's smallest normal number (~1.2e-38).

        Where a gradient stays 0 (weights of the blank border pixels of MNIST), the first
        moment decays ×0.9 a step and spends ~150 steps as a denormal number, on which x86
        arithmetic is slow: ~30 000 of them made steps 1.5% slower on the 2-core CPU (paired
        chunks). Their contribution to an update is below 1e-30. (A NaN moment also becomes
        0, but it has already made its weight NaN, which the next report catches.)"""
        self.steps_since_flush = 0
        for pair in self._moments().values():
            for moment in pair:
                moment.masked_fill_(moment.abs() < SMALLEST_NORMAL, 0.0)

    def optimizer_state(self) -> dict[str, torch.Tensor]:
        """Adam's moments flattened parameter by parameter in ``[out, in]`` order (the checkpoint layout, whatever
        a backend's in memory), and which latents are dead (DEAD_LATENT_KEYS: AuxK, resampling go on unchanged)."""
        moments = self._moments().values()
        state = {
            "optimizer.exp_avg": torch.cat([a.detach().reshape(-1) for a, _ in moments]).cpu(),
            "optimizer.exp_avg_sq": torch.cat([s.detach().reshape(-1) for _, s in moments]).cpu(),
            "optimizer.step": self._adam_steps()[0].detach().cpu().clone().reshape(1),
        }
        if self.objective.auxk > 0 or self.cfg.resample:  # (the runs that read it)
            state[DEAD_LATENT_KEYS[0]] = self.objective.images_since_fired.detach().cpu().clone()
            state[DEAD_LATENT_KEYS[1]] = self.reading().to(torch.float32)
        return state

    def load_optimizer(self, state: dict[str, torch.Tensor]) -> None:
        moments = list(self._moments().values())
        sizes = [exp_avg.numel() for exp_avg, _ in moments]
        for index, key in enumerate(("optimizer.exp_avg", "optimizer.exp_avg_sq")):
            parts = torch.as_tensor(state[key]).to(self.device).reshape(-1).split(sizes)
            for pair, part in zip(moments, parts):
                pair[index].copy_(part.view(pair[index].shape))
        for step in self._adam_steps():
            step.copy_(torch.as_tensor(state["optimizer.step"]).reshape(()))
        if DEAD_LATENT_KEYS[0] in state:  # (a file saved before they were: the count starts again)
            self.objective.images_since_fired.copy_(torch.as_tensor(state[DEAD_LATENT_KEYS[0]]).reshape(-1))
            self._since_fired_at_report = self.objective.images_since_fired.cpu().clone()
            self.read_from(torch.as_tensor(state[DEAD_LATENT_KEYS[1]]))

    def reading(self) -> torch.Tensor:  # AuxK's last reading of the dead latents (losses.Objective.reading)
        return self.objective.reading()

    def read_from(self, reading: torch.Tensor) -> None:
        self.objective.read_from(reading)

    def weights(self) -> dict[str, torch.Tensor]:
        return self.model.snapshot()


class AutogradTrainer(Trainer):
    """The plain backend: the model's forward, the objective, ``backward()``, ``torch.optim.Adam``."""

    backend = "autograd"

    def __init__(self, cfg: TrainConfig, device: torch.device, train_u8: torch.Tensor,
                 resume: ResumeState | None = None):
        super().__init__(cfg, device, train_u8)
        self.model = seeded_model(cfg, resume).to(device).eval()
        self.fused = fused_adam_works(device)
        params = list(self.model.parameters())
        self.optimizer = torch.optim.Adam(params, lr=cfg.lr, betas=ADAM_BETAS, eps=ADAM_EPS,
                                          fused=True if self.fused else None)
        # Adam's state made now, not at the first step: saved, loaded, restored before any step (as Adam makes it)
        for p in params:
            step_device = p.device if self.fused else torch.device("cpu")
            self.optimizer.state[p] = {"step": torch.zeros((), dtype=torch.float32, device=step_device),
                                       "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
        if resume is not None and resume.optimizer is not None:
            self.load_optimizer(resume.optimizer)
        if cfg.unit_norm_decoder:
            normalise_decoder(self.model)
        self.steps_done = (resume.position.step if resume.position else resume.epochs_done * self.steps_per_epoch) \
            if resume is not None else 0  # (stopped inside an epoch: the resampling schedule goes on from its step)
        self.total_steps = cfg.epochs * self.steps_per_epoch
        resample = cfg.resample and SETTINGS["resample"].applies(cfg.penalty)  # (as losses.py's AuxK: never a
        self.resample_every = max(self.steps_per_epoch // 2, 1) if resample else 0  # TopK run's; _resample_due)
        if resample:
            self.objective.dead_after = self.resample_every * min(cfg.batch_size, self.n)

    def _run(self, idx: torch.Tensor, first_row: int, lrs: list[float]) -> None:
        b = idx.shape[0] // len(lrs)
        group = self.optimizer.param_groups[0]
        unit_norm = self.cfg.unit_norm_decoder
        for i, lr in enumerate(lrs):
            if self._resample_due():
                self._resample()
            x = self.train_u8[idx[i * b:(i + 1) * b]].to(torch.float32).div_(255.0)
            terms = self.objective(self.model, x)
            self.optimizer.zero_grad(set_to_none=True)
            terms.total.backward()
            if unit_norm:
                project_decoder_grad(self.model)
            group["lr"] = lr
            self.optimizer.step()
            if unit_norm:
                normalise_decoder(self.model)
            with torch.no_grad():
                row = self.records[first_row + i]
                row[0] = terms.recon.detach() * x.numel()
                torch.mean(terms.z.detach(), 0, out=row[1:-1])
                if terms.sparsity is not None:
                    self.sparsity_rows[first_row + i] = terms.sparsity.detach()
                row[-1] = terms.extra.detach() if terms.extra is not None else 0.0
            self.steps_done += 1

    def _resample_due(self) -> bool:
        """Resample before the next step? Mid-epoch, and at a later epoch's start, after the last one's evaluation
        (every 234 steps hit 1-2 before an epoch's end: its test figures measured untrained revived latents)."""
        return self.steps_done % self.steps_per_epoch in (0, self.steps_per_epoch // 2) and \
            bool(self.resample_every) and 0 < self.steps_done <= RESAMPLE_UNTIL * self.total_steps

    def _resample(self) -> None:
        """Resample the latents that did not fire since the last check (see ``mechanisms.py``)."""
        generator = torch.Generator().manual_seed(self.cfg.seed * 7919 + self.steps_done)
        count = resample_dead(self.model, self.optimizer, self.objective.dead().cpu(), self.train_u8, generator,
                              self.cfg.recon)
        self.objective.images_since_fired.zero_()  # a fresh window for the next check
        self.revivals.append((self.steps_done, count))  # (0 too: the window shows the check found none silent)

    def _moments(self):
        state = self.optimizer.state
        return {name: (state[p]["exp_avg"], state[p]["exp_avg_sq"]) for name, p in self.model.named_parameters()}

    def _adam_steps(self):
        return [self.optimizer.state[p]["step"] for p in self.model.parameters()]

    def state_tensors(self):
        state = self.optimizer.state
        return [*self.model.parameters(), *self.model.buffers(),
                *(state[p][k] for p in self.model.parameters() for k in ("exp_avg", "exp_avg_sq", "step"))]
