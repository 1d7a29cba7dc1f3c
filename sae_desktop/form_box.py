"""A printed box around the digit: a form's field, cropped with the digit in it.

Forms (a school test's, a survey's, NIST's own) give each digit a printed box, and a photo or a
scan of one digit keeps its box. Levelled, the box is ink: the model saw a digit in a square, and
the probe called it "unlike MNIST" or "strokes unlike any digit's" (20-100 % of such photos).

No digit is four straight lines around the ink with other ink inside them that meets them in a
few places, at fewer than three of their corners. So the outermost bands inked across the ink's
extent (up to :data:`OVERHANG` of it in: a digit's tail written across the box's line) are looked
at, and in each a printed line sought: through its outermost marks, else (a stroke beyond the line
along part of it) the straightest line there; straight within :data:`ON_LINE` px, up to :data:`TILT`
askew, along at least :data:`CLOSED` of that side, and thin. Where all four sides are such lines and
the ink inside them is a mark of its own (at least :data:`INSIDE` of the ink, meeting the lines in
at most :data:`MAX_CONTACTS` places and at fewer than :data:`CROSSED` of its corners), the lines are
taken out, but where a stroke crosses them. An empty box, and a crossed one (its cross meets the
box in its corners), stay as they are: the verdict flags them. A round or drawn-by-hand shape is
no line of this straightness.
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
MAX_CONTACTS = 4  # places where the ink inside meets the lines (a large 0 touches all four sides)…
CONTACT_SHARE = 0.1  # …along at most this share of the lines' pixels (a round stroke meets one over a stretch)…
CROSSED = 3  # …and at fewer of the box's corners than this (a crossed box meets four; a slanted 1 two)
SAME_PLACE = 0.15  # meetings along one side this share of it apart are one place, or farther with the line
# thicker between them (a round stroke along a line meets it at both ends of the stretch the line hides)
STROKED = 2  # px: a line this much thicker than along most of it has a stroke along it
CORNER = 0.15  # a place this share of the box's shorter side from one of its corners is at that corner
OVERHANG = 0.2  # share of the ink's extent a digit's tail may reach beyond its box
SEARCH_COLUMNS, SEARCH_TILTS = 400, 41  # the straightest line sought in about this many columns and tilts


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
    lines, sides = np.zeros_like(box), []
    for turn in range(4):  # each side in turn as the top one
        line = _top_line(np.rot90(box, turn), band)
        if line is None:
            return ink
        lines |= np.rot90(line, -turn)
        sides.append(line)
    pieces, n = ndimage.label(box & ~lines, np.ones((3, 3)))
    small = np.bincount(pieces.ravel(), minlength=n + 1) < FRAGMENT * box.sum()
    small[pieces[_continued(mask, window)]] = False  # (a stroke's end in the window is no fragment)
    lines |= (pieces > 0) & small[pieces]  # (a line's frayed edge)
    rest = box & ~lines
    if ink[window][rest].sum() < INSIDE * ink[window][box].sum():
        return ink  # an empty box (its blur, a speck inside): the verdict says so
    touching = rest & ndimage.binary_dilation(lines, np.ones((3, 3), bool))
    places, corners = _contacts(rest, sides)
    if places > MAX_CONTACTS or corners >= CROSSED or touching.sum() > CONTACT_SHARE * lines.sum():
        return ink  # crossed, or filled: the box is part of the shape
    out = ink.copy()
    out[window][lines & ~_crossings(rest, sides)] = 0.0
    return out


def _contacts(rest: np.ndarray, sides: list[np.ndarray]) -> tuple[int, int]:
    """The places where ``rest`` (the ink inside the box's window, less its lines) meets the lines
    (``sides``: each side's line, turned to the top as :func:`_top_line` found it), and how many of
    the box's corners they meet at."""
    from scipy import ndimage

    places, corners = 0, set()
    reach = CORNER * min(rest.shape)
    for turn, line in enumerate(sides):
        depth = _depth(line)  # (the rows the line and its neighbours lie in: 4 dilations of the box took 5 ms)
        near = np.rot90(rest, turn)[:depth] & ndimage.binary_dilation(line[:depth], np.ones((3, 3), bool))
        along = np.flatnonzero(near.any(axis=0))
        ends = np.rot90(np.arange(4).reshape(2, 2), turn)[0]  # the box's corners (by their place unturned) at its ends
        # one place: meetings near each other, or with a stroke on the line between them
        stroked = _stroked(line[:depth])
        apart = [k for k in np.flatnonzero(np.diff(along) > SAME_PLACE * line.shape[1])
                 if stroked[along[k] + 1:along[k + 1]].mean() < CLOSED]
        for run in np.split(along, np.array(apart, int) + 1):
            if len(run) == 0:
                continue
            places += 1
            middle = (run[0] + run[-1]) / 2
            if min(middle, line.shape[1] - 1 - middle) < reach:
                corners.add(int(ends[0] if middle < reach else ends[1]))
    return places, len(corners)


def _depth(line: np.ndarray) -> int:
    """The rows from the top down to just past a side's ``line`` (turned to the top): the line's and
    the ink within :data:`MARGIN` px of it."""
    rows = np.flatnonzero(line.any(axis=1))
    return int(rows[-1]) + MARGIN + 2 if len(rows) else 0


def _continued(mask: np.ndarray, window: tuple[slice, slice]) -> np.ndarray:
    """The pixels on ``window``'s edges (a mask of its shape) whose ink goes on beyond it."""
    rows, cols = window
    out = np.zeros((rows.stop - rows.start, cols.stop - cols.start), bool)
    if rows.start > 0:
        out[0] = mask[rows.start - 1, cols]
    if rows.stop < mask.shape[0]:
        out[-1] |= mask[rows.stop, cols]
    if cols.start > 0:
        out[:, 0] |= mask[rows, cols.start - 1]
    if cols.stop < mask.shape[1]:
        out[:, -1] |= mask[rows, cols.stop]
    return out & mask[window]


def _crossings(rest: np.ndarray, sides: list[np.ndarray]) -> np.ndarray:
    """The lines' pixels where a stroke of ``rest`` crosses them (its ink within :data:`MARGIN` px
    of the line on both sides), or lies along them (:func:`_stroked`): kept, a digit across its
    box's line was cut in two there, a round one along it cut open, and the probe read the pieces
    as "strokes unlike any digit's"."""
    kept = np.zeros_like(rest)
    for turn, whole in enumerate(sides):
        depth = _depth(whole)
        line, inside, rows = whole[:depth], np.rot90(rest, turn)[:depth], np.arange(depth)[:, None]
        first, last = np.argmax(line, axis=0), depth - 1 - np.argmax(line[::-1], axis=0)
        above = (inside & (rows >= first - MARGIN) & (rows < first)).any(axis=0)
        below = (inside & (rows > last) & (rows <= last + MARGIN)).any(axis=0)
        crossed = np.zeros_like(whole)
        crossed[:depth] = line & ((line.any(axis=0) & above & below) | _stroked(line))[None, :]
        kept |= np.rot90(crossed, -turn)
    corners = sum(np.rot90(line, -turn).astype(int) for turn, line in enumerate(sides)) > 1
    return kept & ~corners  # (where two lines meet, each is thicker by the other)


def _stroked(line: np.ndarray) -> np.ndarray:
    """The columns where a stroke lies along a side's ``line`` (turned to the top, its rows only):
    its ink there across the line's margins too, :data:`STROKED` px thicker than along most of it."""
    from scipy import ndimage

    fill = line.sum(axis=0)
    if not fill.any():
        return fill > 0
    # inked across the line and its margins (as where the other sides' lines cross it), less the ends of
    # each stretch: there the stroke leaves the line, and the line's pixels beside it were kept
    full = (fill >= fill.max() - 1) & (fill >= np.median(fill[fill > 0]) + STROKED)
    return ndimage.binary_erosion(full, np.ones(2 * MARGIN + 3, bool))


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
    where no thin straight line runs along :data:`CLOSED` of it: the line through the outermost ink
    of its first ``band`` rows, else the straightest line there and up to :data:`OVERHANG` of its
    height below them (a digit's stroke beyond the line, above it)."""
    top = box[:band + int(OVERHANG * box.shape[0])]
    for guess in (lambda: _outermost_guess(box[:band]), lambda: _straightest_guess(top)):  # (the second only
        if (found := guess()) is not None and (line := _line_near(box, top, band, *found)) is not None:  # if needed)
            return line
    return None


def _outermost_guess(top: np.ndarray) -> tuple[float, float] | None:
    """A line (slope, offset) through the outermost ink of ``top``'s columns: through the medians of
    its halves (a thick stroke reaching the band, a fifth of its columns, pulled a least-squares fit
    off the line); None where they are inked along less than :data:`CLOSED` of it."""
    covered = top.any(axis=0)
    if covered.mean() < CLOSED:
        return None
    x = np.flatnonzero(covered)
    y = np.argmax(top[:, x], axis=0).astype(np.float64)
    left, right = x < np.median(x), x >= np.median(x)
    if not left.any():
        return None
    slope = (np.median(y[right]) - np.median(y[left])) / max(np.median(x[right]) - np.median(x[left]), 1.0)
    return float(slope), float(np.median(y - slope * x))


def _straightest_guess(top: np.ndarray) -> tuple[float, float] | None:
    """The line (slope, offset) up to :data:`TILT` askew whose ±:data:`ON_LINE` px hold ink in the
    most columns of ``top``, if that is :data:`CLOSED` of them (where a digit's stroke runs beyond
    the line, the outermost ink of its columns is the stroke's)."""
    from scipy import ndimage

    depth, width = top.shape
    reach = int(np.ceil(TILT * width / 2))
    x = np.arange(0, width, max(1, width // SEARCH_COLUMNS))  # (all of a 2000-px box's: 0.95 s; so 0.04 s)
    padded = np.pad(top, ((reach, reach), (0, 0)))
    best = (0.0, 0.0, 0)
    for slope in np.linspace(-TILT, TILT, min(2 * reach + 1, SEARCH_TILTS)):
        shift = np.round(slope * (x - width / 2)).astype(int)
        sheared = padded[np.arange(depth)[:, None] + shift[None, :] + reach, x[None, :]]
        covered = ndimage.maximum_filter1d(sheared, int(2 * ON_LINE) + 1, axis=0).mean(axis=1)
        row = int(np.argmax(covered))
        if covered[row] > best[0]:
            best = (float(covered[row]), float(slope), row)
    return (best[1], best[2] - best[1] * width / 2) if best[0] >= CLOSED else None


def _line_near(box: np.ndarray, top: np.ndarray, band: int, slope: float, offset: float) -> np.ndarray | None:
    """The line near ``slope``, ``offset`` in ``top`` (the first rows of ``box``), fitted to each
    column's first ink within :data:`ON_LINE` px of it: its pixels in ``box``, or None where it
    holds ink along less than :data:`CLOSED` of the top, or is thick."""
    rows, x = np.arange(top.shape[0])[:, None], np.arange(top.shape[1])

    def first_ink(slope: float, offset: float) -> tuple[np.ndarray, np.ndarray]:
        near = top & (np.abs(rows - (slope * x + offset)[None, :]) <= ON_LINE)
        return np.argmax(near, axis=0), near.any(axis=0)

    y, on = first_ink(slope, offset)
    if on.sum() < CLOSED * top.shape[1]:
        return None
    for _ in range(2):  # to a fraction of a px, while the fit holds the line (a stroke beside it pulls
        fitted = np.polyfit(x[on], y[on], 1)  # the fit off)
        refit = first_ink(*fitted)
        if refit[1].sum() < CLOSED * top.shape[1]:
            break
        (slope, offset), (y, on) = fitted, refit
    # its thickness: the run of ink down from its first pixel, in the columns on the line
    thick = _thickness(top[:, on], y[on])
    if thick > MAX_THICK * band + 1:
        return None
    centre = slope * x + offset
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
