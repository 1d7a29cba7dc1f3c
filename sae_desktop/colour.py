"""The diverging colour map (blue < 0 < red) shared by the window's tiles and PNG exports.

Zero is near-white on a light window (and in exported PNGs), near-black on a dark one: a white
zero glares from a dark window and hides what the tile draws."""

from __future__ import annotations

import numpy as np

BLUE, WHITE, RED = np.array([33, 102, 172]), np.array([247, 247, 247]), np.array([178, 24, 43])
BACKGROUND = np.array([225, 228, 232], np.uint8)  # NaN pixels (gaps between tiles)
DARK_BLUE, DARK_ZERO, DARK_RED = np.array([92, 160, 232]), np.array([24, 25, 28]), np.array([236, 96, 96])
DARK_BACKGROUND = np.array([58, 61, 66], np.uint8)


def _lut(negative: np.ndarray, zero: np.ndarray, positive: np.ndarray) -> np.ndarray:
    t = np.linspace(-1, 1, 256)[:, None]
    return np.round(np.where(t < 0, zero + (negative - zero) * -t, zero + (positive - zero) * t)).astype(np.uint8)


DIVERGING = _lut(BLUE, WHITE, RED)
DIVERGING_DARK = _lut(DARK_BLUE, DARK_ZERO, DARK_RED)


def diverging_rgb(values: np.ndarray, limit: float = 1.0, dark: bool = False) -> np.ndarray:
    """``[H, W]`` values → ``[H, W, 3]`` uint8: -limit blue, 0 white (``dark``: near-black),
    +limit red; NaN grey."""
    v = np.asarray(values, dtype=np.float32)
    nan = np.isnan(v)
    # in place on one float32 copy, then a uint8 index into the table: a 1024-latent atlas (~1M
    # pixels) took 250 ms with float64 rounding and int64 fancy indexing, now a few ms
    scaled = np.nan_to_num(v) * (127.5 / max(limit, 1e-12))
    np.clip(scaled, -127.5, 127.5, out=scaled)
    scaled += 128.0  # round half up of (x + 1) · 127.5, as np.round would give within 0.5
    index = scaled.astype(np.uint8)
    rgb = (DIVERGING_DARK if dark else DIVERGING).take(index, axis=0)
    rgb[nan] = DARK_BACKGROUND if dark else BACKGROUND
    return rgb
