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

A third piece is local: the distance from the input's sparse code to the **nearest digit's code**
(its nearest neighbour; Euclidean, among reference codes stored as float16: the test set's, or for
the bundled model the training set's; never the input's own code, so a test digit is measured to
the nearest *other* test digit, as the ranks were made; at most :data:`MAX_CODES` of them, for codes at most
:data:`MAX_CODE_WIDTH` wide). One Gaussian is a single ellipsoid: a letter can sit inside it, in
the gaps between the digits' clusters, where no digit's code lies; its nearest neighbour is then
far. Measured on held-out test digits at the same false alarm rate, it flags 17-20 points more of
the generated letters (benchmarks/probe_verdict.py).

The last piece needs no model: the distance from the input's pixels to the **nearest digit's
pixels** (pixels.py), a fourth term where the checkpoint stores the reference digits' pixels.
(Measured held out, leaving the Gaussian's distance out of the four flagged 8-11 points more
letters, but 9 fewer boxes and twice the other writers' digits; all four flag as many or more
of every kind of non-digit as the three before, and fewer digits.)

The pieces of evidence are combined by Fisher's method: each is a percentile of the test
set's own values (a test digit's nearest neighbour is another test digit, never itself),
``−ln(1 − p)`` of each is summed, and the sum is ranked against the test set's sums. The
**combined percentile** is what the verdict's kinds are cut at, so 1 % of the test set is "unlike"
whichever evidence gave it away; an input extreme in one (or unusual in several) is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from sae_desktop.ranks import QUANTILES, error_percentile, quantiles

if TYPE_CHECKING:
    from sae_desktop.pixels import PixelReference

MAX_CODES = 60_000  # digits' codes kept as the nearest-neighbour reference (evenly spaced)
# A reference code this near the query, relative to its norm, is the query itself: float16 storage and float32
# rounding (≫ 2⁻¹¹, float16's step), and a test digit read back from an image file, its contrast stretched by the
# file's levelling (within 1 % for 88 % of 200 test digits, the rest over 10 %; at 0.3 % half were measured
# against themselves: "nearest digit's code farther than 0%"), while another digit's code is 4.7 % away or more
SAME = 0.02
MAX_ASKED = 5_000  # test digits whose own nearest neighbour ranks the others' (evenly spaced)
MAX_CODE_WIDTH = 256  # widest code given a nearest-neighbour distance (MAX_CODES × width float16s stored)
RANK = 32  # leading directions of the hidden layer's covariance kept exactly
MAX_WIDTH = 1024  # widest hidden layer given a density (its covariance is d_hidden² numbers to fit)
MIN_SAMPLES = 100  # fewer test images than this give no density
TAIL = 100.0 / (10 * QUANTILES)  # a percentile's distance from 100 is counted as at least this (%)


def fisher(*percentiles):
    """Fisher's combination of percentiles (0-100; numbers or arrays): ``−Σ ln(1 − p/100)``, each
    ``1 − p/100`` at least ``TAIL/100`` (beyond the stored quantiles' resolution all are equal)."""
    return sum(-np.log(np.maximum(100.0 - np.asarray(p, dtype=np.float64), TAIL) / 100.0) for p in percentiles)


def evidence(has_codes: bool, has_pixels: bool, score, distance, neighbour, pixel) -> list:
    """The percentiles a density with (or without) reference codes and pixels combines, in one
    place for its fit and its probes: the score's and the distance's; the nearest code's and
    the nearest pixels' where known."""
    return [score, distance] + ([neighbour] if has_codes else []) + ([pixel] if has_pixels else [])


@dataclass(frozen=True, eq=False)
class Density:
    mean: np.ndarray  # [d_hidden] float64: the test set's mean activation
    components: np.ndarray  # [K, d_hidden] orthonormal rows: the covariance's leading directions
    variances: np.ndarray  # [K] > 0, descending: the variance along each
    residual: float  # > 0: the variance along every other direction
    quantiles: list[float]  # the test set's distances (ranks.QUANTILES levels)
    combined_quantiles: list[float]  # the test set's Fisher combinations of all the evidence's percentiles
    codes: np.ndarray | None = None  # [M, d_latent] float16 values (as float16 or float32): reference codes, or None
    neighbour_quantiles: list[float] | None = None  # the test set's nearest-neighbour distances (with codes)
    pixels: PixelReference | None = None  # the nearest digit's pixels (pixels.py), or None
    pixel_quantiles: list[float] | None = None  # the test set's distances to it (with pixels)

    @classmethod
    def fit(cls, hidden: np.ndarray, score_percentiles: np.ndarray, codes: np.ndarray | None = None,
            reference: np.ndarray | None = None, pixels: PixelReference | None = None) -> Density | None:
        """Fitted to the test set's hidden activations ``[N, d_hidden]``, its images' score
        percentiles ``[N]`` (as the verdict reads them) and, if given, their codes ``[N, d_latent]``:
        the nearest-neighbour reference, unless ``reference`` gives other digits' codes (the
        training set's: more of them, so a nearer neighbour for every digit, and none of them a
        test digit itself); ``pixels``: the nearest digits' pixels, with the same test images'
        ``test_distances``; None when too few or too wide."""
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
        # Every test digit's neighbour costs 0.2 s a fit at 10 000 (after each epoch): the ranks
        # come from an evenly spaced subset of the test digits
        rows = np.linspace(0, n - 1, min(n, MAX_ASKED)).round().astype(np.int64)
        score, distance = np.asarray(score_percentiles)[rows], error_percentile(distances, density_quantiles)[rows]
        neighbour = pixel = pixel_quantiles = neighbour_quantiles = None
        if pixels is None or pixels.test_distances is None or len(pixels.test_distances) != n:
            pixels = None
        else:
            pixel_quantiles = quantiles(pixels.test_distances)
            pixel = error_percentile(pixels.test_distances[rows], pixel_quantiles)
        if codes is not None and len(codes) == n and 0 < codes.shape[1] <= MAX_CODE_WIDTH:
            codes = np.asarray(codes, dtype=np.float32)
            pool = codes if reference is None else np.asarray(reference, dtype=np.float32)
            kept = np.linspace(0, len(pool) - 1, min(len(pool), MAX_CODES)).round().astype(np.int64)
            reference = pool[kept].astype(np.float16).astype(np.float32)
            # (with the test digits as the reference, each one's own code is not its neighbour:
            # :func:`nearest` skips copies)
            neighbours = nearest(codes[rows], reference)
            neighbour_quantiles = quantiles(neighbours)
            neighbour = error_percentile(neighbours, neighbour_quantiles)
        else:
            reference = None
        combined = fisher(*evidence(reference is not None, pixels is not None, score, distance, neighbour, pixel))
        return cls(partial.mean, partial.components, partial.variances, residual, density_quantiles,
                   quantiles(combined), reference, neighbour_quantiles, pixels, pixel_quantiles)

    @property
    def width(self) -> int:
        return int(self.mean.size)

    def distance(self, hidden: np.ndarray) -> np.ndarray:
        """Mahalanobis distance ``[N]`` of hidden activations ``[N, d_hidden]`` from the test set's."""
        centred = np.asarray(hidden, dtype=np.float64).reshape(-1, self.width) - self.mean
        along = centred @ self.components.T
        outside = np.maximum(np.square(centred).sum(axis=1) - np.square(along).sum(axis=1), 0.0)
        return np.sqrt((np.square(along) / self.variances).sum(axis=1) + outside / self.residual)

    def neighbour_distance(self, codes: np.ndarray) -> np.ndarray:
        """Distance ``[N]`` from each code ``[N, d_latent]`` to the nearest reference code (NaN without codes)."""
        codes = np.asarray(codes, dtype=np.float32).reshape(len(codes), -1)
        if self.codes is None or codes.shape[1] != self.codes.shape[1]:
            return np.full(len(codes), np.nan)
        return nearest(codes, self.codes, ready=self._prepared)

    @cached_property
    def _prepared(self) -> tuple[np.ndarray, np.ndarray]:
        return prepared(self.codes)

    def pixel_distance(self, images: np.ndarray) -> np.ndarray:
        """Distance ``[N]`` from each image ``[N, d_in]`` in [0, 1] to the nearest reference digit's
        pixels (NaN without them)."""
        images = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
        if self.pixels is None or images.shape[1] != self.pixels.width:
            return np.full(len(images), np.nan)
        return self.pixels.distance(images)

    def pixel_percentile(self, distance: float) -> float:
        """Share of test digits nearer their nearest reference digit's pixels (%), NaN without them."""
        return error_percentile(distance, self.pixel_quantiles) if self.pixel_quantiles else float("nan")

    def percentile(self, distance: float) -> float:
        """Share of test digits nearer the test set's mean (%)."""
        return error_percentile(distance, self.quantiles)

    def neighbour_percentile(self, distance: float) -> float:
        """Share of test digits nearer their nearest neighbour (%), NaN without reference codes."""
        return error_percentile(distance, self.neighbour_quantiles) if self.neighbour_quantiles else float("nan")

    def combined_percentile(self, score_percentile: float, distance_percentile: float,
                            neighbour_percentile: float = float("nan"),
                            pixel_percentile: float = float("nan")) -> float:
        """Share of test digits less unusual by all the evidence together (%): the percentiles
        :func:`evidence` names for this density."""
        parts = evidence(self.codes is not None, self.pixels is not None, score_percentile, distance_percentile,
                         neighbour_percentile, pixel_percentile)
        if not all(np.isfinite(p) for p in parts):
            return float("nan")
        return error_percentile(float(fisher(*parts)), self.combined_quantiles)

    def to_dict(self) -> dict:
        """JSON-ready, 7 significant digits (float32's precision; the metadata stays small)."""
        def short(a):
            return [float(f"{v:.7g}") for v in np.asarray(a, dtype=np.float64).ravel()]
        return {"mean": short(self.mean), "components": [short(c) for c in self.components],
                "variances": short(self.variances), "residual": float(f"{self.residual:.7g}"),
                "quantiles": list(self.quantiles), "combined_quantiles": list(self.combined_quantiles),
                **({"neighbour_quantiles": list(self.neighbour_quantiles)} if self.codes is not None else {}),
                **({"pixel_quantiles": list(self.pixel_quantiles)} if self.pixels is not None else {})}

    @classmethod
    def from_dict(cls, d: dict, codes: np.ndarray | None = None) -> Density:
        """From :meth:`to_dict`'s output, already validated (``checkpoint_schema._density``), and the
        reference ``codes`` (a checkpoint keeps them, and the reference pixels, as tensors, not in
        its JSON metadata, and adds them once decoded: ``check_tensors`` makes sure they come with
        their quantiles)."""
        neighbours, pixels = d.get("neighbour_quantiles"), d.get("pixel_quantiles")
        return cls(np.asarray(d["mean"], dtype=np.float64), np.asarray(d["components"], dtype=np.float64),
                   np.asarray(d["variances"], dtype=np.float64), float(d["residual"]),
                   [float(q) for q in d["quantiles"]], [float(q) for q in d["combined_quantiles"]],
                   codes,
                   None if neighbours is None else [float(q) for q in neighbours], None,
                   None if pixels is None else [float(q) for q in pixels])


def prepared(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`nearest` computes from the reference: its rows' squared norms and −2 × its
    transpose (a copy of it: made once per density, not once per stroke)."""
    reference = np.asarray(reference, dtype=np.float32)  # (float16 as loaded)
    return np.square(reference).sum(axis=1, dtype=np.float32), (-2.0 * reference).T.copy()


def nearest(queries: np.ndarray, reference: np.ndarray, chunk: int = 256,
            ready: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Euclidean distance ``[N]`` from each query row to its nearest ``reference`` row that is
    not a copy of the query (within :data:`SAME` of its norm: float16 storage and float32
    rounding), so a test digit among the reference codes is measured to the nearest *other*
    digit, in the fit's ranks and in a probe alike; ``ready``: :func:`prepared` of the
    reference, if at hand."""
    sq, minus_twice = ready if ready is not None else prepared(reference)
    out = np.empty(len(queries), dtype=np.float64)
    for start in range(0, len(queries), chunk):
        block = queries[start:start + chunk]
        d2 = block @ minus_twice  # ‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r, in place (no [chunk, M] temporaries)
        d2 += sq
        norms = np.square(block).sum(axis=1, dtype=np.float32)[:, None]
        d2[d2 <= (SAME * SAME - 1.0) * norms] = np.inf  # (‖q − r‖² ≤ SAME² ‖q‖²: the query itself)
        out[start:start + len(block)] = d2.min(axis=1) + norms[:, 0]
    return np.sqrt(np.maximum(out, 0.0))
