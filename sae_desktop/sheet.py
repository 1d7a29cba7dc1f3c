"""The sheet in a photo that shows what lies beyond it: which tone is the paper's, and where it is.

A digit cropped tight can be more ink than paper, so where an image's outer frame is evenly of
one extreme tone, that tone is the paper's (``images.ink_on_black``). Unless what is not of that
tone is a sheet: then the frame is a table around it, and the paper's tone is the sheet's. A
sheet that holds the digit's strokes, marks far narrower than itself, and is compact and convex
as a sheet is (:func:`holds_strokes`: a note on a desk, a grey sheet on a white one; a bold 0's
loop holds a round hole, an 8's filled loops are not convex), is then the input alone, cut out of
the photo wherever all of it is in it (:func:`the_sheet`). Else a sheet is solid where strokes
are not: a square wide for the image fits in it once the strokes crossing it are closed over
(:func:`fits_square`), and the table is taken off with the paper's fit (paper.py).
"""

from __future__ import annotations

import numpy as np

CROP_PX = 32  # an image no longer than this is a digit's crop (a dataset's 16-32 px), no photo of a page: its paper
# is its frame's (a bold 0 filling a 16-px image read as its hole on black, a bold 5 in 20 px as a sheet on a white
# desk, a 9 "too faint", its noise 25 %); a 40-px thumbnail of a photo is still one (its light may be uneven)
BAND_EVEN, BAND_PX = 0.8, 3  # a crop's outer rings this share of one tone, this many at most, are a band along its
# frame where the ring inside them is as much of the other (paper_ring)
FRAME = 0.03  # the outer frame whose tone may be the paper's (share of the shorter side)
EVEN = 0.1  # …when that tone is within this share of the image's range from an end of it…
EVEN_SHARE = 0.5  # …and at least this share of the frame is within as much of that tone,
SOLID = 0.4  # …and no square this share of the shorter side wide fits in the rest (wider than any pen stroke)
THIN = 0.03  # gaps narrower than this share of the longer side (strokes crossing the sheet) do not break a square
SMALL_SHEET = 0.2  # a sheet holding strokes is one from this share of the shorter side (a square fits)…
COMPACT = 4.3  # …compact: area over width² at most this, its edge softened (a square's is 3.9 here, turned 12°
# too, a sheet of A4's 4.1; a digit's strokes, their loops filled, measured 3.4-20 at 280 px: a filled 0 is as
# compact, and holds a hole, not a stroke; a filled 8, 3.9-4.3, is less convex)…
CONVEX = 0.95  # …convex: this share of its hull at least (a sheet, turned 12°: 0.96-0.97; filled 8s 0.93-0.95)…
NARROWER = 4  # …the digit on it a stroke this many times narrower than the sheet (its width: a square's half)…
STROKE_LIKE = 6  # …longer than wide: area over width² at least this (a round hole's is π; background.ELONGATED)…
DIGIT_SHARE = 0.05  # …the marks' box this share of the sheet's at least (a slit in a bold 0 is a sliver of it)
SPREAD = 3  # marks on the sheet are EVEN of the range or this many of its tones' quartile spans from its median
SHAPE_PX = 256  # the sheet's shape is measured on a copy this wide at most
MARKS, BESIDE, EDGE_PX = 0.002, 0.25, 3  # marks_beside: their share of the image at least; as much on the solid
# region at most, this share of them; its edge (blurred, of neither tone) this many px wide
DENOISE = 0.005  # the table (and the sheet's shape) is what is of its tones over most of a square this share of
# the image's longer side wide (5 px in 1024; none below 300 px: a bold 8 in 28 px became a blob, a sheet)


def frame_paper_tone(a: np.ndarray, darkest: float, brightest: float) -> tuple[float, np.ndarray | None] | None:
    """The paper's tone as the image's outer frame (:data:`FRAME` of its shorter side) tells it,
    when most of the frame is of one even tone at an end of the image's range (see :data:`EVEN`):
    that tone, as the paper around a digit cropped tight is, or where the rest is a sheet, the
    rest's, with the table around it (a mask); else None (a photo's frame is shaded, vignetted, or
    of the paper's mid tone, and the whole image's median says more)."""
    h, w = a.shape
    frame = frame_pixels(a)
    span = brightest - darkest
    tone = float(np.median(frame))
    at_an_end = min(abs(tone - darkest), abs(brightest - tone)) <= EVEN * span
    even = np.mean(np.abs(frame - tone) <= EVEN * span) >= EVEN_SHARE  # (the digit may touch the frame)
    if not (at_an_end and even):
        return None
    # (the whole image's median was the table's where the table was more than half the photo: the
    # sheet read as ink, "too faint", or the image as blank)
    from scipy import ndimage

    away = np.abs(a - tone)
    sheet = away > EVEN * span
    core = ndimage.minimum_filter(sheet, 5)  # (its tone away from its edges: a stroke's grey rim is no paper)
    tones = a[core if core.any() else sheet]
    paper = float(np.median(tones))
    # marks on it: what is not of its tones, on either side (dark ink on a grey sheet on a white desk; a pencil's
    # grey between a white sheet and a black desk), where its light falling off across it is of its tones
    quartiles = np.percentile(tones, [25, 75])
    sheets_tones = sheet & (np.abs(a - paper) <= max(EVEN * span, SPREAD * float(quartiles[1] - quartiles[0])))
    small, step = _closed(sheet)
    if holds_strokes(small, sheets_tones, step, SMALL_SHEET * min(h, w)):  # (the sheet alone is then the input)
        return paper, _table(~sheet)
    if fits_square(small, SOLID * min(h, w) / step):  # (a bold digit cropped tight can be this solid: its
        # paper is taken off with the paper's fit, never cut away), unless the marks lie beside the solid region
        return (tone if marks_beside(a, sheet, sheets_tones, tone - paper, SOLID * min(h, w)) else paper), None
    return tone, None


def marks_beside(a: np.ndarray, other: np.ndarray, its_tones: np.ndarray, towards_frame: float, side: float) -> bool:
    """Whether the marks in ``a`` are beside the solid region of ``other`` (what is not of the frame's tone; solid: a
    square ``side`` px wide fits in it) and not on it: then that region is a shadow or a table along the sheet, and
    the frame's tone the paper's (a 6 beside a hard shadow over the page's left third read the shadow as the paper,
    the white paper as ink: "too faint to tell from the light"). Marks: the parts of ``other`` apart from the solid
    region, :data:`MARKS` of the image at least; on it: its pixels, a few in from its edge, not of ``its_tones`` and
    on their far side from the frame's tone (``towards_frame``: the frame's tone less theirs; a shadow's soft edge
    lies between the two, a digit on a grey sheet beyond it), no more than :data:`BESIDE` of those beside it (a pen on
    the desk beside a grey sheet that reaches the frame is no match for the digit on the sheet)."""
    from scipy import ndimage

    labels, _ = ndimage.label(other, structure=np.ones((3, 3)))
    n = max(1, int(np.ceil(side)))
    table = np.pad(other.astype(np.int32).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    counts = table[n:, n:] - table[:-n, n:] - table[n:, :-n] + table[:-n, :-n]
    corners = np.nonzero(counts == n * n)
    solid = np.isin(labels, np.unique(labels[corners]))
    if not solid.any():  # a square fits only its copy with the gaps closed: no solid region, but strokes (a bold
        return True  # digit cut tight, read as its negative 34 times in 1571 test images): the frame is the paper
    beside = np.count_nonzero(other & ~solid)
    far = (a - np.median(a[solid])) * towards_frame < 0
    on = np.count_nonzero(ndimage.binary_erosion(solid, iterations=EDGE_PX) & ~its_tones & far)
    return beside >= MARKS * other.size and on <= BESIDE * beside


def frame_pixels(a: np.ndarray, share: float = FRAME) -> np.ndarray:
    """The pixels of the image's outer frame, ``share`` of its shorter side wide (one at least)."""
    return np.concatenate([_ring(a, depth) for depth in range(max(1, round(share * min(a.shape))))])


def is_crop(a: np.ndarray) -> bool:
    """Whether the image is too small to be a photo of a page (:data:`CROP_PX`): a digit's crop."""
    return max(a.shape) <= CROP_PX


def paper_ring(a: np.ndarray) -> np.ndarray:
    """A crop's paper (:func:`is_crop`), as a ring of its pixels: its outermost, or where that ring (and up to
    :data:`BAND_PX` in all) is a band of one tone and the ring inside it of the other (each :data:`BAND_EVEN`
    on its side of the range's middle), that ring: the band is a line along the frame, a form's box cut at its
    edges (taken for the paper, it read the paper as ink: "typical", the input a negative). (A margin of paper
    before the digit is no such band: no ring through a digit is of its ink all round.)"""
    middle = (float(a.min()) + float(a.max())) / 2
    outer = _ring(a, 0)
    side = np.median(outer) > middle
    for depth in range(1, BAND_PX + 1):
        inner = _ring(a, depth)
        if np.mean((_ring(a, depth - 1) > middle) == side) < BAND_EVEN or inner.size < 4:
            break  # (no band: a digit touching the frame, its paper all around it)
        if np.mean((inner > middle) != side) >= BAND_EVEN:
            return inner
    return outer


def _ring(a: np.ndarray, depth: int) -> np.ndarray:
    """The pixels ``depth`` px in from the image's edge, all round (none where the image is not that large)."""
    inner = a[depth:a.shape[0] - depth, depth:a.shape[1] - depth]
    if min(inner.shape, default=0) <= 2:
        return inner.ravel()
    return np.concatenate([inner[0], inner[-1], inner[1:-1, 0], inner[1:-1, -1]])


def crop_paper(ink: np.ndarray) -> tuple[float, float]:
    """A crop's paper (:func:`is_crop`), its ink already the brighter: the median tone of its paper ring's
    (:func:`paper_ring`) pixels on the paper's side of the range (the digit may touch the frame), and their
    spread (noise). No paper is fitted: the light is even across a crop, and in 16 px a bold digit is half
    the picture (the fit rose into it, and a 9 read "too faint", its noise 25 %)."""
    ring = paper_ring(ink)
    paper_side = ring[ring <= (ring.min() + ink.max()) / 2]
    paper = float(np.median(paper_side))
    return paper, 1.4826 * float(np.median(np.abs(paper_side - paper)))


def the_sheet(a: np.ndarray, table: np.ndarray) -> np.ndarray | None:
    """The box of what is not ``table``, where the sheet lies wholly inside the photo (the table on every
    side); the table left in it (a turned sheet's corners) of the sheet's tone nearest it, smoothed (the
    paper's median there drew the edges of a sheet lit from one side). None where the sheet reaches the
    frame: the paper's fit takes off the table that shows there (paper.py)."""
    from scipy import ndimage

    rows, cols = np.flatnonzero(~table.all(axis=1)), np.flatnonzero(~table.all(axis=0))
    if rows.size == 0 or rows[0] == 0 or cols[0] == 0 or rows[-1] == a.shape[0] - 1 or cols[-1] == a.shape[1] - 1:
        return None
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    out, corners = a[box], table[box]
    if corners.any():
        nearest = ndimage.distance_transform_edt(corners, return_distances=False, return_indices=True)
        out = np.where(corners, ndimage.uniform_filter(out, _denoise(a))[nearest[0], nearest[1]], out)
    return out.astype(np.float32)


def _table(other: np.ndarray) -> np.ndarray:
    """What of ``other`` (the pixels not of the sheet's tones) is the table: its parts (most of each
    :data:`DENOISE` square) that reach the frame and are somewhere wider than :data:`THIN`, whole
    (a strip between the sheet's edge and the frame, narrower, with them; the digit's strokes on the
    sheet, of the table's tones, are apart from it)."""
    from scipy import ndimage

    from sae_desktop.background import labels_at_frame

    other = ndimage.uniform_filter(other.astype(np.float32), _denoise(other)) > 0.5  # (a noisy table's pixels of the
    gap = 2 * round(THIN * max(other.shape) / 2) + 1  # sheet's tones, one in a few hundred, broke it up)
    wide = ndimage.maximum_filter(ndimage.minimum_filter(other, gap, mode="nearest"), gap, mode="nearest")
    labels, n = ndimage.label(other)
    keep, at_frame = np.zeros(n + 1, bool), np.zeros(n + 1, bool)
    keep[np.unique(labels[wide & other])] = True
    at_frame[labels_at_frame(labels)] = True
    keep &= at_frame
    keep[0] = False
    # …and a rim a quarter of that wider: the sheet's edge, blurred or resampled, is of neither's tone (left as a
    # line along the frame of a sheet cut from a photo read at half its size)
    return ndimage.maximum_filter(keep[labels], 2 * (gap // 8) + 1)


def _denoise(image: np.ndarray) -> int:
    """The side of :data:`DENOISE`'s square for this image, in px (odd; 1: none)."""
    return 2 * int(DENOISE * max(image.shape) / 2) + 1


def _closed(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """A copy of ``mask`` at most :data:`SHAPE_PX` wide (at 128 px a turned sheet's jagged edge made it
    as little convex as a filled 8) with gaps narrower than :data:`THIN` closed (the digit's strokes
    cross the sheet of a photo whose frame is the table: the sheet is still solid), and its step."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    step = max(1, int(np.ceil(max(mask.shape) / SHAPE_PX)))
    mask = ndimage.uniform_filter(mask.astype(np.float32), _denoise(mask)) > 0.5  # (a noisy table's specks of the
    small = mask[::step, ::step]  # sheet's tones, closed onto its edge, made a sheet less convex than an 8)
    gap = 2 * round(THIN * max(small.shape) / 2) + 1
    if gap > 1:
        small = ndimage.minimum_filter(ndimage.maximum_filter(small, gap, mode="nearest"), gap, mode="nearest")
    return small, step


def fits_square(mask: np.ndarray, side: float) -> bool:
    """Whether a square ``side`` px wide fits inside ``mask`` somewhere."""
    n = max(1, int(np.ceil(side)))
    if n > min(mask.shape):
        return False
    table = np.pad(mask.astype(np.int32).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    counts = table[n:, n:] - table[:-n, n:] - table[n:, :-n] + table[:-n, :-n]
    return bool((counts == n * n).any())


def holds_strokes(closed: np.ndarray, mask: np.ndarray, step: int, side: float) -> bool:
    """Whether ``closed`` (a copy of ``mask`` every ``step`` px, gaps closed), its holes filled, has
    a part that is a sheet: it fits a square ``side`` px wide (in ``mask``'s px), is compact
    (:data:`COMPACT`: a digit's strokes, their loops filled, are longer than wide) and convex
    (:data:`CONVEX`), and the marks inside it (not in ``mask``; a copy's pixel in from its edge) are
    the digit: the largest a stroke, longer than wide (:data:`STROKE_LIKE`) and :data:`NARROWER`
    times narrower than the sheet, and their box :data:`DIGIT_SHARE` of the sheet's at least."""
    from scipy import ndimage

    from sae_desktop.background import ink_box, stroke_width_px

    labels, n = ndimage.label(ndimage.binary_fill_holes(closed))
    if n == 0:
        return False
    sheet = largest_region(labels)
    soft = ndimage.gaussian_filter(sheet.astype(np.float32), 1.0)  # (a turned sheet's jagged edge is no outline)
    if not fits_square(sheet, side / step) or soft.sum() > COMPACT * stroke_width_px(soft) ** 2:
        return False
    if sheet.sum() < CONVEX * _hull_area(sheet):
        return False
    inside = ndimage.binary_erosion(sheet, np.ones((3, 3)))  # (the edge, a step wide: no mark's)
    inside = np.repeat(np.repeat(inside, step, axis=0), step, axis=1)[: mask.shape[0], : mask.shape[1]]
    marks = inside & ~mask
    labels, n = ndimage.label(marks, structure=np.ones((3, 3)))
    if n == 0:
        return False
    largest = largest_region(labels)  # (a bold 0's hole, not its rim's
    width = stroke_width_px(largest)  # grey specks; a pencil's strokes can be in pieces: their box is all's)
    return bool(largest.sum() >= STROKE_LIKE * width * width and NARROWER * width <= step * stroke_width_px(sheet)
                and _box_area(ink_box(marks)) >= DIGIT_SHARE * _box_area(ink_box(inside)))


def largest_region(labels: np.ndarray) -> np.ndarray:
    """The largest of ``labels``' regions (``ndimage.label``'s, at least one), as a mask."""
    return labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))


def _hull_area(mask: np.ndarray) -> float:
    """The area of the convex hull of ``mask``'s pixels (their corners; its edge's alone decide), in pixels."""
    from scipy import ndimage
    from scipy.spatial import ConvexHull, QhullError

    ys, xs = np.nonzero(mask & ~ndimage.binary_erosion(mask))
    corners = np.concatenate([np.stack([ys + dy, xs + dx], axis=1) for dy in (0, 1) for dx in (0, 1)])
    try:
        return float(ConvexHull(corners).volume)
    except (QhullError, ValueError):  # (all in a line, or too few: no area)
        return float(mask.sum())


def _box_area(box: tuple[int, int, int, int] | None) -> int:
    return 0 if box is None else (box[1] - box[0] + 1) * (box[3] - box[2] + 1)
