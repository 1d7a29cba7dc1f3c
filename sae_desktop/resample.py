"""Resampling with an area filter and whole-pixel shifts: pure NumPy, for the preprocessing.

An area (box) filter, not bilinear or bicubic, because MNIST's digits were scaled with one:
each output pixel averages the input span it covers, so ink is neither created nor lost.
"""

from __future__ import annotations

import numpy as np


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``[n_out, n_in]`` box-filter weights: output pixel k averages the input span it covers.

    Rows sum to 1, so ink is neither created nor lost and values stay in [0, 1].
    """
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    pixel = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, pixel + 1) - np.maximum(lo, pixel), 0.0, None)
    return (overlap / (n_in / n_out)).astype(np.float32)


def resize(image: np.ndarray, h: int, w: int) -> np.ndarray:
    return area_matrix(image.shape[0], h) @ image @ area_matrix(image.shape[1], w).T


def shift_matrix(n_in: int, offset: float, n_out: int) -> np.ndarray:
    """``[n_out, n_in]`` linear-interpolation weights moving input pixel i to i + offset.

    Each input pixel splits between the two output pixels around its new position, which
    moves the centre of mass by exactly ``offset`` (unless ink falls off the edge).
    """
    target = np.arange(n_in)[None, :] + offset
    return np.clip(1.0 - np.abs(np.arange(n_out)[:, None] - target), 0.0, None).astype(np.float32)


def scaled_by(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` resized by ``scale`` (area filter), at least one pixel each way."""
    h, w = image.shape
    return resize(image, max(1, int(round(h * scale))), max(1, int(round(w * scale))))
