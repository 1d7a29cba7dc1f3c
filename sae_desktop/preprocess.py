"""Turn any grey image of a digit into what MNIST looks like: a pure function, no Qt.

MNIST's digits are clean scans: black paper, white ink whose stroke core is at full
brightness, strokes about 2-3 px wide in the 20-px box. A canvas drawing is like that
already; a photo of a pencil digit is not (uneven light on grey paper, a stroke core
at ~0.3, strokes a fraction of a pixel wide once scaled), so the stages are:

1. **paper** (paper.py): fit a smooth surface (a quadratic in x and y) to the paper, fitted robustly
   so the ink does not pull it, and subtract it (flattens a lighting gradient); what a photo
   shows beyond the sheet or a hard shadow across it is left out of the fit and flattened on
   its own (background.py); ink is what stands clearly above the paper's noise, and isolated
   specks are dropped;
2. **contrast** (paper.py): stretch so the stroke core reaches full ink (1.0);
3. MNIST's recipe (LeCun et al.): the ink's bounding box, scaled so its longer side is
   20 px keeping the aspect ratio with an area filter, centred by its centre of mass on
   pixel (14, 14) of 28×28 (the test set's mean centre of mass is (13.99, 14.01)), moved by
   whole pixels as MNIST was: a test digit comes back unchanged, where a sub-pixel shift
   would interpolate and blur it (and the verdict compares with the test set as it is);
4. **stroke width**, between steps 2 and 3: measured on the box at 4× resolution (ink area over
   half the outline's length) and, when outside MNIST's range, widened (dilation) or
   thinned (erosion) into it, a thinning keeping the strokes narrow already as they are (a pen line
   drawn over a bold digit), and hairlines beside wider strokes widened on their own
   (:func:`widen_hairlines`); the box is then taken again. A filled shape is thinned as bold strokes
   are, once, and stays wide (:data:`THINNED`: the verdict says so). A stroke thinner than
   one pixel of the 4× box is widened to one first, at the crop's own resolution, and its core
   stretched to full ink again after (:func:`at_least_a_pixel`).

A clean input (black paper, ink already at full brightness, MNIST-like width) passes
stages 1, 2 and 4 unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_desktop.background import ink_box, stroke_width_px
from sae_desktop.paper import MIN_INK, NOISE_SIGMAS, full_ink, ink_floor, level
from sae_desktop.resample import scaled_by, shift_matrix

BOX = 20  # longer side of the ink's bounding box after scaling
SIZE = 28  # output image side
CENTRE = 14.0  # where the centre of mass goes, in 0-based pixel coordinates
WORK = 4  # stroke width is measured and changed at WORK × the 20-px box's resolution
# MNIST's stroke width (px in the 20-px box, as measured by stroke_width) on the test set's first
# 2000 digits: strokes outside its 5th-95th percentiles are brought to its median.
# tests/test_preprocess.py::test_width_limits_are_mnists measures them again.
WIDTH_RANGE = (1.42, 3.1)
WIDTH_TARGET = 2.0
HAIRLINE = 0.75  # px in the 20-px box: a stroke thinner is faint at 28×28 (MNIST has none)
MIN_STROKE_AREA = 2 * (WIDTH_TARGET * WORK) ** 2  # px at WORK×: a stroke segment twice as long as wide
FILLED = 5.5  # wider than MNIST's strokes (4.4 at most there; 3 of all 10 000 are wider): marks widened into a block
THINNED = 3.5  # px: strokes thinned (once, see reshape_strokes) measure at most this after, 18 of MNIST's
# 70 000 digits more (tests/test_preprocess.py::test_thinned_limit_is_mnists); wider still: a filled shape


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


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    mass = float(image.sum())
    rows, cols = np.arange(image.shape[0]), np.arange(image.shape[1])
    return float(image.sum(axis=1) @ rows) / mass, float(image.sum(axis=0) @ cols) / mass


def stroke_width(work: np.ndarray) -> float:
    """Stroke width in px of the 20-px box, from an image at WORK× that resolution (NaN without ink)."""
    return stroke_width_px(work) / WORK


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return np.hypot(yy, xx) <= radius + 0.5


DIMMED = 0.9  # the ink's peak shrunk below this share by the area filter: strokes thinner than its pixels


def at_least_a_pixel(crop: np.ndarray, scale: float) -> np.ndarray:
    """``crop`` with strokes narrower than two pixels at ``scale`` (the WORK× box's) widened to that,
    at the crop's own resolution, before the area filter shrinks it: a thinner stroke came out
    grey (a 1-px line in a 600-px drawing peaked at 0.24 there, still 0.4 once widened to MNIST's
    width, and read as a faint smear, "strokes unlike any digit's"). Two, as a line one pixel wide
    there falls, where it lies half a pixel off the grid (a straight line all along), on two pixels at
    half ink: a 4 drawn with a 2-px pen in a 500-px image had its upright and its bar at 0.5 beside a
    full diagonal. Padded by the widening."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    need = 2.0 / scale  # the crop's px in two of the box's
    width = stroke_width_px(crop) if need > 1.0 else float("nan")
    if not np.isfinite(width) or width >= need:
        return crop
    radius = (need - width) / 2
    pad = int(np.ceil(radius)) + 1
    return ndimage.grey_dilation(np.pad(crop, pad), footprint=_disk(radius))


def narrow_strokes(work: np.ndarray) -> np.ndarray:
    """The strokes of a WORK× image already within MNIST's widest (a pen line drawn over a bold test
    digit: the erosion the bold strokes' width asks for erased it): the white top-hat's bright parts
    at least a stroke segment large, with their soft edges (not the specks and fringes of a grey scan)."""
    from scipy import ndimage

    narrow = work - ndimage.grey_opening(work, footprint=_disk(WIDTH_RANGE[1] / 2 * WORK))
    labels, count = ndimage.label(narrow > 0.5, np.ones((3, 3)))
    if not count:
        return np.zeros_like(work)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    large = (sizes >= MIN_STROKE_AREA) & (np.arange(count + 1) > 0)
    return np.where(ndimage.binary_dilation(large[labels], iterations=2), narrow, 0.0).astype(work.dtype)


def widen_hairlines(work: np.ndarray) -> np.ndarray:
    """A WORK× image with its strokes thinner than :data:`HAIRLINE` widened to MNIST's median on their
    own, padded by the widening (``work`` itself where it has none): beside a bold bar the whole
    image's width was in range, and a minimum-brush 4 came out a bar and two grey hairlines."""
    from scipy import ndimage

    side = round(HAIRLINE * WORK)
    opened = ndimage.grey_opening(work, footprint=np.ones((side, side), bool))
    thin = np.where(opened < 0.1, work - opened, 0.0)  # (not the ridge of a wider stroke's grey profile)
    if np.count_nonzero(thin > 0.25) < 2 * WORK * WORK:  # (not a stroke: a fringe, corners, specks)
        return work
    radius = (WIDTH_TARGET * WORK - stroke_width_px(thin)) / 2
    if not radius >= 0.5:
        return work
    pad = int(np.ceil(radius)) + 1
    return np.maximum(np.pad(work, pad), ndimage.grey_dilation(np.pad(thin, pad), footprint=_disk(radius)))


def reshape_strokes(work: np.ndarray, width: float) -> tuple[np.ndarray, float]:
    """Bring the stroke width (in 20-px-box px) of a WORK× image into MNIST's range: strokes
    outside WIDTH_RANGE are dilated or eroded to WIDTH_TARGET, measuring again after each
    widening (a step moves the measured width less than its radius: ends, joins, uneven strokes).
    Thinning erodes once, by what strokes of the measured width need, with no ink beyond the box:
    eroding again while the width still measured wide (a bold 6 whose loop filled in) erased the
    narrower strokes (its tail), and a scribbled zig-zag block came out a clean bar, read "typical";
    and the box's edges, taken as ink continuing beyond them, were never eroded (a bold upright 1
    stayed as wide). Thinning keeps the strokes narrow already (:func:`narrow_strokes`) as they were;
    not so after a widening overshot (ruled lines widened into one block stay one)."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    lo, hi = WIDTH_RANGE
    if not np.isfinite(width):
        return work, width
    if width >= lo and (widened := widen_hairlines(work)) is not work:
        top, bottom, left, right = ink_box(widened)
        work = widened[top:bottom + 1, left:right + 1]
        width = stroke_width(work)
    if lo <= width <= hi:
        return work, width
    kept = narrow_strokes(work) if width > hi else None
    for _ in range(3):
        radius = abs(WIDTH_TARGET - width) / 2 * WORK
        if radius < 0.5:
            break
        if width < WIDTH_TARGET:
            pad = int(np.ceil(radius)) + 1
            out = ndimage.grey_dilation(np.pad(work, pad), footprint=_disk(radius))
            kept = None if kept is None else np.pad(kept, pad)
        else:
            # (after a widening overshot, the box's edges are kept: eroded, ruled lines widened into
            # one block measured as strokes again)
            edges = "constant" if kept is not None else "reflect"
            out = ndimage.grey_erosion(work, footprint=_disk(radius), mode=edges, cval=0.0)
            out = out if kept is None else np.maximum(out, kept)
            if not out.any():
                break
        top, bottom, left, right = ink_box(out)
        work = out[top:bottom + 1, left:right + 1]
        kept = None if kept is None else kept[top:bottom + 1, left:right + 1]
        width = stroke_width(work)
        if kept is not None:  # thinned: once (see above)
            break
    return work, width


HARD, FULL = 0.9, 0.9  # ink whose outermost pixels are this share at full ink (FULL or more) has hard edges


def softened(crop: np.ndarray) -> np.ndarray:
    """A hard-edged crop (:data:`HARD`: a binary scan, a 1-bit bitmap, a drawing saved without
    anti-aliasing) blurred by half its pixel (to a pixel's reach), padded by one, as MNIST's digits are
    anti-aliased: 300 of MNIST's test digits made binary read "unusual" or "unlike" up to twice as often as
    themselves (18): 38 at 16 px, 24 at 64, 19 at 280; 6, 9 and 17 once softened (tests/test_crops.py);
    ``crop`` itself otherwise (an anti-aliased drawing's outermost pixels are grey)."""
    from scipy import ndimage

    ink = crop > 0
    outer = ink & ~ndimage.binary_erosion(ink, border_value=0)
    if not outer.any() or np.count_nonzero(crop[outer] >= FULL) < HARD * np.count_nonzero(outer):
        return crop
    return ndimage.gaussian_filter(np.pad(crop, 1), 0.5, truncate=2.0)


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
    work = scaled_by(softened(crop), scale)
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
    image28 = shift_matrix(nh, round(CENTRE - cy), SIZE) @ scaled @ shift_matrix(nw, round(CENTRE - cx), SIZE).T
    return Preprocessed(np.clip(image28, 0.0, 1.0).astype(np.float32), crop, scaled, levelled, reshaped,
                        contrast, noise, max(crop.shape), width, width_after)


def blank_reason(stages: Preprocessed) -> str:
    """Why an image file gave no ink: its paper's tone alone, or marks too faint for its noise (a
    pencil 5 twelve grey levels darker than its paper, plain to the eye, read "No ink was found")."""
    if stages.noise > 0:
        least = ink_floor(stages.noise)
        return (f"Nothing stands out from the paper's noise: ink must stand {least:.1%} of the range above the "
                f"paper ({NOISE_SIGMAS:g} times its noise, {stages.noise:.1%}, and at least {MIN_INK:.0%}). "
                "A darker photo may show faint marks.")
    return "No ink was found after removing the paper's tone."


def as_drawn(stages: Preprocessed) -> np.ndarray | None:
    """The model's input at the finer resolution of its ``reshaped`` strokes (a square ``SIZE / BOX``
    times their longer side, the strokes where the input has them): what the canvas shows of a file,
    so that a pen stroke drawn over it is as wide, beside its strokes, as in a drawing. (Its levelled
    picture had a photo's strokes at the photo's own width, a few canvas pixels beside the pen's 22:
    drawn over, the bold stroke set the width and the file's strokes broke up.) None without ink."""
    if stages.reshaped is None or stages.scaled is None:
        return None
    unit = max(stages.reshaped.shape) / BOX  # px of ``reshaped`` in one of the input's
    cy, cx = centre_of_mass(stages.scaled)
    side = round(SIZE * unit)
    out = np.zeros((side, side), np.float32)
    top, left = round(round(CENTRE - cy) * unit), round(round(CENTRE - cx) * unit)
    h, w = stages.reshaped.shape
    rows, cols = slice(max(top, 0), min(top + h, side)), slice(max(left, 0), min(left + w, side))
    out[rows, cols] = stages.reshaped[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left]
    return np.clip(out, 0.0, 1.0)
