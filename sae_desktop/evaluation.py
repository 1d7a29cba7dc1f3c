"""Test-set metrics of a model: MSE, ρ̂ per latent, L0, density and dead latents.

Definitions (used everywhere: CLI, GUI, atlas, checkpoints):

* a latent is **active** on an image when its activation exceeds the model's
  ``active_threshold``: 0.1 for sigmoid latents (kl), which are never exactly zero, and 0
  for ReLU latents (l1, topk), which are exactly zero when off;
* **L0** is the mean number of active latents per test image;
* **density** of a latent is the fraction of test images on which it is active;
* a latent is **dead** when it is never active on the test set (density 0);
* **ρ̂_j** is latent j's mean activation over the test set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from sae_desktop.architecture import active
from sae_desktop.config import ModelConfig

QUANTILES = 201  # resolution of the stored test-error distribution (for OOD percentiles)
HISTOGRAM_BINS = 50


@dataclass(frozen=True, eq=False)
class Evaluation:
    per_sample_mse: np.ndarray  # [N] reconstruction MSE of each test image
    latents: np.ndarray  # [N, d_latent] float32 activations
    threshold: float  # activity threshold used for density / L0 / dead

    @classmethod
    def of(cls, per_sample_mse: np.ndarray, latents: np.ndarray, cfg: ModelConfig) -> Evaluation:
        """From ``architecture.errors_and_latents``'s output (what ``SparseAutoencoder.evaluate``
        and ``ModelSnapshot.evaluate`` both return: test-set evaluation is written once)."""
        return cls(per_sample_mse, latents, cfg.active_threshold)

    @property
    def test_mse(self) -> float:
        return float(self.per_sample_mse.mean())

    # Computed once, on first use: the epoch record, the summary and the window each read them
    # (0.3-0.5 ms a time for 10 000 test images, in the training thread between epochs).
    @cached_property
    def rho_hat(self) -> np.ndarray:
        return self.latents.mean(axis=0, dtype=np.float64)

    @cached_property
    def active(self) -> np.ndarray:
        return active(self.latents, self.threshold)

    @property
    def density(self) -> np.ndarray:
        return self.active.mean(axis=0)

    @property
    def l0(self) -> float:
        return float(self.active.sum(axis=1).mean())

    @property
    def dead(self) -> np.ndarray:
        return ~self.active.any(axis=0)

    @property
    def dead_latents(self) -> int:
        return int(self.dead.sum())

    @cached_property
    def histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """(counts, edges) of all activations; [0, 1] for sigmoid latents. Computed once, by
        whoever asks first (the training thread does, so the window does not have to)."""
        values = self.latents.ravel()
        top = 1.0 if self.threshold > 0 else max(float(values.max(initial=0.0)), 1e-6)
        return np.histogram(values, bins=HISTOGRAM_BINS, range=(0.0, top))

    @cached_property
    def test_error_quantiles(self) -> list[float]:
        """QUANTILES evenly spaced quantiles (linear interpolation, as np.quantile's default).
        One sort and an interpolation: np.quantile with 201 levels holds the GIL ~25 ms,
        long enough to stall the window while the training thread computes it."""
        ordered = np.sort(self.per_sample_mse)
        positions = np.linspace(0.0, len(ordered) - 1, QUANTILES)
        return np.interp(positions, np.arange(len(ordered)), ordered).tolist()

    def summary(self) -> dict:
        return {
            "test_mse": self.test_mse,
            "rho_hat": self.rho_hat.tolist(),
            "l0": self.l0,
            "dead_latents": self.dead_latents,
        }


def error_percentile(error: float, quantiles: list[float] | np.ndarray) -> float:
    """Percentage of test images reconstructed better than ``error`` (0-100)."""
    q = np.asarray(quantiles, dtype=np.float64)
    if q.size < 2 or not np.isfinite(error):
        return float("nan")
    levels = np.linspace(0.0, 100.0, q.size)
    return float(np.interp(error, q, levels, left=0.0, right=100.0))
