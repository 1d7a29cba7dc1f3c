"""A small digit in a large image, read again at the file's own resolution around its ink.

A file is read shrunk to :data:`images.WORK_SIZE` (the model sees 20 px anyway). A digit small
in a large image lost its strokes to that: a 28-px test digit in a 1500-px page read "Too small:
the ink spans 10 px" (20 in the file), a far phone shot of a pencil 3 (its 3-px strokes averaged
over 4 px) came out faint. Where the ink read is small and the file was shrunk, the window round
it (:data:`MARGIN` times its size on each side, as the ink's share of a picture tells a dot from
a digit) is read again from the file, whole or shrunk less.
"""

from __future__ import annotations

import numpy as np

SMALL_PX = 40  # the ink's box (longer side, in the image as read) under this is read again…
LEAST_SCALE = 1.5  # …where the file was shrunk (by a whole factor: 2 at least, 1025 px read as 513)
MARGIN = 3.0  # the window: the box and this many times its longer side on each side (a dot stays a dot)
INK = 0.5  # the ink's box: of pixels at least this share of the way from the paper's level to the brightest
# (from 0, a noisy page's paper at 0.29 of a 0.63 brightest filled the whole image: no window, beaded strokes)
AGREE = 0.5  # the ink read again correlates this well at least with the first reading's in the window, or is
# not used (thin pencil strokes, under 0.5 % of a window of noisy paper, read the paper as the ink: "looks blank")


def ink_window(ink: np.ndarray, scale: float) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) in ``ink``'s pixels round its small ink, kept inside it, where ``ink``
    (bright on black) was read ``scale`` times smaller than the file; None where there is no need."""
    if scale < LEAST_SCALE or not ink.size:
        return None
    paper, top = float(np.median(ink)), float(ink.max())  # (the paper's level: not 0 where it is uneven)
    if not top > paper:
        return None
    rows, cols = np.nonzero(ink >= paper + INK * (top - paper))
    side = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    if side >= SMALL_PX:
        return None
    reach = int(round(side * (2 * MARGIN + 1)))
    window = []
    for low, high, length in ((rows.min(), rows.max(), ink.shape[0]), (cols.min(), cols.max(), ink.shape[1])):
        span = min(reach, length)
        start = int(np.clip((low + high + 1) / 2 - span / 2, 0, length - span))  # (slid inside, not cut short)
        window.append((start, start + span))
    (top, bottom), (left, right) = window
    return top, left, bottom, right


def unturned(box: tuple[int, int, int, int], size: tuple[int, int], turn) -> tuple[int, int, int, int]:
    """``box`` (top, left, bottom, right) in an image turned by ``turn`` (a PIL ``Image.Transpose``, or
    None) as a box in the image before it was turned, ``size`` (width, height) then; as PIL's crop box
    (left, top, right, bottom)."""
    from PIL import Image

    t = Image.Transpose
    w, h = size
    top, left, bottom, right = box
    # each turned image's point (x, y) as the point it came from
    back = {None: lambda x, y: (x, y), t.FLIP_LEFT_RIGHT: lambda x, y: (w - x, y),
            t.FLIP_TOP_BOTTOM: lambda x, y: (x, h - y), t.ROTATE_180: lambda x, y: (w - x, h - y),
            t.TRANSPOSE: lambda x, y: (y, x), t.TRANSVERSE: lambda x, y: (w - y, h - x),
            t.ROTATE_90: lambda x, y: (w - y, x), t.ROTATE_270: lambda x, y: (y, h - x)}[turn]
    xs, ys = zip(*(back(x, y) for x in (left, right) for y in (top, bottom)))
    return min(xs), min(ys), max(xs), max(ys)


def agrees(first: np.ndarray, again: np.ndarray) -> bool:
    """Whether ``again`` (the window read at the file's resolution) shows the ink ``first`` (the same window as
    first read) shows: correlated at :data:`AGREE` at least once brought to its size."""
    from PIL import Image

    if min(first.shape) < 2 or not again.size:
        return False
    small = np.asarray(Image.fromarray(np.asarray(again, np.float32), mode="F").resize(first.shape[::-1],
                                                                                       Image.Resampling.BOX))
    if not (small.std() > 0 and first.std() > 0):
        return False
    return float(np.corrcoef(small.ravel(), np.asarray(first, np.float64).ravel())[0, 1]) >= AGREE


def read_again(path, window: tuple[int, int, int, int], shrunk: tuple[int, int], turn,
               sixteen_bit: bool) -> tuple[np.ndarray, str] | None:
    """The file at ``path``: its pixels in ``window`` (of the image as first read: ``shrunk`` (width, height)
    before it was turned by ``turn``), read again at the file's resolution (shrunk to
    ``images.WORK_SIZE`` at most): their ink and part ("ink" where the whole window is the input);
    None where that fails (the first reading stands: it is a refinement)."""
    import math
    import warnings

    from PIL import Image

    from sae_desktop.image_formats import readable
    from sae_desktop.images import _reduced, _to_grey, ink_and_part

    left, top, right, bottom = unturned(window, shrunk, turn)
    try:
        with warnings.catch_warnings(), open(path, "rb") as fh, Image.open(fh, formats=readable()) as full:
            warnings.simplefilter("ignore")  # (as first read: a damaged file's warnings are not printed)
            full.draft("L", full.size)  # (a JPEG's grey, as first read, at its whole size)
            full.load()
            sx, sy = full.width / shrunk[0], full.height / shrunk[1]  # (a TIFF is turned as it loads: both are)
            crop = full.crop((math.floor(left * sx), math.floor(top * sy), math.ceil(right * sx),
                              math.ceil(bottom * sy)))
            crop = _reduced(crop)
            grey = _to_grey(crop.transpose(turn) if turn is not None else crop, sixteen_bit)
    except Exception:  # noqa: BLE001 (memory, a reader's quirk: the image as first read is the input)
        return None
    ink, part = ink_and_part(grey)
    return ink, part or "ink"
