"""Ruled and squared paper: the printed lines a photo or scan of a school notebook shows.

Seen ink-bright once the paper is levelled, the lines are ink too, and where the digit touches
one they are one mark with it: the frame-mark rule (``background.without_frame_marks``) then
kept the whole grid, and the model saw a grey square with the digit in it ("strokes unlike any
digit's"). A sheet's ruling is told apart by what no digit draws: at least :data:`MIN_LINES`
parallel lines, each inked across :data:`FULL` of the image and fainter than the writing,
horizontal or vertical up to :data:`MAX_TILT` degrees (a photo taken a little askew). They are
taken out; where a stroke crosses one, or runs along it, its ink brighter than the line's stays,
and where it is no brighter the gap is bridged from the ink on either side of the line. Where a
ruling is found, one faint line across it is printed too (a notebook's margin), and goes; without
one, a line or two go where they are far fainter than the writing (:data:`LONE`: a digit written
on a line; as faint as the writing, a lone line cannot be told from a 1, two from a form's box).
"""

from __future__ import annotations

import numpy as np

MIN_LINES = 3  # parallel full-width lines: a ruling (a digit draws two at most: a 7's bar, a 2's base; a form's box)
FULL = 0.8  # a line's ink spans this share of the image's width (or height)
MAX_TILT, TILT_STEP = 3.0, 0.5  # degrees: the tilts searched
FAINTER = 0.7  # a sheet's printed lines are fainter than this share of its darkest marks (the writing)…
LONE = 0.4  # …and fewer lines than a ruling, this (a digit written on one or two of a notebook's: 0.15-0.35 of the
# writing, they were widened to grey bars across it; a form's box, 0.6-0.7, is form_box.py's)
STROKE_OVER_LINE = 1.5  # ink this many times the line's own is a stroke over it, kept
THICK = 0.02  # a printed line is no thicker than this share of the image's side (a table's band along it is)
BAND = 1  # rows either side of a line counted as its own (its blur, the tilt between two steps)


def without_ruling(ink: np.ndarray) -> np.ndarray:
    """``ink`` (levelled, the paper at 0) without a ruling's lines, horizontal then vertical; and
    with a ruling found, a single faint line across it too (a notebook's margin)."""
    out, across = _without_lines(ink, MIN_LINES)
    out, down = _without_lines(out.T, 1 if across else MIN_LINES)
    out = out.T
    if down >= MIN_LINES and not across:  # the notebook turned: its margin lies across
        out, _ = _without_lines(out, 1)
    return out


def without_lone_lines(ink: np.ndarray) -> np.ndarray:
    """``ink`` without a line or two far fainter than the writing (:data:`LONE`), across or down: a digit
    written on a notebook's line where the crop shows no ruling. (After the marks at the frame are gone:
    first, it broke a table's edge along a turned sheet into stubs apart from the frame, which stayed.)"""
    return _without_lines(_without_lines(ink, 1, LONE)[0].T, 1, LONE)[0].T


def _without_lines(ink: np.ndarray, least: int, fainter: float = FAINTER) -> tuple[np.ndarray, int]:
    """The horizontal lines taken out (see the module's text) where there are at least ``least``
    ``fainter`` than the writing, and how many."""
    h, w = ink.shape
    if h < 8 or w < 8 or not (ink > 0).any():
        return ink, 0
    # the tilt searched on a copy at most 200 px on its shorter side (0.2 s at 1024 px otherwise)
    f = max(1, -(-min(h, w) // 200))
    small = (ink[:h // f * f, :w // f * f] > 0).reshape(h // f, f, w // f, f).any(axis=(1, 3))
    # the tilt with the most lines, and of those the one whose lines lie most in one row each
    found = {angle: _lines(_sheared(small, _rows_of(*small.shape, angle)))
             for angle in np.arange(-MAX_TILT, MAX_TILT + 1e-9, TILT_STEP)}
    angle = max(found, key=lambda a: (len(found[a]), sum(peak for *_, peak in found[a])))
    if len(found[angle]) < least:
        return ink, 0
    rows = _rows_of(h, w, angle)
    sheared = _sheared(ink, rows)
    lines = _lines(sheared > 0, BAND * f)  # (the tilt found to within a step of the copy's rows)
    lines = [line for line in lines if line[1] - line[0] + 1 <= THICK * h + 2 * BAND * f]  # (a table's band: no print)
    # each line's own ink (the median over its length): brighter than that is a stroke on it
    levels = [float(np.median(sheared[top:bottom + 1].max(axis=0))) for top, bottom, _ in lines]
    strongest = float(np.percentile(ink[ink > 0], 99))
    faint = sum(level <= fainter * strongest for level in levels)
    if faint < least:
        return ink, 0  # lines as dark as the darkest marks: stripes, a barcode, a drawn grid; not a sheet's print
    for (top, bottom, _peak), line in zip(lines, levels):
        if line > fainter * strongest:
            continue
        band = sheared[top:bottom + 1]
        above = sheared[max(top - 1, 0)]
        below = sheared[min(bottom + 1, len(sheared) - 1)]
        bridged = np.broadcast_to(np.minimum(above, below), band.shape)  # a stroke as faint as the line, across it
        sheared[top:bottom + 1] = np.where(band > STROKE_OVER_LINE * line, band, bridged)
    out = ink.copy()
    valid = (rows >= 0) & (rows < h)
    columns = np.broadcast_to(np.arange(w), rows.shape)
    out[rows[valid], columns[valid]] = sheared[valid]
    return out, faint


def _rows_of(h: int, w: int, angle: float) -> np.ndarray:
    """``[R, w]``: the image row each sheared row passes through in each column (R covers every row)."""
    drift = np.round(np.arange(w) * np.tan(np.deg2rad(angle))).astype(np.int64)
    start = -int(drift.max(initial=0))
    return np.arange(start, h - int(drift.min(initial=0)))[:, None] + drift[None, :]


def _sheared(image: np.ndarray, rows: np.ndarray) -> np.ndarray:
    h, w = image.shape
    valid = (rows >= 0) & (rows < h)
    return np.where(valid, image[np.clip(rows, 0, h - 1), np.arange(w)[None, :]], 0).astype(image.dtype)


def _lines(mask: np.ndarray, band: int = BAND) -> list[tuple[int, int, float]]:
    """The row ranges (first, last, the share of the width its most inked row covers) of the sheared
    ``mask`` inked across FULL of the width, counting a column inked where the row or one within
    ``band`` of it is."""
    near = mask.copy()
    for d in range(1, band + 1):
        near[d:] |= mask[:-d]
        near[:-d] |= mask[d:]
    full = near.mean(axis=1) >= FULL
    own = mask.mean(axis=1)
    lines, start = [], None
    for r, on in enumerate(np.append(full, False)):
        if on and start is None:
            start = r
        elif not on and start is not None:
            lines.append((start, r - 1, float(own[start:r].max())))
            start = None
    return lines
