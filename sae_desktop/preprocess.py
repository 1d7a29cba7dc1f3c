"""Turn any grey image of a digit into what MNIST looks like: a pure function, no Qt.

MNIST's recipe (LeCun et al.): take the bounding box of the ink, scale it so its longer
side is 20 px keeping the aspect ratio, with an anti-aliasing (area) filter, paste it into
28×28, and shift it so its centre of mass sits at the centre. Here the shift is sub-pixel
(linear interpolation, which keeps the centre of mass exact), and "the centre" is pixel
(14, 14) counted from 0, where MNIST's own digits have it: the test set's mean centre of
mass is (13.99, 14.01). Every MNIST test digit's ink box has a longer side of exactly 20.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BOX = 20  # longer side of the ink's bounding box after scaling
SIZE = 28  # output image side
CENTRE = 14.0  # where the centre of mass goes, in 0-based pixel coordinates


@dataclass(frozen=True)
class Preprocessed:
    """The stages, for showing the user what the model sees; all None when nothing is drawn."""

    image: np.ndarray | None  # 28×28 float32 in [0, 1]: the model's input
    crop: np.ndarray | None  # the ink's bounding box, cut from the input
    scaled: np.ndarray | None  # the crop scaled so its longer side is 20 px

    @property
    def empty(self) -> bool:
        return self.image is None


NOTHING = Preprocessed(None, None, None)


def to_unit_grey(image: np.ndarray) -> np.ndarray:
    """2-D array of any numeric type → float32 in [0, 1] (uint8 /255, uint16 /65535, NaN → 0)."""
    a = np.asarray(image)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {a.shape}")
    if a.dtype == np.bool_:
        a = a.astype(np.float32)
    elif np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max)
    else:
        a = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(a, 0.0, 1.0)


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``[n_out, n_in]`` box-filter weights: output pixel k averages the input span it covers.

    Rows sum to 1, so ink is neither created nor lost and values stay in [0, 1].
    """
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    pixel = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, pixel + 1) - np.maximum(lo, pixel), 0.0, None)
    return (overlap / (n_in / n_out)).astype(np.float32)


def shift_matrix(n_in: int, offset: float, n_out: int = SIZE) -> np.ndarray:
    """``[n_out, n_in]`` linear-interpolation weights moving input pixel i to i + offset.

    Each input pixel splits between the two output pixels around its new position, which
    moves the centre of mass by exactly ``offset`` (unless ink falls off the edge).
    """
    target = np.arange(n_in)[None, :] + offset
    return np.clip(1.0 - np.abs(np.arange(n_out)[:, None] - target), 0.0, None).astype(np.float32)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    mass = float(image.sum())
    rows, cols = np.arange(image.shape[0]), np.arange(image.shape[1])
    return float(image.sum(axis=1) @ rows) / mass, float(image.sum(axis=0) @ cols) / mass


def ink_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), inclusive, of all non-zero pixels; None if there are none."""
    rows = np.flatnonzero(image.max(axis=1) > 0)
    if rows.size == 0:
        return None
    cols = np.flatnonzero(image.max(axis=0) > 0)
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def preprocess(image: np.ndarray) -> Preprocessed:
    """Any H×W grey image (white ink on black) → MNIST-like 28×28; ``NOTHING`` when blank."""
    grey = to_unit_grey(image)
    box = ink_box(grey)
    if box is None:
        return NOTHING
    top, bottom, left, right = box
    crop = grey[top:bottom + 1, left:right + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    scaled = area_matrix(h, nh) @ crop @ area_matrix(w, nw).T
    cy, cx = centre_of_mass(scaled)
    image28 = shift_matrix(nh, CENTRE - cy) @ scaled @ shift_matrix(nw, CENTRE - cx).T
    return Preprocessed(np.clip(image28, 0.0, 1.0).astype(np.float32), crop, np.clip(scaled, 0.0, 1.0))
