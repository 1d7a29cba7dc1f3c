"""Stages 1-2 of the preprocessing (preprocess.py): the paper taken off, the ink at full brightness.

A canvas drawing is white ink on black paper already. A photo is not: its paper is grey and
unevenly lit, noisy, perhaps ruled or boxed, with a table or a shadow beyond the sheet. So the
paper is fitted as a smooth surface (robustly, the ink never pulling it) and taken off; ink is
what stands :data:`NOISE_SIGMAS` noise deviations above it; a notebook's lines (ruling.py), a
form's box (form_box.py), what is not paper (background.py) and isolated specks go, and in any image
file an underline or a full stop beside the digit; and the stroke core is stretched to full ink
(:func:`full_ink`). An image of a few dozen pixels is a digit's crop (sheet.is_crop): its paper is
its frame's tone, no surface fitted.
"""

from __future__ import annotations

import numpy as np

from sae_desktop.background import OffPaper, ink_box, off_paper, take_off, without_frame_marks
from sae_desktop.form_box import without_box
from sae_desktop.light import below_noise, without_local_light
from sae_desktop.resample import resize
from sae_desktop.ruling import without_lone_lines, without_ruling
from sae_desktop.sheet import crop_paper, is_crop

NOISE_SIGMAS = 4.0  # ink must stand this many noise deviations above the paper
MIN_INK = 0.02  # …and at least this far above it (5/255): a JPEG's quantisation wipes a photo's fine noise
# out (3/255 measured 0.6/255 after q85), and its ringing around every line then stood 4 "noise deviations"
# up: a sixth of a ruled page was ink, its lines no longer lines, and a grey box read "Typical"
NOISY = 0.05  # paper noisier than this (standard deviation) is not blank paper but noise
SPECK = 0.01  # separate marks with less than this share of the ink are specks (noisy inputs only)…
SPECK_PIXELS = 6  # …and so are marks of fewer pixels than this (or than 1 in 10 000 of the image)
FAR, SMALLER = 0.5, 0.25  # marks this far beyond the largest (share of its size), and smaller, are no part of it
ONE_TONE = 1.5 / 255  # tones this near are one (a file's 8 bits, rounded)
TWO_TONE = (0.2, 0.1)  # ≥ this share at exactly the darkest tone and ≤ this share between it and the brightest
# (±1.5/255): paper and ink each of one tone, as a drawing program saves them (a photo's paper never is; a
# photo blown out to white over 40 % of it still has its shading in between, which the paper fit removes)
OFF_PAPER_ROUNDS = 3  # the paper refitted at most this many times without what is not paper (background.py)
UNDERLINE, FLAT = 0.6, 0.25  # a line below the digit this share of its width at least, this share as tall as wide
FULL_STOP, DOT_FILL = 0.3, 0.6  # a dot beside the digit's lower half, no larger than this share of its height each
# way (a felt pen's full stop beside a 1: a quarter of it), filling this share of its box at least
CORE = 90  # percentile of the ink's values taken as the stroke core's brightness


def ink_floor(noise: float) -> float:
    """How far ink must stand above a photo's paper of this ``noise``: NOISE_SIGMAS of it, and at
    least MIN_INK."""
    return max(NOISE_SIGMAS * noise, MIN_INK)


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
        sigma = below_noise(residual[keep])
        keep = paper & (residual <= 2.5 * sigma + 1e-6)
    return coef, sigma


def level(grey: np.ndarray, black_paper: bool = False) -> tuple[np.ndarray, float, float]:
    """Stages 1-2 → (ink in [0, 1] with the paper at exactly 0, contrast, noise). ``black_paper``:
    the paper is known to be black (the canvas), however much of it the ink covers."""
    table = crop = False  # what is beyond the sheet was found and taken off; the image is a digit's crop
    if black_paper:
        # (an image file's black paper is not taken on trust: more than half of a photo blown out to
        # white, once inverted, is black, and the shading elsewhere is no ink; on exact black the
        # paper fit below finds the paper flat at 0 and without noise, and changes nothing)
        residual, noise = grey, 0.0
    elif crop := is_crop(grey) and float(np.ptp(grey)) > ONE_TONE:  # (a dataset's 16-px digit: no lighting to
        paper, noise = crop_paper(grey)  # flatten, no page's lines, box or table, and its strokes may touch the frame)
        residual = grey - paper
    elif _two_tone(grey):
        # paper and ink of one tone each (a drawing saved from a program, however much of it the
        # ink covers): nothing to flatten, but the paper's tone (off-white in the file: 245) is not
        # ink; an image of a single tone is all ink (the canvas painted over), not paper
        low = grey.min()
        residual, noise = (grey - low if grey.max() - low > ONE_TONE else grey), 0.0
        found = off_paper(residual, ink_floor(noise))  # (a sheet on an even table, noise-free: two tones too,
        if table := found is not None:  # the table's and the paper's, and the table stayed as ink, a frame)
            residual = take_off(residual, found, ink_floor(noise), NOISE_SIGMAS)
    else:
        residual, noise, table = _flattened(grey)
    floor = ink_floor(noise) if noise > 0 else 0.0
    if not (residual > floor).any():
        if noise < NOISY:
            return np.zeros_like(grey), 0.0, noise  # blank paper
        floor = 0.0  # a noisy image with no clear marks: keep what is above the paper (the verdict says so)
    ink = np.clip(residual - floor, 0.0, None)
    if noise > 0 and not crop:
        # a notebook's lines first (ruling.py), a form's box once the specks and the marks at the frame
        # are gone (form_box.py: its neighbours' fragments widened the ink's extent), those again after
        ink = without_frame_marks(without_box(without_frame_marks(_drop_specks(without_ruling(ink)), True)), True)
        # then a line or two far fainter than the writing, and what they leave of themselves (specks, stubs at
        # the frame); last, marks far from the digit
        ink = _without_far_marks(without_frame_marks(_drop_specks(without_lone_lines(ink)), True))
    elif crop:  # (a form's field cropped at its box: the box's lines along the frame)
        ink = without_box(ink)
    elif table:  # (what a table narrower than off_paper's square leaves along the frame: a strip above the
        ink = without_frame_marks(ink)  # sheet's edge, a line over a noise-free photo's digit)
    elif not black_paper:  # a clean page's ruling (a paint program's lined template, a PDF's export, no noise:
        ink = without_ruling(ink)  # its lines stayed as ink, the digit small in a grey block of them, "Typical")
    if not black_paper:  # (on the canvas, what is drawn is judged)
        ink = _without_underline_or_stop(ink)
    stretched, core = full_ink(ink)
    return stretched, (core + floor if core > 0 else 0.0), noise  # (no ink left: contrast 0)


def _flattened(grey: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """A photo less its paper's surface, and the paper's noise. What is not paper (a table beyond
    the sheet, a shadow: background.py) is left out of the fit, which then shows more of it (at
    most :data:`OFF_PAPER_ROUNDS` fits), and its own level is taken off; whether there was any."""
    residual, noise = _less_paper(grey)
    first, off = (residual, noise), None
    for _ in range(OFF_PAPER_ROUNDS):
        found = off_paper(residual, ink_floor(noise))  # (a noise-free photo too: a table beside a sheet in a
        # composite or a clean scan was looked for only where the paper had noise, and stayed, a frame as ink)
        if found is None or (off is not None and not (found.region & ~off.region).any()):
            break
        off = found if off is None else OffPaper(off.region | found.region, max(off.side, found.side))
        residual, noise = _less_paper(grey, off.region)
    if off is None:  # (light the quadratic cannot follow: light.py; beside a table, the table's level is taken off)
        return *without_local_light(residual, noise), False
    # a light the quadratic cannot follow reaches the frame as a table does (a glare's halo, a hand's soft shadow
    # across a corner): where taking the local light off leaves no such region, it was light (a 3 under a hand's
    # shadow read "unusual", the shadow's edge a line across its input; glare photos lost strokes to the "table")
    around = all(edge.any() for edge in (off.region[0], off.region[-1], off.region[:, 0], off.region[:, -1]))
    if not around:  # (a table all around the sheet is one: levelled as light, its edges were left as marks)
        lit, lit_noise = without_local_light(*first)
        if lit is not first[0] and off_paper(lit, ink_floor(lit_noise)) is None:
            return lit, lit_noise, False
    return take_off(residual, off, ink_floor(noise), NOISE_SIGMAS), noise, True


def _less_paper(grey: np.ndarray, off: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The image less the paper's surface, and the paper's noise, both without the ``off`` mask."""
    residual = grey - paper_surface(grey, off)
    return residual, below_noise(residual if off is None else residual[~off])


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


def _without_far_marks(ink: np.ndarray) -> np.ndarray:
    """Noisy inputs only: drop the marks wholly :data:`FAR` of its size away from the largest mark, each
    with less than :data:`SMALLER` of its ink (printed text at the top of a form, a neighbour's notes: the
    ink's box took them in, and the digit was a blob between two dashes in the model's input)."""
    from scipy import ndimage

    labels, n = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if n < 2:
        return ink
    mass = ndimage.sum_labels(ink, labels, index=np.arange(1, n + 1))
    main = int(np.argmax(mass))
    top, bottom, left, right = ink_box(labels == main + 1)
    reach = FAR * max(bottom - top + 1, right - left + 1)
    near = np.zeros(ink.shape, bool)
    near[max(0, int(top - reach)):int(bottom + reach) + 1, max(0, int(left - reach)):int(right + reach) + 1] = True
    keep = np.zeros(n + 1, bool)
    keep[1:] = mass >= SMALLER * mass[main]
    keep[np.unique(labels[near])] = True
    keep[0] = False
    return np.where(keep[labels], ink, 0.0).astype(np.float32)


def _without_underline_or_stop(ink: np.ndarray) -> np.ndarray:
    """Without what a writer adds apart from the digit (the mark of the most ink): a line wholly below it, at
    least :data:`UNDERLINE` of its width, flat and straight, and a full stop wholly beside it, in its lower half,
    a dot no larger than :data:`FULL_STOP` of its height (kept as ink, they widened the ink's box: an underlined
    digit read "unlike" or "strokes unlike a digit's" 15 times in 25, a "7." 7 times; now 1 and 2)."""
    from scipy import ndimage

    labels, n = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if n < 2:
        return ink
    mass = ndimage.sum_labels(ink, labels, index=np.arange(1, n + 1))
    boxes = ndimage.find_objects(labels)
    digit = boxes[int(np.argmax(mass))]
    top, bottom, left, right = digit[0].start, digit[0].stop, digit[1].start, digit[1].stop
    height, width = bottom - top, right - left
    drop = np.zeros(n + 1, bool)
    for label, (rows, cols) in enumerate(boxes, start=1):
        h, w = rows.stop - rows.start, cols.stop - cols.start
        underline = (rows.start >= bottom and w >= UNDERLINE * width and h <= FLAT * w
                     and _straight(labels[rows, cols] == label))
        stop = ((cols.start >= right or cols.stop <= left) and max(h, w) <= FULL_STOP * height
                and rows.start < bottom and rows.stop > top + height / 2
                and np.count_nonzero(labels[rows, cols] == label) >= DOT_FILL * h * w)
        drop[label] = underline or stop
    return np.where(drop[labels], 0.0, ink).astype(np.float32) if drop.any() else ink


def _straight(mark: np.ndarray) -> bool:
    """Whether a flat mark is a straight line: its columns' middles within half its thickness (and 1.5 px) of
    the line fitted through them (a 9's base drawn apart from its stem, a curve as flat, was no underline)."""
    rows, cols = np.nonzero(mark)
    counts = np.bincount(cols)
    inked = np.flatnonzero(counts)
    if inked.size < 3:
        return False
    middles = np.bincount(cols, weights=rows)[inked] / counts[inked]
    fitted = np.polyval(np.polyfit(inked, middles, 1), inked)
    return float(np.abs(middles - fitted).max()) <= max(1.5, float(np.median(counts[inked])) / 2)


def full_ink(ink: np.ndarray) -> tuple[np.ndarray, float]:
    """Stage 2: the stroke core (the CORE-th percentile of the ink) stretched to 1 → (ink, core)."""
    values = ink[ink > 0]
    core = float(np.percentile(values, CORE)) if values.size else 0.0
    return (np.clip(ink / core, 0.0, 1.0).astype(np.float32) if core > 0 else ink), core
