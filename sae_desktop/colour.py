"""The diverging colour map (blue < 0 < red) shared by the window's tiles and PNG exports."""

from __future__ import annotations

import numpy as np

BLUE, WHITE, RED = np.array([33, 102, 172]), np.array([247, 247, 247]), np.array([178, 24, 43])
BACKGROUND = np.array([225, 228, 232], np.uint8)  # NaN pixels (gaps between tiles)


def _lut() -> np.ndarray:
    t = np.linspace(-1, 1, 256)[:, None]
    return np.round(np.where(t < 0, WHITE + (BLUE - WHITE) * -t, WHITE + (RED - WHITE) * t)).astype(np.uint8)


DIVERGING = _lut()


def diverging_rgb(values: np.ndarray, limit: float = 1.0) -> np.ndarray:
    """``[H, W]`` values → ``[H, W, 3]`` uint8: -limit blue, 0 white, +limit red; NaN grey."""
    v = np.asarray(values, dtype=np.float32)
    index = np.round((np.clip(np.nan_to_num(v) / max(limit, 1e-12), -1, 1) + 1) * 127.5).astype(np.int64)
    rgb = DIVERGING[index]
    rgb[np.isnan(v)] = BACKGROUND
    return np.ascontiguousarray(rgb)
