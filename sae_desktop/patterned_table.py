"""A sheet on a patterned table (a checked or striped tablecloth, tiles): the sheet alone is the input.

``sheet.py`` finds a sheet where the photo's frame is evenly of one tone, the table's. A checked
cloth's frame is of two or three tones, so the cloth was read with the sheet: its squares as marks,
the digit one mark among many ("several marks", "too faint", "unlike MNIST"). Here, on a copy at
most :data:`COPY_PX` wide: the pixels of one of the copy's common tones (brightest first; "common"
counted over :data:`TONE_BINS` of a histogram, as a sheet lit unevenly spreads its tone), less
whatever a disk :data:`OPEN` of the shorter side wide does not fit in (the cloth's squares of the
paper's tone, and strokes), their largest part, its holes filled, is grown: the paper's tone is taken
again as a plane fitted to what is of it, so that a sheet lit from one side (its tone 0.16-0.4 apart
across it) is found whole; then closed by a disk twice as wide (a digit written near the sheet's edge
cut a notch in it). It is the sheet if it is large, a rectangle (a glare spot is round), reaches at most one side
of the photo, holds marks, and what lies round it is busy with edges and spread over its tones (a
plain page round a form's box is neither; asked of the photo's frame first, most photos are done
with at once). The rows and columns mostly of it are cut out (the disk's edge reached into the
cloth's squares beside it), and what in them is not of it (a turned sheet's corners) takes its tone.
"""

from __future__ import annotations

import numpy as np

from sae_desktop.sheet import frame_pixels, largest_region

COPY_PX = 256  # the sheet is looked for on a copy this wide at most
TOL = 0.05  # the paper is the tones this near the sheet's (or 4 times the copy's noise)
PEAK = 0.05  # a tone tried as the paper's holds this share of the copy's pixels at least (a 64-bin histogram's,
TONE_BINS = 5  # counted over this many bins round it)
CLOSE = 2  # the sheet found is closed by a disk this many times the opening's wide (a digit written down to its
# edge cut a notch in it, the loop of an 8 or a 0 and what is inside)
GROW = 20  # the sheet's tone refitted as a plane this many times at most (while that finds more of it)
OPEN = 0.06  # the disk's radius: this share of the copy's shorter side (a cloth's squares are smaller)
MIN_AREA = 0.08  # the sheet is this share of the photo at least…
MAX_BOX = 0.85  # …its box under this share (a page that fills the photo has no table to take off)…
RECTANGLE = 0.88  # …fills this share of the box of its rows and columns mostly of it (_core)…
IN_CORE = 0.9  # …and this share of it lies in that box (a sheet turned by 5°: 0.93, by 10°: 0.86; a glare spot's
# ellipse 0.79; the box of the whole took a cloth's square or stripe of the paper's tone at its edge for the sheet's)
GROW_TOL = 0.5  # the sheet grown as a plane's tones within this share of the tolerance (the plane fits it closer
# than one tone: at the whole tolerance a stripe lit as the sheet's edge beside it joined it)
BUSY = 0.1  # this share of the table's pixels at least are edges, their 3×3 range 2 × TOL (a cloth 0.14-0.9;
# the plain page round a form's box, a whiteboard's frame, 0-0.23)…
SPREAD = 0.25  # …and its tones spread this far at least, 10th to 90th percentile (a cloth 0.29-0.74, tiles and wood
# 0.14-0.36; a page round a box, a whiteboard's frame, a glare spot's page, 0.02-0.17; a box's lines along the frame
# up to 0.44)
FRAME = 0.05  # the frame's band (share of the shorter side), mostly table, must be as spread as the table
EDGE_PX = 2  # the sheet reaches a side of the photo within this many of the copy's pixels (closed and opened,
# a mask loses its outermost ones)
MIN_CUT_PX = 16  # a cut narrower than this is no sheet (it cannot be, large and a rectangle: a guard)
COVER = 0.6  # the rows and columns cut out are of the sheet for this share of its widest at least


def sheet_on_patterned_table(a: np.ndarray) -> np.ndarray | None:
    """``a`` (grey, in [0, 1]) cut to the sheet lying on a patterned table (see the module's docstring),
    or None where it shows none."""
    from scipy import ndimage

    h, w = a.shape
    step = max(1, int(np.ceil(max(h, w) / COPY_PX)))
    rows, cols = h // step * step, w // step * step  # (the copy: means of step × step blocks)
    if min(rows, cols) < MIN_CUT_PX * step:  # (a strip: no sheet in it, and an empty copy, where an image is
        return None  # thinner than a block, raised an IndexError; reached as the frame reads as one tone)
    small = np.asarray(a[:rows, :cols], np.float32).reshape(rows // step, step, cols // step, step).mean(axis=(1, 3))
    smooth = ndimage.median_filter(small, 3)
    if np.subtract(*np.percentile(frame_pixels(smooth, FRAME), [90, 10])) < SPREAD:
        return None  # (the frame is no patterned table: most photos, at once)
    noise = 1.4826 * float(np.median(np.abs(small - smooth)))
    tol = max(TOL, 4 * noise)
    counts, edges = np.histogram(smooth, 64, (0.0, 1.0))
    counts = np.convolve(counts, np.ones(TONE_BINS), "same")
    peaks = [j for j in range(64) if counts[j] >= PEAK * smooth.size and counts[j] == counts[max(0, j - 2):j + 3].max()]
    radius = max(2, round(OPEN * min(smooth.shape)))
    edge = (ndimage.maximum_filter(smooth, 3) - ndimage.minimum_filter(smooth, 3)) > 2 * tol
    for j in sorted(peaks, reverse=True):
        tone = float(np.median(smooth[np.abs(smooth - (edges[j] + edges[j + 1]) / 2) <= tol]))
        level = np.float32(tone)  # the sheet's tone, or once grown its plane's at each pixel
        sheet = _paper(smooth, level, tol, radius)
        for _ in range(GROW if sheet is not None else 0):  # (lit unevenly: its tone a plane fitted to what is of it)
            fit = sheet & (np.abs(small - smooth) <= tol)  # (not the strokes, nor noise)
            plane = _plane(smooth, fit) if fit.sum() >= 3 else None
            grown = _paper(smooth, plane, GROW_TOL * tol, radius) if plane is not None else None
            if grown is None or grown.sum() <= sheet.sum() or not (grown & sheet).any():
                break
            sheet, level = grown, plane
        if sheet is None:
            continue
        rows, cols = np.flatnonzero(sheet.any(axis=1)), np.flatnonzero(sheet.any(axis=0))
        box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
        core = _core(sheet)  # (its rows and columns mostly of it: a cloth's square of its tone at its edge is not)
        sides = sum(int(at) for at in (core[0][0] <= EDGE_PX, core[1][0] <= EDGE_PX,
                                       core[0][-1] >= sheet.shape[0] - 1 - EDGE_PX,
                                       core[1][-1] >= sheet.shape[1] - 1 - EDGE_PX))  # (NumPy's bools added: "or")
        inside = ndimage.binary_erosion(sheet, np.ones((5, 5)))
        marks = inside & (np.abs(small - level) > tol)  # (from its plane: a lit sheet's far side is no mark)
        table = ~ndimage.binary_dilation(sheet, np.ones((5, 5)))
        if (sheet.mean() < MIN_AREA or box >= MAX_BOX * sheet.size or sides > 1
                or not _rectangle(sheet) or not marks.any() or not table.any() or edge[table].mean() < BUSY
                or np.subtract(*np.percentile(smooth[table], [90, 10])) < SPREAD):
            continue
        cut = _cut(a, sheet, step)
        return cut if min(cut.shape) >= MIN_CUT_PX else None
    return None


def _paper(smooth: np.ndarray, tone: np.ndarray, tol: float, radius: int) -> np.ndarray | None:
    """The largest part of what in ``smooth`` is within ``tol`` of ``tone`` (a tone, or one per pixel) that
    a disk of ``radius`` fits in, closed by one :data:`CLOSE` times as wide and its holes filled; None where
    there is none."""
    from scipy import ndimage

    paper = ndimage.binary_closing(np.abs(smooth - tone) <= tol, np.ones((3, 3)))
    labels, n = ndimage.label(_opened(paper, radius))
    return _closed(largest_region(labels), CLOSE * radius) if n else None


def _opened(mask: np.ndarray, radius: float) -> np.ndarray:
    """``mask`` opened by a disk of ``radius`` (what such a disk fits in), by distance transforms: as
    ``ndimage.binary_opening``'s, in a time that does not grow with the disk (on a 256-px copy 4 ms
    against its 20, and closing by the disk twice as wide 11 ms against 220: the sheet's growing calls
    both up to :data:`GROW` times)."""
    from scipy import ndimage

    inner = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1] > radius  # (beyond the sides: not of it)
    return ndimage.distance_transform_edt(~inner) <= radius if inner.any() else inner


def _closed(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` (not empty) closed by a disk of ``radius``, its holes filled; beyond the photo's sides taken
    as its pixels at them (a sheet running off one stays there; one clear of them is not drawn to them)."""
    from scipy import ndimage

    r = radius + 1
    grown = ndimage.distance_transform_edt(~np.pad(mask, r, mode="edge")) <= radius
    closed = ndimage.distance_transform_edt(grown) > radius if not grown.all() else grown
    return ndimage.binary_fill_holes(closed[r:-r, r:-r])


def _plane(smooth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The plane a + b·row + c·column fitted (least squares) to ``smooth`` where ``mask`` is, at every pixel."""
    ys, xs = np.nonzero(mask)
    (a, b, c), *_ = np.linalg.lstsq(np.stack([np.ones(len(ys)), ys, xs], axis=1), smooth[mask].astype(np.float64),
                                    rcond=None)
    yy, xx = np.mgrid[0:smooth.shape[0], 0:smooth.shape[1]]
    return (a + b * yy + c * xx).astype(np.float32)


def _rectangle(sheet: np.ndarray) -> bool:
    """Whether ``sheet`` (a mask) is a rectangle, but for a cloth's square or stripe of its tone at
    its edge: :data:`RECTANGLE` of the box of its rows and columns mostly of it is of it, and
    :data:`IN_CORE` of it lies in that box."""
    rows, cols = _core(sheet)
    core = sheet[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return core.mean() >= RECTANGLE and core.sum() >= IN_CORE * sheet.sum()


def _core(sheet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows and the columns that ``sheet`` covers for :data:`COVER` of its widest at least."""
    across, down = sheet.sum(axis=1), sheet.sum(axis=0)
    return np.flatnonzero(across >= COVER * across.max()), np.flatnonzero(down >= COVER * down.max())


def _cut(a: np.ndarray, sheet: np.ndarray, step: int) -> np.ndarray:
    """The rows and columns of ``a`` that ``sheet`` (its copy's mask, every ``step`` px) covers for
    :data:`COVER` of its widest at least, a copy's pixel in; what in them is not of it, of the sheet's
    tone nearest it."""
    from scipy import ndimage

    rows, cols = _core(sheet)
    box = (slice((rows[0] + 1) * step, rows[-1] * step), slice((cols[0] + 1) * step, cols[-1] * step))
    cut = np.array(a[box], np.float32)
    inside = ndimage.binary_erosion(sheet, np.ones((3, 3)))
    inside = np.repeat(np.repeat(inside, step, axis=0), step, axis=1)[: a.shape[0], : a.shape[1]][box]
    if inside.any() and not inside.all():  # (of its nearest paper's tone, smoothed: one tone drew a step across
        nearest = ndimage.distance_transform_edt(~inside, return_distances=False, return_indices=True)  # a sheet
        cut = np.where(inside, cut, ndimage.uniform_filter(cut, 2 * step + 1)[nearest[0], nearest[1]])  # lit unevenly)
    return cut.astype(np.float32)
