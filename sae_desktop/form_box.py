"""A printed box around the digit: a form's field, cropped with the digit in it.

Forms (a school test's, a survey's, NIST's own) give each digit a printed box, and a photo or a
scan of one digit keeps its box. Levelled, the box is ink: the model saw a digit in a square, and
the probe called it "unlike MNIST" or "strokes unlike any digit's" (20-100 % of such photos).

No digit is four straight lines around the ink with other ink inside them that meets them at
most twice. So the outermost bands inked across the ink's extent (up to :data:`OVERHANG` of it
in: a digit's tail written across the box's line) are looked at, and their outermost marks
taken for a printed line where they are straight (within :data:`ON_LINE` px of one fitted line,
up to :data:`TILT` askew) along at least :data:`CLOSED` of that side, and thin; where all four sides
are such lines and the ink inside them is a mark of its own (at least :data:`INSIDE` of the
ink, touching the lines in at most :data:`MAX_CONTACTS` places), the lines are taken out. An
empty box, and a crossed one (its cross meets the box in four corners), stay as they are: the
verdict flags them. A round or drawn-by-hand shape is no line of this straightness.
"""

from __future__ import annotations

import numpy as np

from sae_desktop.background import ink_box

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
OVERHANG = 0.2  # share of the ink's extent a digit's tail may reach beyond its box


def without_box(ink: np.ndarray) -> np.ndarray:
    """``ink`` (levelled, the paper at 0) without a printed box around the digit in it, if it
    has one (see the module's text)."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    mask, inked = ink > 0, ink_box(ink)
    if inked is None or min(inked[1] - inked[0], inked[3] - inked[2]) + 1 < MIN_SIDE:
        return ink
    top, bottom, left, right = inked
    extent = mask[top:bottom + 1, left:right + 1]
    band = int(np.ceil(max(MIN_BAND, TILT * max(extent.shape))))
    if 4 * band >= min(extent.shape):
        return ink
    # the box's sides: the outermost bands inked across the extent, up to OVERHANG in (a digit's
    # tail written across the box's line, beyond it)
    found = _outermost(extent, band)
    if found is None:
        return ink
    across = _outermost(extent[found].T, band)
    if across is None:
        return ink
    window = (slice(top + found.start, top + found.stop), slice(left + across.start, left + across.stop))
    box = mask[window]
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


def _outermost(extent: np.ndarray, band: int) -> slice | None:
    """The rows from the first band of ``band`` rows inked across :data:`CLOSED` of the extent's
    width to the last such band, each looked for up to :data:`OVERHANG` of the height in (a
    digit's tail over the box's line, beyond it), with the line amid its band; None where either
    side has none."""
    counts = np.vstack([np.zeros((1, extent.shape[1]), np.int64), np.cumsum(extent, axis=0)])
    covered = ((counts[band:] - counts[:-band]) > 0).mean(axis=1) >= CLOSED  # [h - band + 1]: from each row
    reach, last = int(OVERHANG * extent.shape[0]) + 1, len(covered) - 1
    top, bottom = np.flatnonzero(covered[:reach]), np.flatnonzero(covered[-reach:]) + len(covered) - reach
    if len(top) == 0 or len(bottom) == 0:
        return None
    # the runs of bands holding the line: from its first row (less a band) to its last; their middle
    # band has the line in its middle (at the extent's end, where nothing lies beyond it, the end)
    first = (top[0], top[0] + int(np.argmin(np.append(covered[top[0]:], False))) - 1)
    final = (bottom[-1] - int(np.argmin(np.append(covered[:bottom[-1] + 1][::-1], False))) + 1, bottom[-1])
    start = 0 if first[0] == 0 else (first[0] + first[1]) // 2
    stop = extent.shape[0] if final[1] == last else (final[0] + final[1]) // 2 + band
    return slice(int(start), int(stop)) if stop - start > 4 * band else None


def _top_line(box: np.ndarray, band: int) -> np.ndarray | None:
    """The printed line along the top of ``box`` (a mask of the box's window): its pixels, or None
    where the top's outermost ink is no thin straight line along :data:`CLOSED` of it."""
    top = box[:band]
    covered = top.any(axis=0)
    if covered.mean() < CLOSED:
        return None
    x = np.flatnonzero(covered)
    y = np.argmax(top[:, x], axis=0).astype(np.float64)  # the outermost ink of each column
    # a line through the medians of its halves (a thick stroke reaching the band, a fifth of its
    # columns, pulled a least-squares fit off the line), then fitted to the columns on it
    left, right = x < np.median(x), x >= np.median(x)
    if not left.any():
        return None
    slope = (np.median(y[right]) - np.median(y[left])) / max(np.median(x[right]) - np.median(x[left]), 1.0)
    offset = float(np.median(y - slope * x))
    for _ in range(2):
        on = np.abs(y - (slope * x + offset)) <= ON_LINE
        if on.sum() < CLOSED * box.shape[1]:
            return None
        slope, offset = np.polyfit(x[on], y[on], 1)
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
