"""A sheet on a patterned table (a checked or striped tablecloth, tiles): the sheet alone is the input.

``sheet.py`` finds a sheet where the photo's frame is evenly of one tone, the table's. A checked
cloth's frame is of two or three tones, so the cloth was read with the sheet: its squares as marks,
the digit one mark among many ("several marks", "too faint", "unlike MNIST"). Here, on a copy at
most :data:`COPY_PX` wide: the pixels of one of the copy's common tones (brightest first), less
whatever a disk :data:`OPEN` of the shorter side wide does not fit in (the cloth's squares of the
paper's tone, and strokes), their largest part, its holes filled, is the sheet if it is large, a
rectangle (a glare spot is round), reaches at most one side of the photo, holds marks, and what lies
round it is busy with edges and spread over its tones (a plain page round a form's box is neither; asked
of the photo's frame first, most photos are done with at once). The rows and columns mostly of
it are cut out (the disk's edge reached into the cloth's squares beside it), and what in them is
not of it (a turned sheet's corners) takes its tone.
"""

from __future__ import annotations

import numpy as np

from sae_desktop.sheet import frame_pixels, largest_region

COPY_PX = 256  # the sheet is looked for on a copy this wide at most
TOL = 0.05  # the paper is the tones this near the sheet's (or 4 times the copy's noise)
PEAK = 0.05  # a tone tried as the paper's holds this share of the copy's pixels at least (a 64-bin histogram's)
OPEN = 0.06  # the disk's radius: this share of the copy's shorter side (a cloth's squares are smaller)
MIN_AREA = 0.08  # the sheet is this share of the photo at least…
MAX_BOX = 0.85  # …its box under this share (a page that fills the photo has no table to take off)…
RECTANGLE = 0.88  # …and fills this share of its box (a turned sheet 0.89-0.99; a glare spot's ellipse 0.6-0.85)
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
    small = np.asarray(a[:rows, :cols], np.float32).reshape(rows // step, step, cols // step, step).mean(axis=(1, 3))
    smooth = ndimage.median_filter(small, 3)
    if np.subtract(*np.percentile(frame_pixels(smooth, FRAME), [90, 10])) < SPREAD:
        return None  # (the frame is no patterned table: most photos, at once)
    noise = 1.4826 * float(np.median(np.abs(small - smooth)))
    tol = max(TOL, 4 * noise)
    counts, edges = np.histogram(smooth, 64, (0.0, 1.0))
    peaks = [j for j in range(64) if counts[j] >= PEAK * smooth.size and counts[j] == counts[max(0, j - 2):j + 3].max()]
    radius = max(2, round(OPEN * min(smooth.shape)))
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disk = x * x + y * y <= radius * radius
    edge = (ndimage.maximum_filter(smooth, 3) - ndimage.minimum_filter(smooth, 3)) > 2 * tol
    for j in sorted(peaks, reverse=True):
        tone = float(np.median(smooth[np.abs(smooth - (edges[j] + edges[j + 1]) / 2) <= tol]))
        paper = ndimage.binary_closing(np.abs(smooth - tone) <= tol, np.ones((3, 3)))
        labels, n = ndimage.label(ndimage.binary_opening(paper, disk))
        if n == 0:
            continue
        sheet = ndimage.binary_fill_holes(largest_region(labels))
        rows, cols = np.flatnonzero(sheet.any(axis=1)), np.flatnonzero(sheet.any(axis=0))
        box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
        core = _core(sheet)  # (its rows and columns mostly of it: a cloth's square of its tone at its edge is not)
        sides = sum(int(at) for at in (core[0][0] <= EDGE_PX, core[1][0] <= EDGE_PX,
                                       core[0][-1] >= sheet.shape[0] - 1 - EDGE_PX,
                                       core[1][-1] >= sheet.shape[1] - 1 - EDGE_PX))  # (NumPy's bools added: "or")
        inside = ndimage.binary_erosion(sheet, np.ones((5, 5)))
        marks = inside & (np.abs(small - tone) > tol)
        table = ~ndimage.binary_dilation(sheet, np.ones((5, 5)))
        if (sheet.mean() < MIN_AREA or box >= MAX_BOX * sheet.size or sides > 1
                or sheet.sum() < RECTANGLE * box or not marks.any() or not table.any() or edge[table].mean() < BUSY
                or np.subtract(*np.percentile(smooth[table], [90, 10])) < SPREAD):
            continue
        cut = _cut(a, sheet, step)
        return cut if min(cut.shape) >= MIN_CUT_PX else None
    return None


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
