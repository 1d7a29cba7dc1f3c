"""Ranking a value among the test set's: stored quantiles and the percentile read from them.

The verdict's percentiles (verdict.py), the probe's error percentile and the density's
(density.py) all rank a value this way, against quantiles stored once per model.
"""

from __future__ import annotations

import numpy as np

QUANTILES = 201  # resolution of a stored test-set distribution (for OOD percentiles)


def quantiles(values: np.ndarray) -> list[float]:
    """QUANTILES evenly spaced quantiles (linear interpolation, as np.quantile's default).
    One sort and an interpolation: np.quantile with 201 levels holds the GIL ~25 ms,
    long enough to stall the window while the training thread computes it."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    positions = np.linspace(0.0, len(ordered) - 1, QUANTILES)
    return np.interp(positions, np.arange(len(ordered)), ordered).tolist()


def error_percentile(error, quantiles: list[float] | np.ndarray):
    """Percentage of test images with a value below ``error`` (0-100; NaN where unknown).
    ``error``: a number (→ float) or an array (→ array)."""
    q = np.asarray(quantiles, dtype=np.float64)
    if np.ndim(error) == 0:
        if q.size < 2 or not np.isfinite(error):
            return float("nan")
        return float(np.interp(error, q, np.linspace(0.0, 100.0, q.size), left=0.0, right=100.0))
    values = np.asarray(error, dtype=np.float64)
    if q.size < 2:
        return np.full(values.shape, np.nan)
    out = np.interp(values, q, np.linspace(0.0, 100.0, q.size), left=0.0, right=100.0)
    return np.where(np.isfinite(values), out, np.nan)
