"""What in a photo is neither paper nor ink: the table around the sheet, a shadow across it.

The paper fit (``paper.paper_surface``) is one smooth surface: it flattens light that
falls off across the sheet, but a phone photo also shows what lies beyond the sheet's edge
(a table, darker than the paper) and hard-edged shadows (the phone's, the hand's). Seen ink
bright, both are regions brighter than the paper, and both read as ink: the digit came out
"unlike MNIST", or lost under a noise estimate inflated by the step the surface could not follow.

Both reach the image's frame, and both are wider than any of the digit's strokes. So, where ink
that does not touch the frame shows how wide the strokes are, the ink that touches the frame is
opened (a square :data:`WIDER` times the strokes' width, and at least :data:`MIN_SIDE` of the
image: strokes and ruled lines vanish, wider regions stay; the frame mirrors the image, so a band
the frame cuts along its length counts twice as wide). Those regions are left out of the
paper's fit and its noise, and their own level is taken off (a grey opening: strokes on a
shadow keep their height above it); inside them, ink must stand above their own noise (a wooden
table's grain is no ink). Where all ink touches the frame (a digit cropped tight, or written down
to the sheet's edge or into a shadow), the strokes' width is told by their middles well away from
the frame, and only regions as wide as the square without the frame mirrored are taken off (a
table is; a bold digit's bar along its tight crop is not); with no ink away from the frame,
nothing is taken off: then no region is known to be no stroke.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_desktop.ruling import without_ruling

WIDER = 2.5  # a region this many times wider than the strokes (square side / mean width) is no stroke
MIN_SIDE = 0.03  # …and at least this share of the image's shorter side wide (ruled lines, strokes crossing them)
MIN_MARK, MIN_MARK_PIXELS = 0.01, 6  # ink off the frame tells the strokes' width if a mark has this share of the ink
MIN_SHARE = 0.01  # regions smaller than this share of the image are left as they are (a smudge)
OUTRANKS = 0.25  # a stroke off the frame is the digit before a region at it up to 4 times its size, and a mark a
# quarter as bright as the one of the most ink is no digit where the paper has noise (without_frame_marks)
ELONGATED = 6  # a mark this many times longer than wide is a stroke (area over width²; a dot's is ~4)
FRAME_BAND = 0.25  # where all ink reaches the frame: the ink this share of the shorter side in from it tells
# the strokes' width (a table around the sheet is 5-20 % wide in a phone photo), if at least
MIN_WIDTH = 2.0  # px
# A box's corner, cut at the frame (a form's field cropped so that two of its sides show): a mark at the frame
# spanning this share of the image each way, with OUTLINE_EDGE of its pixels or more along its own box's sides
# (within OUTLINE_BAND of its shorter side), is an outline, no candidate for the digit (its lines outnumbered a
# pencil 2's pixels inside it, and it stayed: "unlike MNIST"); a 7 whose bar runs off the frame is not one
OUTLINE_SPAN, OUTLINE_EDGE, OUTLINE_BAND = 0.5, 0.9, 0.08


@dataclass(frozen=True)
class OffPaper:
    region: np.ndarray  # bool, the image's shape: not the paper
    side: int  # px: the square that told it from strokes


def stroke_width_px(ink: np.ndarray) -> float:
    """Mean width in px of the strokes in an image (or a boolean mask): the ink's area over half
    its outline's length (both soft: the sum of the ink, its gradient's length; padded by two
    pixels, so the outline includes the image's edges, counted once: with one, the pad's outer
    pixel took a one-sided difference, and ink along the edge counted 1.5 times); NaN without ink."""
    image = np.asarray(ink)
    image = image.astype(np.float32) if image.dtype == bool else image
    gy, gx = np.gradient(np.pad(image, 2))
    outline = float(np.hypot(gy, gx).sum())  # the gradient's length: the same in every direction
    return 2.0 * float(image.sum()) / outline if outline > 0 else float("nan")


def ink_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), inclusive, of all non-zero pixels; None if there are none."""
    rows = np.flatnonzero(image.max(axis=1) > 0)
    if rows.size == 0:
        return None
    cols = np.flatnonzero(image.max(axis=0) > 0)
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def labels_at_frame(labels: np.ndarray) -> np.ndarray:
    """The labels (``ndimage.label``'s) of the regions that reach the image's frame, 0 included if it does."""
    return np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))


def off_paper(residual: np.ndarray, floor: float) -> OffPaper | None:
    """The regions of ``residual`` (the image less the paper's surface; ink above ``floor``)
    that are not the paper, or None where there are none (see the module's text)."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    ink = residual > floor
    # a ruled or squared sheet's lines are no region's, and no measure of the strokes' width: all
    # through the grid, every mark reached the frame, the strokes measured as thin as the lines, and
    # a bold digit's strokes were taken off as a shadow (a JPEG's grid, ruling.py's lines found)
    ruled = without_ruling(np.where(ink, residual, 0.0)) > 0
    if ruled.sum() < ink.sum():
        ink = ruled
    labels, n = ndimage.label(ink, structure=np.ones((3, 3)))
    if n == 0:
        return None
    edge = labels_at_frame(labels)
    touching = np.isin(labels, edge[edge > 0])
    area = np.bincount(labels.ravel())
    sizable = area >= max(MIN_MARK * ink.sum(), MIN_MARK_PIXELS)  # (noise specks, dust: no stroke's width)
    sizable[0] = False
    marks = sizable.copy()
    marks[edge] = False
    # …and strokes off the frame, sizable among the marks off it (against all the ink, a desk around the
    # sheet over 70 % of the photo made a 5 a speck, and the desk stayed); a dot is no stroke (a marker's
    # dot beside its strokes at the frame measured them as narrow as itself)
    small = np.flatnonzero((area >= max(MIN_MARK * (ink & ~touching).sum(), MIN_MARK_PIXELS)) & ~marks)
    boxes = ndimage.find_objects(labels) if len(small) else []
    for label in small[(small > 0) & ~np.isin(small, edge)]:
        piece = labels[boxes[label - 1]] == label
        width = stroke_width_px(piece)
        marks[label] = area[label] >= ELONGATED * width * width
    inside = marks[labels]
    all_at_frame = not inside.any()  # (a digit written up to the sheet's edge, the table or a shadow
    # beyond it): the strokes' width from the marks' ink away from the frame
    width = _width_away_from_frame(sizable[labels]) if all_at_frame else stroke_width_px(inside)
    if not touching.any() or not np.isfinite(width):
        return None
    side = int(np.ceil(max(WIDER * width, MIN_SIDE * min(residual.shape))))
    if side >= min(residual.shape):
        return None
    # (min and max filters over a square are separable: fast whatever its side, unlike a binary
    # opening with a square structure, 8 s on a 1000² photo)
    if all_at_frame:  # as wide as the square without the frame mirrored (a bold digit cropped tight, its
        # bar along the frame, read as a band twice its width; its strokes meet at the frame, where it is wide)
        wide = ndimage.maximum_filter(ndimage.minimum_filter(touching, size=side, mode="constant"), size=side)
    else:
        wide = ndimage.maximum_filter(ndimage.minimum_filter(touching, size=side), size=side)
    if wide.sum() < MIN_SHARE * residual.size:
        return None
    return OffPaper(ndimage.maximum_filter(wide, size=2 * max(1, side // 4) + 1) & touching, side)


def _width_away_from_frame(ink: np.ndarray) -> float:
    """The strokes' width (px) along their middles more than :data:`FRAME_BAND` of the image's
    shorter side in from its frame (twice the distance from there to the paper, the frame not
    counting as paper; the ink cut out there measured by its area and outline took the cut for
    outline: the ends of a bold 0 cropped tight measured 1.7 px wide); NaN with no ink there, or
    where it measures under :data:`MIN_WIDTH`."""
    from scipy import ndimage

    band = int(np.ceil(FRAME_BAND * min(ink.shape)))
    distance = ndimage.distance_transform_edt(np.pad(ink, 1, constant_values=True))[1:-1, 1:-1]
    middle = (distance > 0) & (distance >= ndimage.maximum_filter(distance, size=3))
    middle = middle[band:-band, band:-band]
    width = 2.0 * float(np.median(distance[band:-band, band:-band][middle])) - 1.0 if middle.any() else 0.0
    # (narrower: the grain of a noisy region's speckled edge, not strokes; the paper's light, not
    # fitted, once read so in a tight crop, and a quarter of it was taken off with a 3's stroke)
    return width if middle.sum() >= MIN_MARK_PIXELS and width >= MIN_WIDTH else float("nan")


def take_off(residual: np.ndarray, found: OffPaper, floor: float, sigmas: float) -> np.ndarray:
    """``residual`` with the region's own level taken off, and shifted there so that only what
    stands ``sigmas`` of the region's own noise above its level exceeds ``floor``."""
    from scipy import ndimage

    region = found.region
    level = ndimage.grey_opening(np.where(region, residual, np.minimum(residual, 0.0)), size=found.side)
    rest = residual[region] - level[region]
    centre = float(np.median(rest))
    noise = 1.4826 * float(np.median(np.abs(rest - centre)))
    out = residual.copy()
    out[region] = rest - max(centre + sigmas * noise - floor, 0.0)
    return out


def without_frame_marks(ink: np.ndarray, noisy: bool = False) -> np.ndarray:
    """``ink`` (a photo's, levelled) without the marks that reach the frame apart from its
    largest mark, where that one does not reach it: what a tilted sheet leaves of the table in the
    corners (wedges narrower than :func:`off_paper`'s square), the sheet's edge, a neighbour's
    writing. Where the largest mark reaches the frame (a digit cropped tight, or written off the
    edge), all stays. The largest: of the most pixels, where the paper has noise (``noisy``) among the
    marks at least :data:`OUTRANKS` as bright on average as the one of the most ink (a light desk's wedge
    beside a turned sheet, barely above the paper's noise, was speckle ten times the digit's area, and
    stayed: a bar beside a 9; by their ink, a form's box lines as dark as the digit outranked it)."""
    from scipy import ndimage

    labels, n = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if n < 2:
        return ink
    edge = np.zeros(n + 1, bool)
    edge[labels_at_frame(labels)] = True
    edge[0] = False
    if not edge.any():
        return ink
    size = ndimage.sum_labels(np.ones_like(ink), labels, index=np.arange(n + 1))
    size[0] = 0
    if noisy:
        mass = ndimage.sum_labels(ink, labels, index=np.arange(n + 1))
        brightness = mass / np.maximum(size, 1)
        size[brightness < OUTRANKS * brightness[int(np.argmax(mass))]] = 0
    regions = np.union1d(_regions(labels, edge), _outlines(labels, edge, size)).astype(int)
    strokes = size.copy()
    strokes[regions] = 0  # (no stroke: the digit is not one of them, unless the rest is next to nothing beside
    largest = int(np.argmax(strokes))  # them: a shadow's edge across a blank sheet, and a fleck of it)
    if regions.size and strokes[largest] < OUTRANKS * size[regions].max():
        largest = int(np.argmax(size))
    if edge[largest]:
        return ink
    return np.where(edge[labels], 0.0, ink).astype(ink.dtype)


def _outlines(labels: np.ndarray, edge: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The labels of the marks at the frame (``edge``) that are outlines: see :data:`OUTLINE_SPAN`."""
    from scipy import ndimage

    h, w = labels.shape
    found = []
    for label, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None or not edge[label] or size[label] == 0:
            continue
        rows, cols = box[0].stop - box[0].start, box[1].stop - box[1].start
        if rows < OUTLINE_SPAN * h or cols < OUTLINE_SPAN * w:
            continue
        band = max(2, round(OUTLINE_BAND * min(rows, cols)))
        ys, xs = np.nonzero(labels[box] == label)
        sides = (ys < band) | (ys >= rows - band) | (xs < band) | (xs >= cols - band)
        if sides.mean() >= OUTLINE_EDGE:
            found.append(label)
    return np.array(found, int)


def _regions(labels: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """The labels of the marks at the frame (``edge``, by label) that hold a square :data:`WIDER` times the
    width of the strokes off the frame: regions, no strokes (a dark table's corner beside a turned sheet,
    under :data:`MIN_SHARE` of the photo, had more ink than a pencil 7 and was taken for the digit, cut
    at the frame: it stayed, and the 7 was a dot in the model's input)."""
    from scipy import ndimage

    width = stroke_width_px((labels > 0) & ~edge[labels])
    if not np.isfinite(width):
        return np.zeros(0, int)
    side = int(np.ceil(WIDER * width))
    wide = ndimage.minimum_filter(edge[labels], size=side, mode="nearest")
    return np.unique(labels[wide])
