"""A photo's light where the paper's quadratic surface cannot follow it (paper.py, stage 1).

The paper fit (``paper.paper_surface``) is a quadratic: it flattens light that falls off across
the sheet, not light that turns (a lamp's cubic fall-off, a glare's patch). What it leaves is
taken for noise (inflated, so a pencil's strokes stood barely above it) or for ink (a bar of the
light's residue as the "digit", read "Typical"). So the residue is measured locally: the
picture in :data:`CELLS` × :data:`CELLS` cells, each cell's paper its lower quartile (ink only
brightens, and covers less than three quarters of a cell), isolated cells (a stroke's junction)
evened out with their neighbours, the level then interpolated between the cells' centres. It is
taken off only where it is a light's: where it varies by more than :data:`RANGE` and leaves the
paper's noise under :data:`GAIN` of what it was (a quadratic light leaves nothing to take, and a
clean JPEG's ripples vary by a few levels), in pictures of :data:`MIN_SIDE` px or more each way
(in a digit's tight crop a cell is narrower than the strokes, and its "paper" is ink).
"""

from __future__ import annotations

import numpy as np

from sae_desktop.resample import resize

CELLS, CELL_PX = 16, 16  # the grid, and each cell's side in the copy measured
GAIN = 0.7  # the local level is taken off only where it leaves the paper's noise under this share…
RANGE = 10 / 255  # …and varies by more than this (a light's residue; a JPEG's ripples vary by 4-8 levels)
MIN_SIDE = 200  # px: smaller pictures are crops (a digit cut tight: its strokes as wide as a cell)


def below_noise(residual: np.ndarray) -> float:
    """The paper's noise, measured below it (ink only ever adds): a robust standard deviation."""
    below = residual < 0
    return 1.4826 * float(np.median(-residual[below])) if below.any() else 0.0


def local_level(residual: np.ndarray) -> np.ndarray:
    """The paper's level left in ``residual`` (a photo less its quadratic surface), cell by cell,
    interpolated between the cells' centres."""
    from scipy import ndimage  # (not at the window's start: qt/torch_loader.py)

    h, w = residual.shape
    side = CELLS * CELL_PX
    cells = resize(residual.astype(np.float32), side, side).reshape(CELLS, CELL_PX, CELLS, CELL_PX)
    cells = cells.transpose(0, 2, 1, 3).reshape(CELLS, CELLS, CELL_PX * CELL_PX)
    quartile, median = np.percentile(cells, 25, axis=2), np.percentile(cells, 50, axis=2)
    # the lower quartile lies under the paper's middle by as much as in the cells of paper alone
    level = ndimage.median_filter(quartile, 3, mode="nearest") + float(np.median(median - quartile))
    ys = (np.arange(h) + 0.5) / h * CELLS - 0.5
    xs = (np.arange(w) + 0.5) / w * CELLS - 0.5
    return ndimage.map_coordinates(level, np.meshgrid(ys, xs, indexing="ij"), order=1,
                                   mode="nearest").astype(np.float32)


def without_local_light(residual: np.ndarray, noise: float) -> tuple[np.ndarray, float]:
    """``residual`` (a photo less its paper's quadratic surface, ``noise`` its paper's noise) less
    the light the quadratic left, where that is a light's (see the module's doc), with its noise."""
    if min(residual.shape) < MIN_SIDE:
        return residual, noise
    level = local_level(residual)
    if float(np.ptp(level)) <= RANGE:
        return residual, noise
    levelled = residual - level
    less = below_noise(levelled)
    return (levelled, less) if less < GAIN * noise else (residual, noise)
