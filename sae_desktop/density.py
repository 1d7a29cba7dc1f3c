"""How typical an input looks *to the model*: a Gaussian density of its encoder's hidden layer.

The verdict's score (verdict.py) asks whether the model can redraw the input. A letter or a box
drawn in clean strokes often can be redrawn well enough; what gives it away is that it excites
the encoder unlike any digit does. So the second piece of evidence is the **distance** of the
input's hidden-layer activations (784 → d_hidden ReLU: the layer every sparsity mechanism
shares) from a Gaussian fitted to the test set's: the Mahalanobis distance, as Lee et al. (2018)
use on a classifier's features. Evaluations carry no labels, and class-conditional means measured
no better here than one Gaussian (see benchmarks/probe_verdict.py), so there is one.

The covariance is probabilistic PCA's (Tipping & Bishop 1999): its :data:`RANK` leading directions
exactly, every other direction one shared variance. That is the Gaussian's maximum-likelihood fit
of that form, well conditioned (no inverse of a near-singular matrix: dead units have zero
variance), and small enough to store in a checkpoint's metadata: ``d_hidden × (RANK + 1)``
numbers. Models wider than :data:`MAX_WIDTH` get no density (the verdict then uses the score alone).

The two pieces of evidence are combined by Fisher's method: each is a percentile of the test
set's own values, ``−ln(1 − p)`` of each is summed, and the sum is ranked against the test set's
sums. The **combined percentile** is what the verdict's kinds are cut at, so 1 % of the test set is
"unlike" whichever evidence gave it away; an input extreme in either (or unusual in both) is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_desktop.ranks import QUANTILES, error_percentile, quantiles

RANK = 32  # leading directions of the hidden layer's covariance kept exactly
MAX_WIDTH = 1024  # widest hidden layer given a density (its covariance is d_hidden² numbers to fit)
MIN_SAMPLES = 100  # fewer test images than this give no density
TAIL = 100.0 / (10 * QUANTILES)  # a percentile's distance from 100 is counted as at least this (%)


def fisher(*percentiles):
    """Fisher's combination of percentiles (0-100; numbers or arrays): ``−Σ ln(1 − p/100)``, each
    ``1 − p/100`` at least ``TAIL/100`` (beyond the stored quantiles' resolution all are equal)."""
    return sum(-np.log(np.maximum(100.0 - np.asarray(p, dtype=np.float64), TAIL) / 100.0) for p in percentiles)


@dataclass(frozen=True, eq=False)
class Density:
    mean: np.ndarray  # [d_hidden] float64: the test set's mean activation
    components: np.ndarray  # [K, d_hidden] orthonormal rows: the covariance's leading directions
    variances: np.ndarray  # [K] > 0, descending: the variance along each
    residual: float  # > 0: the variance along every other direction
    quantiles: list[float]  # the test set's distances (ranks.QUANTILES levels)
    combined_quantiles: list[float]  # the test set's Fisher combinations of score and distance percentiles

    @classmethod
    def fit(cls, hidden: np.ndarray, score_percentiles: np.ndarray) -> Density | None:
        """Fitted to the test set's hidden activations ``[N, d_hidden]`` and its images' score
        percentiles ``[N]`` (as the verdict reads them); None when too few or too wide."""
        h = np.asarray(hidden, dtype=np.float64)
        n, d = h.shape
        if n < MIN_SAMPLES or d > MAX_WIDTH:
            return None
        mean = h.mean(axis=0)
        centred = h - mean
        eigenvalues, vectors = np.linalg.eigh(centred.T @ centred / n)
        eigenvalues, vectors = np.maximum(eigenvalues[::-1], 0.0), vectors[:, ::-1]
        floor = max(float(eigenvalues[0]), 1e-12) * 1e-6  # no direction counts as (almost) certain
        k = min(RANK, max(d - 1, 1))
        rest = eigenvalues[k:]
        residual = max(float(rest.mean()) if rest.size else floor, floor)
        partial = cls(mean, vectors[:, :k].T.copy(), np.maximum(eigenvalues[:k], floor), residual, [0.0, 1.0],
                      [0.0, 1.0])
        distances = partial.distance(h)
        density_quantiles = quantiles(distances)
        combined = fisher(score_percentiles, error_percentile(distances, density_quantiles))
        return cls(partial.mean, partial.components, partial.variances, residual, density_quantiles,
                   quantiles(combined))

    @property
    def width(self) -> int:
        return int(self.mean.size)

    def distance(self, hidden: np.ndarray) -> np.ndarray:
        """Mahalanobis distance ``[N]`` of hidden activations ``[N, d_hidden]`` from the test set's."""
        centred = np.asarray(hidden, dtype=np.float64).reshape(-1, self.width) - self.mean
        along = centred @ self.components.T
        outside = np.maximum(np.square(centred).sum(axis=1) - np.square(along).sum(axis=1), 0.0)
        return np.sqrt((np.square(along) / self.variances).sum(axis=1) + outside / self.residual)

    def percentile(self, distance: float) -> float:
        """Share of test digits nearer the test set's mean (%)."""
        return error_percentile(distance, self.quantiles)

    def combined_percentile(self, score_percentile: float, distance_percentile: float) -> float:
        """Share of test digits less unusual by both pieces of evidence together (%)."""
        if not (np.isfinite(score_percentile) and np.isfinite(distance_percentile)):
            return float("nan")
        return error_percentile(float(fisher(score_percentile, distance_percentile)), self.combined_quantiles)

    def to_dict(self) -> dict:
        """JSON-ready, 7 significant digits (float32's precision; the metadata stays small)."""
        def short(a):
            return [float(f"{v:.7g}") for v in np.asarray(a, dtype=np.float64).ravel()]
        return {"mean": short(self.mean), "components": [short(c) for c in self.components],
                "variances": short(self.variances), "residual": float(f"{self.residual:.7g}"),
                "quantiles": list(self.quantiles), "combined_quantiles": list(self.combined_quantiles)}

    @classmethod
    def from_dict(cls, d: dict) -> Density:
        """From :meth:`to_dict`'s output, already validated (``checkpoint_schema._density``)."""
        return cls(np.asarray(d["mean"], dtype=np.float64), np.asarray(d["components"], dtype=np.float64),
                   np.asarray(d["variances"], dtype=np.float64), float(d["residual"]),
                   [float(q) for q in d["quantiles"]], [float(q) for q in d["combined_quantiles"]])
