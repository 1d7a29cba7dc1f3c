"""Test-set metrics of a model: MSE, ρ̂ per latent, L0, density and dead latents.

Definitions (used everywhere: CLI, GUI, atlas, checkpoints):

* a latent is **active** on an image when its activation exceeds the model's
  ``active_threshold``: 0.1 for sigmoid latents (kl), which are never exactly zero, and 0
  for ReLU latents (l1, topk), which are exactly zero when off;
* **L0** is the mean number of active latents per test image;
* **density** of a latent is the fraction of test images on which it is active;
* a latent is **dead** when it is never active on the test set (density 0);
* **ρ̂_j** is latent j's mean activation over the test set;
* **FVU** (fraction of variance unexplained) is the test MSE divided by the variance of the
  test images about their mean image (1 − explained variance; 0 is perfect, 1 is no better
  than always answering the mean image);
* **fraction alive** is the share of latents that are not dead; **fraction dense** the share
  active on more than :data:`DENSE_DENSITY` (10 %) of the test images.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sae_desktop.architecture import active
from sae_desktop.config import ModelConfig
from sae_desktop.density import Density
from sae_desktop.pixels import PixelReference
from sae_desktop.ranks import QUANTILES, error_percentile, quantiles  # noqa: F401 (their home before ranks.py)

HISTOGRAM_BINS = 50
DENSE_DENSITY = 0.1  # a latent active on more than 10 % of images counts as dense


def image_variance(images, chunk: int = 2000) -> float:
    """The variance of uint8 ``images`` ``[N, …]`` (NumPy or torch, any device) about their mean
    image, per pixel, in [0, 1] units: FVU's denominator."""
    acc = VarianceAccumulator()
    for start in range(0, len(images), chunk):
        part = images[start:start + chunk]
        part = part.cpu().numpy() if hasattr(part, "cpu") else np.asarray(part)
        acc.add(part.reshape(len(part), -1).astype(np.float32) / 255.0)
    return acc.variance


class VarianceAccumulator:
    """The variance of images about their mean image, per pixel, fed chunk by chunk (float64
    sums): the MSE of always answering the mean image, the denominator of FVU."""

    def __init__(self) -> None:
        self.sum: np.ndarray | float = 0.0
        self.sum_sq, self.count = 0.0, 0

    def add(self, x: np.ndarray) -> None:
        """A chunk ``[n, pixels]`` of images in [0, 1]."""
        self.sum = self.sum + x.sum(axis=0, dtype=np.float64)
        self.sum_sq += float(np.square(x, dtype=np.float64).sum())
        self.count += x.shape[0]

    @property
    def variance(self) -> float:
        if self.count == 0:
            return float("nan")
        mean = np.asarray(self.sum) / self.count
        return max(self.sum_sq / self.count - float(np.square(mean).sum()), 0.0) / max(mean.size, 1)


@dataclass(frozen=True, eq=False)
class Evaluation:
    per_sample_mse: np.ndarray  # [N] reconstruction MSE of each test image
    latents: np.ndarray  # [N, d_latent] float32 activations
    threshold: float  # activity threshold used for density / L0 / dead
    variance: float = float("nan")  # data_variance of the images evaluated (FVU's denominator)
    per_sample_score: np.ndarray | None = None  # [N] architecture.input_score of each test image (the verdict's)
    test_density: Density | None = None  # the test set's hidden-layer Gaussian (the verdict's second evidence)

    @classmethod
    def of(cls, per_sample_mse: np.ndarray, latents: np.ndarray, per_sample_score: np.ndarray,
           hidden: np.ndarray | None, cfg: ModelConfig, images: np.ndarray | None = None,
           reference: np.ndarray | None = None, pixels: PixelReference | None = None) -> Evaluation:
        """From ``architecture.errors_and_latents``'s output (what ``SparseAutoencoder.evaluate``
        and ``ModelSnapshot.evaluate`` both return: test-set evaluation is written once);
        ``images`` (uint8, NumPy or torch) give FVU its denominator. The hidden activations are
        summarised at once (``density.Density``, with the codes, or other digits' codes
        ``reference``, as its nearest-neighbour reference, and the nearest digits' ``pixels``,
        fitted with these images) and not kept."""
        density = None
        if hidden is not None and len(per_sample_score):
            density = Density.fit(hidden, error_percentile(per_sample_score, quantiles(per_sample_score)), latents,
                                  reference, pixels)
        return cls(per_sample_mse, latents, cfg.active_threshold,
                   image_variance(images) if images is not None else float("nan"), per_sample_score, density)

    # Computed once, on first use: the epoch record, the summary and the window each read them
    # (0.3-0.5 ms a time for 10 000 test images, in the training thread between epochs, and
    # several times over in the window's thread at each epoch's end).
    @cached_property
    def test_mse(self) -> float:
        return float(self.per_sample_mse.mean())

    @cached_property
    def rho_hat(self) -> np.ndarray:
        return self.latents.mean(axis=0, dtype=np.float64)

    @cached_property
    def active(self) -> np.ndarray:
        return active(self.latents, self.threshold)

    @cached_property
    def density(self) -> np.ndarray:  # asked for several times per atlas render (36 ms at 1024 latents)
        return self.active.mean(axis=0)

    @cached_property
    def l0(self) -> float:
        return float(self.active.sum(axis=1).mean())

    @cached_property
    def dead(self) -> np.ndarray:
        return ~self.active.any(axis=0)

    @cached_property
    def dead_latents(self) -> int:
        return int(self.dead.sum())

    @property
    def fvu(self) -> float:
        return self.test_mse / self.variance if self.variance > 0 else float("nan")

    @property
    def frac_alive(self) -> float:
        return 1.0 - self.dead_latents / max(self.latents.shape[1], 1)

    @property
    def dense_latents(self) -> int:
        """Latents active on more than ``DENSE_DENSITY`` of the test images."""
        return int((self.density > DENSE_DENSITY).sum())

    @property
    def frac_dense(self) -> float:
        return self.dense_latents / self.latents.shape[1] if self.latents.shape[1] else 0.0

    @cached_property
    def histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """(counts, edges) of all activations; [0, 1] for sigmoid latents. Computed once, by
        whoever asks first (the training thread does, so the window does not have to)."""
        values = self.latents.ravel()
        top = 1.0 if self.threshold > 0 else max(float(values.max(initial=0.0)), 1e-6)
        return np.histogram(values, bins=HISTOGRAM_BINS, range=(0.0, top))

    @cached_property
    def test_error_quantiles(self) -> list[float]:
        return quantiles(self.per_sample_mse)

    @cached_property
    def test_score_quantiles(self) -> list[float] | None:
        return quantiles(self.per_sample_score) if self.per_sample_score is not None else None

    def summary(self) -> dict:
        return {
            "test_mse": self.test_mse,
            "rho_hat": self.rho_hat.tolist(),
            "l0": self.l0,
            "dead_latents": self.dead_latents,
            "fvu": self.fvu,
            "frac_alive": self.frac_alive,
            "frac_dense": self.frac_dense,
        }
