"""A printed box around the digit: a form's field, cropped with the digit in it.

Forms (a school test's, a survey's, NIST's own) give each digit a printed box, and a photo or a
scan of one digit keeps its box. Levelled, the box is ink: the model saw a digit in a square, and
the probe called it "unlike MNIST" or "strokes unlike any digit's" (20-100 % of such photos).

No digit is four straight lines around the ink's whole extent with other ink inside them that
meets them at most twice. So the ink's outermost marks along each side of its extent are taken
for a printed line where they are straight (within :data:`ON_LINE` px of one fitted line, up to
:data:`TILT` askew) along at least :data:`CLOSED` of that side, and thin; where all four sides
are such lines and the ink inside them is a mark of its own (at least :data:`INSIDE` of the
ink, touching the lines in at most :data:`MAX_CONTACTS` places), the lines are taken out. An
empty box, and a crossed one (its cross meets the box in four corners), stay as they are: the
verdict flags them. A round or drawn-by-hand shape is no line of this straightness.
"""

from __future__ import annotations

import numpy as np

MIN_SIDE = 24  # px: a smaller extent holds no box with a digit in it
CLOSED = 0.8  # each side's outermost ink lies on its line along this share of the side
TILT = 0.06  # px of a side's band per px of its length: a box photographed up to ~3° askew
MIN_BAND = 4  # px: the band along each side in which its line is looked for, at least
ON_LINE = 2.0  # px: the outermost ink of a column this near the fitted line is the line's
MARGIN = 2  # px either side of a line taken with it (its blur, the steps of a tilted line)
FRAGMENT = 0.01  # marks left beside the lines smaller than this share of the ink are the lines' too
MAX_THICK = 0.25  # a line at most this share of its band thick (a filled shape is no line)
INSIDE = 0.1  # share of the ink inside the lines: the digit
MAX_CONTACTS = 2  # places where the ink inside meets the lines (a digit written up to its box)
CONTACT_SHARE = 0.05  # …and at most this share of the lines' pixels


def without_box(ink: np.ndarray) -> np.ndarray:
    """``ink`` (levelled, the paper at 0) without a printed box around the digit in it, if it
    has one (see the module's text)."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    mask = ink > 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0 or min(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 < MIN_SIDE:
        return ink
    window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    box = mask[window]
    band = int(np.ceil(max(MIN_BAND, TILT * max(box.shape))))
    if 4 * band >= min(box.shape):
        return ink
    lines = np.zeros_like(box)
    for turn in range(4):  # each side in turn as the top one
        line = _top_line(np.rot90(box, turn), band)
        if line is None:
            return ink
        lines |= np.rot90(line, -turn)
    pieces, n = ndimage.label(box & ~lines, np.ones((3, 3)))
    area = np.bincount(pieces.ravel(), minlength=n + 1)
    lines |= (pieces > 0) & (area < FRAGMENT * box.sum())[pieces]  # (a line's frayed edge)
    rest = box & ~lines
    if ink[window][rest].sum() < INSIDE * ink[window][box].sum():
        return ink  # an empty box (its blur, a speck inside): the verdict says so
    touching = rest & ndimage.binary_dilation(lines, np.ones((3, 3), bool))
    contacts = ndimage.label(touching, np.ones((3, 3)))[1]
    if contacts > MAX_CONTACTS or touching.sum() > CONTACT_SHARE * lines.sum():
        return ink  # crossed, or filled: the box is part of the shape
    out = ink.copy()
    out[window][lines] = 0.0
    return out


def _top_line(box: np.ndarray, band: int) -> np.ndarray | None:
    """The printed line along the top of ``box`` (a mask of the ink's extent): its pixels, or None
    where the top's outermost ink is no thin straight line along :data:`CLOSED` of it."""
    top = box[:band]
    covered = top.any(axis=0)
    if covered.mean() < CLOSED:
        return None
    x = np.flatnonzero(covered)
    y = np.argmax(top[:, x], axis=0).astype(np.float64)  # the outermost ink of each column
    on = np.ones(len(x), bool)
    for _ in range(2):  # fitted, then again without the columns off it (a stroke reaching the band)
        slope, offset = np.polyfit(x[on], y[on], 1)
        on = np.abs(y - (slope * x + offset)) <= ON_LINE
        if on.sum() < CLOSED * box.shape[1]:
            return None
    # its thickness: the run of ink down from the outermost pixel, in the columns on the line
    thick = _thickness(top[:, x[on]], y[on].astype(int))
    if thick > MAX_THICK * band + 1:
        return None
    centre = slope * np.arange(box.shape[1]) + offset
    rows = np.arange(box.shape[0])[:, None]
    return (rows >= centre[None, :] - MARGIN) & (rows < centre[None, :] + thick + MARGIN) & box


def _thickness(columns: np.ndarray, starts: np.ndarray) -> float:
    """The median run of ink down ``columns`` (a mask, one column per line's column) from each
    one's ``starts`` row."""
    depth = np.arange(columns.shape[0])[:, None]
    rows = starts[None, :] + depth
    inked = np.take_along_axis(columns, np.minimum(rows, columns.shape[0] - 1), axis=0) & (rows < columns.shape[0])
    runs = np.where(inked.all(axis=0), columns.shape[0], np.argmin(inked, axis=0))
    return float(np.median(runs))
