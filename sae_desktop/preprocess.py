"""Turn any grey image of a digit into what MNIST looks like: a pure function, no Qt.

MNIST's digits are clean scans: black paper, white ink whose stroke core is at full
brightness, strokes about 2-3 px wide in the 20-px box. A canvas drawing is like that
already; a photo of a pencil digit is not (uneven light on grey paper, a stroke core
at ~0.3, strokes a fraction of a pixel wide once scaled), so the stages are:

1. **paper**: fit a smooth surface (a quadratic in x and y) to the paper, fitted robustly
   so the ink does not pull it, and subtract it (flattens a lighting gradient); what a photo
   shows beyond the sheet or a hard shadow across it is left out of the fit and flattened on
   its own (background.py); ink is what stands clearly above the paper's noise, and isolated
   specks are dropped;
2. **contrast**: stretch so the stroke core reaches full ink (1.0);
3. MNIST's recipe (LeCun et al.): the ink's bounding box, scaled so its longer side is
   20 px keeping the aspect ratio with an area filter, centred by its centre of mass on
   pixel (14, 14) of 28×28 (the test set's mean centre of mass is (13.99, 14.01)), moved by
   whole pixels as MNIST was: a test digit comes back unchanged, where a sub-pixel shift
   would interpolate and blur it (and the verdict compares with the test set as it is);
4. **stroke width**, between steps 2 and 3: measured on the box at 4× resolution (ink area over
   half the outline's length) and, when outside MNIST's range, widened (dilation) or
   thinned (erosion) into it; the box is then taken again. Filled shapes (strokes wider
   than any MNIST digit's) are left as they are: they are not strokes. A stroke thinner than
   one pixel of the 4× box is widened to one first, at the crop's own resolution, and its core
   stretched to full ink again after (:func:`at_least_a_pixel`).

A clean input (black paper, ink already at full brightness, MNIST-like width) passes
stages 1, 2 and 4 unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_desktop.background import OffPaper, ink_box, off_paper, stroke_width_px, take_off, without_frame_marks
from sae_desktop.form_box import without_box
from sae_desktop.ruling import without_ruling

BOX = 20  # longer side of the ink's bounding box after scaling
SIZE = 28  # output image side
CENTRE = 14.0  # where the centre of mass goes, in 0-based pixel coordinates
WORK = 4  # stroke width is measured and changed at WORK × the 20-px box's resolution
# MNIST's stroke width (px in the 20-px box, as measured by stroke_width) on the test set's first
# 2000 digits: strokes outside its 5th-95th percentiles are brought to its median.
# tests/test_preprocess.py::test_width_limits_are_mnists measures them again.
WIDTH_RANGE = (1.42, 3.1)
WIDTH_TARGET = 2.0
FILLED = 5.5  # wider than MNIST's strokes (4.4 at most there; 3 of all 10 000 are wider): a filled shape, left as is
NOISE_SIGMAS = 4.0  # ink must stand this many noise deviations above the paper
NOISY = 0.05  # paper noisier than this (standard deviation) is not blank paper but noise
SPECK = 0.01  # separate marks with less than this share of the ink are specks (noisy inputs only)…
SPECK_PIXELS = 6  # …and so are marks of fewer pixels than this (or than 1 in 10 000 of the image)
ONE_TONE = 1.5 / 255  # tones this near are one (a file's 8 bits, rounded)
TWO_TONE = (0.2, 0.1)  # ≥ this share at exactly the darkest tone and ≤ this share between it and the brightest
# (±1.5/255): paper and ink each of one tone, as a drawing program saves them (a photo's paper never is; a
# photo blown out to white over 40 % of it still has its shading in between, which the paper fit removes)
OFF_PAPER_ROUNDS = 3  # the paper refitted at most this many times without what is not paper (background.py)
CORE = 90  # percentile of the ink's values taken as the stroke core's brightness


@dataclass(frozen=True)
class Preprocessed:
    """The stages, for showing the user what the model sees; images are None when nothing is drawn."""

    image: np.ndarray | None  # 28×28 float32 in [0, 1]: the model's input
    crop: np.ndarray | None  # the ink's bounding box, cut from ``levelled``
    scaled: np.ndarray | None  # the crop scaled so its longer side is 20 px (after any width change)
    levelled: np.ndarray | None = None  # the whole input, paper removed and contrast stretched
    reshaped: np.ndarray | None = None  # the crop at WORK× resolution after the stroke-width change
    contrast: float = 0.0  # the stroke core's brightness above the paper before stretching (0-1)
    noise: float = 0.0  # the paper's noise (standard deviation, 0-1 scale)
    box_side: int = 0  # the ink box's longer side in the input's pixels
    width: float = float("nan")  # stroke width measured in the 20-px box (px)
    width_after: float = float("nan")  # … after bringing it into MNIST's range

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


def resize(image: np.ndarray, h: int, w: int) -> np.ndarray:
    return area_matrix(image.shape[0], h) @ image @ area_matrix(image.shape[1], w).T


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


def paper_surface(grey: np.ndarray, off: np.ndarray | None = None, rounds: int = 4) -> np.ndarray:
    """The paper's brightness under the ink: a quadratic surface fitted to a ≤64-px copy, first
    to the pixels below a fit to all, then each round to the pixels not above it by more than 2.5
    noise deviations (ink only ever adds, so the noise is measured below the surface); where that
    leaves paper noisier than :data:`NOISY`, again from the middle half of the picture, the less
    noisy fit kept. ``off``: a mask of what is not paper (background.py), left out wherever it
    covers a small pixel."""
    h, w = grey.shape
    step = max(1.0, max(h, w) / 64)
    shape = max(1, round(h / step)), max(1, round(w / step))
    small = resize(grey, *shape)
    paper = np.ones(small.size, bool) if off is None else resize(off.astype(np.float32), *shape).reshape(-1) == 0
    sy, sx = small.shape
    yy, xx = np.mgrid[0:sy, 0:sx].astype(np.float64)
    yy, xx = (yy + 0.5) / sy - 0.5, (xx + 0.5) / sx - 0.5
    basis = np.stack([np.ones_like(yy), yy, xx, yy * yy, xx * xx, yy * xx], axis=-1).reshape(-1, 6)
    values = small.reshape(-1).astype(np.float64)
    # first the pixels below a fit to all: the paper is what ink never brightens, however much of
    # the image the ink covers (a tight crop of a digit is half ink: fitted to all, the surface sat
    # between paper and ink, every pixel was within 2.5 "noise" deviations of it, and the marks read
    # as too faint)
    if paper.sum() < basis.shape[1]:
        paper[:] = True
    coef, sigma = _paper_fit(basis, values, paper, paper, rounds)
    middle = paper & ((np.abs(yy) < 0.25) & (np.abs(xx) < 0.25)).reshape(-1)
    if sigma > NOISY and middle.sum() >= basis.shape[1]:
        # paper noisier than paper is: again from the middle half of the picture alone, where the sheet
        # is (a table darker than the pencil all around the sheet made the fit to all a bowl, low on the
        # paper and high on the table, its tones the paper's "noise", and the digit was lost below it);
        # the fit with less noise is kept
        again, less = _paper_fit(basis, values, paper, middle, rounds)
        coef = again if less < sigma else coef
    fy, fx = np.mgrid[0:h, 0:w].astype(np.float64)
    fy, fx = (fy + 0.5) / h - 0.5, (fx + 0.5) / w - 0.5
    surface = coef[0] + coef[1] * fy + coef[2] * fx + coef[3] * fy * fy + coef[4] * fx * fx + coef[5] * fy * fx
    return surface.astype(np.float32)


def _paper_fit(basis: np.ndarray, values: np.ndarray, paper: np.ndarray, start: np.ndarray,
               rounds: int) -> tuple[np.ndarray, float]:
    """``paper_surface``'s fit from the pixels of ``start``: first to those below a fit to them all,
    then each round to the ``paper`` pixels not above it by 2.5 noise deviations; its coefficients
    and that noise."""
    coef = np.linalg.lstsq(basis[start], values[start], rcond=None)[0]
    keep = start & (values <= basis @ coef)
    sigma = float("inf")
    for _ in range(rounds):
        if keep.sum() < basis.shape[1]:
            break
        coef = np.linalg.lstsq(basis[keep], values[keep], rcond=None)[0]
        residual = values - basis @ coef
        below = residual[keep & (residual < 0)]
        sigma = 1.4826 * float(np.median(-below)) if below.size else 0.0
        keep = paper & (residual <= 2.5 * sigma + 1e-6)
    return coef, sigma


def level(grey: np.ndarray, black_paper: bool = False) -> tuple[np.ndarray, float, float]:
    """Stages 1-2 → (ink in [0, 1] with the paper at exactly 0, contrast, noise). ``black_paper``:
    the paper is known to be black (the canvas), however much of it the ink covers."""
    if black_paper:
        # (an image file's black paper is not taken on trust: more than half of a photo blown out to
        # white, once inverted, is black, and the shading elsewhere is no ink; on exact black the
        # paper fit below finds the paper flat at 0 and without noise, and changes nothing)
        residual, noise = grey, 0.0
    elif _two_tone(grey):
        # paper and ink of one tone each (a drawing saved from a program, however much of it the
        # ink covers): nothing to flatten, but the paper's tone (off-white in the file: 245) is not
        # ink; an image of a single tone is all ink (the canvas painted over), not paper
        low = grey.min()
        residual, noise = (grey - low if grey.max() - low > ONE_TONE else grey), 0.0
    else:
        residual, noise = _flattened(grey)
    floor = NOISE_SIGMAS * noise
    if not (residual > floor).any():
        if noise < NOISY:
            return np.zeros_like(grey), 0.0, noise  # blank paper
        floor = 0.0  # a noisy image with no clear marks: keep what is above the paper (the verdict says so)
    ink = np.clip(residual - floor, 0.0, None)
    if noise > 0:
        # a notebook's lines first (ruling.py), a form's box once the specks and the marks at the frame
        # are gone (form_box.py: its neighbours' fragments widened the ink's extent), those again after
        ink = without_frame_marks(without_box(without_frame_marks(_drop_specks(without_ruling(ink)))))
    stretched, core = full_ink(ink)
    return stretched, (core + floor if core > 0 else 0.0), noise  # (no ink left: contrast 0)


def _flattened(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """A photo less its paper's surface, and the paper's noise. What is not paper (a table beyond
    the sheet, a shadow: background.py) is left out of the fit, which then shows more of it (at
    most :data:`OFF_PAPER_ROUNDS` fits), and its own level is taken off."""
    residual, noise = _less_paper(grey)
    off = None
    for _ in range(OFF_PAPER_ROUNDS):
        found = off_paper(residual, NOISE_SIGMAS * noise) if noise > 0 else None
        if found is None or (off is not None and not (found.region & ~off.region).any()):
            break
        off = found if off is None else OffPaper(off.region | found.region, max(off.side, found.side))
        residual, noise = _less_paper(grey, off.region)
    if off is not None:
        residual = take_off(residual, off, NOISE_SIGMAS * noise, NOISE_SIGMAS)
    return residual, noise


def _less_paper(grey: np.ndarray, off: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The image less the paper's surface, and the paper's noise, both without the ``off`` mask."""
    residual = grey - paper_surface(grey, off)
    below = residual < 0 if off is None else (residual < 0) & ~off
    return residual, 1.4826 * float(np.median(-residual[below])) if below.any() else 0.0


def _two_tone(grey: np.ndarray) -> bool:
    """Paper and ink each of one exact tone, little in between (see :data:`TWO_TONE`)."""
    low, high = float(grey.min()), float(grey.max())
    between = np.count_nonzero((grey > low + ONE_TONE) & (grey < high - ONE_TONE))
    return np.count_nonzero(grey <= low) >= TWO_TONE[0] * grey.size and between <= TWO_TONE[1] * grey.size


def _drop_specks(ink: np.ndarray) -> np.ndarray:
    """Noisy inputs only: drop separate marks too small to be strokes (noise, dust): fewer
    than SPECK_PIXELS pixels, or less than SPECK of all the ink."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    labels, n = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if n == 0:
        return ink
    index = np.arange(1, n + 1)
    mass = ndimage.sum_labels(ink, labels, index=index)
    area = ndimage.sum_labels(np.ones_like(ink), labels, index=index)
    keep = np.concatenate([[False], (mass >= SPECK * mass.sum()) & (area >= max(SPECK_PIXELS, ink.size * 1e-4))])
    return np.where(keep[labels], ink, 0.0).astype(np.float32)


def stroke_width(work: np.ndarray) -> float:
    """Stroke width in px of the 20-px box, from an image at WORK× that resolution (NaN without ink)."""
    return stroke_width_px(work) / WORK


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return np.hypot(yy, xx) <= radius + 0.5


def scaled_by(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` resized by ``scale`` (area filter), at least one pixel each way."""
    h, w = image.shape
    return resize(image, max(1, int(round(h * scale))), max(1, int(round(w * scale))))


DIMMED = 0.9  # the ink's peak shrunk below this share by the area filter: strokes thinner than its pixels


def at_least_a_pixel(crop: np.ndarray, scale: float) -> np.ndarray:
    """``crop`` with strokes narrower than one pixel at ``scale`` (the WORK× box's) widened to it,
    at the crop's own resolution, before the area filter shrinks it: a thinner stroke came out
    grey (a 1-px line in a 600-px drawing peaked at 0.24 there, still 0.4 once widened to MNIST's
    width, and read as a faint smear, "strokes unlike any digit's"). Padded by the widening."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    need = 1.0 / scale  # the crop's px in one of the box's
    width = stroke_width_px(crop) if need > 1.0 else float("nan")
    if not np.isfinite(width) or width >= need:
        return crop
    radius = (need - width) / 2
    pad = int(np.ceil(radius)) + 1
    return ndimage.grey_dilation(np.pad(crop, pad), footprint=_disk(radius))


def full_ink(ink: np.ndarray) -> tuple[np.ndarray, float]:
    """Stage 2: the stroke core (the CORE-th percentile of the ink) stretched to 1 → (ink, core)."""
    values = ink[ink > 0]
    core = float(np.percentile(values, CORE)) if values.size else 0.0
    return (np.clip(ink / core, 0.0, 1.0).astype(np.float32) if core > 0 else ink), core


def reshape_strokes(work: np.ndarray, width: float) -> tuple[np.ndarray, float]:
    """Bring the stroke width (in 20-px-box px) of a WORK× image into MNIST's range: strokes
    outside WIDTH_RANGE are dilated or eroded to WIDTH_TARGET, measuring again after each
    step (a step moves the measured width less than its radius: ends, joins, uneven strokes)."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    lo, hi = WIDTH_RANGE
    if not np.isfinite(width) or lo <= width <= hi or width > FILLED:
        return work, width
    for _ in range(3):
        radius = abs(WIDTH_TARGET - width) / 2 * WORK
        if radius < 0.5:
            break
        if width < WIDTH_TARGET:
            pad = int(np.ceil(radius)) + 1
            out = ndimage.grey_dilation(np.pad(work, pad), footprint=_disk(radius))
        else:
            out = ndimage.grey_erosion(work, footprint=_disk(radius))
            if not out.any():
                break
        top, bottom, left, right = ink_box(out)
        work = out[top:bottom + 1, left:right + 1]
        width = stroke_width(work)
    return work, width


def preprocess(image: np.ndarray, black_paper: bool = False) -> Preprocessed:
    """Any H×W grey image (ink brighter than the paper) → MNIST-like 28×28; ``NOTHING`` when blank.
    ``black_paper``: the canvas's drawings (on an image file, more ink than black paper is taken
    for a photo's paper: a canvas painted over more than half read "too faint")."""
    grey = to_unit_grey(image)
    levelled, contrast, noise = level(grey, black_paper)
    box = ink_box(levelled)
    if box is None:  # (with the paper's noise: nothing stood out from it, which says more than "blank")
        return NOTHING if noise == 0 else Preprocessed(None, None, None, noise=noise)
    top, bottom, left, right = box
    crop = levelled[top:bottom + 1, left:right + 1]
    scale = BOX * WORK / max(crop.shape)
    work = scaled_by(crop, scale)
    # the area filter greyed strokes thinner than its pixels: widened to one first (at_least_a_pixel)
    wide = at_least_a_pixel(crop, scale) if work.max() < DIMMED * crop.max() else crop
    if wide is not crop:
        work = scaled_by(wide, scale)
    width = stroke_width(work)
    reshaped, width_after = reshape_strokes(work, width)
    if wide is not crop:  # its core still grey in part once widened to MNIST's width
        reshaped = full_ink(reshaped)[0]
    scaled = np.clip(scaled_by(reshaped, BOX / max(reshaped.shape)), 0.0, 1.0)
    nh, nw = scaled.shape
    cy, cx = centre_of_mass(scaled)
    image28 = shift_matrix(nh, round(CENTRE - cy)) @ scaled @ shift_matrix(nw, round(CENTRE - cx)).T
    return Preprocessed(np.clip(image28, 0.0, 1.0).astype(np.float32), crop, scaled, levelled, reshaped,
                        contrast, noise, max(crop.shape), width, width_after)
