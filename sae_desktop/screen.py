"""A screenshot of a drawing program: the canvas the digit was drawn on, cut out of the window round it.

A screenshot is noise-free: the program's canvas is a rectangle of one exact tone (white, most often)
that holds the drawing, among panels, toolbars and a workspace of other flat tones, with icons and
text on them. Read whole, the window's panels were ink (or the canvas, white in a dark theme, was),
and the digit a hole in them. :func:`the_canvas` finds the canvas: a region of one tone, a rectangle
once the marks on it are filled in, part of the image but not all of it, not a strip (a toolbar, a
status bar), holding marks, and holding no such region itself, marked or blank (a workspace holds the
canvas: a blank canvas is no drawing, and its workspace none either); of
several (a panel of icons beside the canvas), the one whose marks are fewest. A photo has no such
region: its noise breaks any tone into specks (a sheet whose paper is blown out to white is its own
rectangle, cut out as ``sheet.the_sheet`` would).
"""

from __future__ import annotations

import numpy as np

SCREEN_PX = 64  # a screenshot of a program is this many pixels each way at least (a digit's crop is not one)
FLAT = 0.8  # a screenshot: this share of its pixels at least of their right-hand neighbour's very tone
TONES = 4  # the image's most common tones tried as a canvas's…
TOLERANCE = 2 / 255  # …each with the tones this near it (a JPEG's ringing at a stroke's edge is a mark)
CANVAS_MIN = 0.04  # a canvas's box is at least this share of the image…
CANVAS_MAX = 0.9  # …and under this share (all of it: the image is its own canvas, nothing to cut)
RECTANGLE = 0.98  # its region, the marks on it filled in, fills this share of its box at least
SOLID = 0.5  # …and without them this share at least (a photo's paper is riddled by its noise)
STRIP = 4.0  # its box no longer than this many times its width (a toolbar, a status bar, a side panel)
EDGE_PX = 2  # the canvas is cut this far inside its edge…
RING_PX, RING = 8, 16 / 255  # …and a JPEG's ringing, this far in (a block) and this faint, is of its tone
MARK_PX = 12  # a mark on a canvas has this many pixels at least (a JPEG's specks of ringing are none)


def the_canvas(a: np.ndarray) -> np.ndarray | None:
    """``a`` (grey, any range) cut to the canvas it shows, if it is a screenshot of one (see the module's
    docstring); else None."""
    from scipy import ndimage

    size = a.size
    if min(a.shape) < SCREEN_PX:
        return None
    levels = np.round(np.asarray(a, np.float32) * 255).astype(np.int32)
    levels_min = int(levels.min())
    levels -= levels_min
    if np.mean(levels[:, 1:] == levels[:, :-1]) < FLAT:
        return None  # (a photo: 0.1-0.53 of its pixels are as their neighbour; a screenshot 0.99, as a JPEG 0.93)
    counts = np.bincount(levels.ravel())
    found = []
    for tone in np.argsort(counts)[::-1][:TONES]:
        if counts[tone] < CANVAS_MIN * size:
            break
        labels, _ = ndimage.label(np.abs(levels - tone) <= round(TOLERANCE * 255))
        large = np.flatnonzero(np.bincount(labels.ravel()) >= SOLID * CANVAS_MIN * size)  # (a photo's noise
        for index in large[large > 0]:  # leaves thousands of specks of each tone)
            box = ndimage.find_objects((labels == index).astype(np.int8))[0]
            h, w = box[0].stop - box[0].start, box[1].stop - box[1].start
            if not CANVAS_MIN * size <= h * w < CANVAS_MAX * size or max(h, w) > STRIP * min(h, w):
                continue
            region = labels[box] == index
            filled = ndimage.binary_fill_holes(region)
            if filled.mean() < RECTANGLE or region.mean() < SOLID:
                continue
            marks, n = ndimage.label(filled & ~region)
            found.append((box, int(np.sum(np.bincount(marks.ravel())[1:] >= MARK_PX)) if n else 0, tone))
    inner = [item for item in found if item[1] and not any(other[0] is not item[0] and _inside(other[0], item[0])
                                                          for other in found)]
    if not inner:
        return None
    (rows, cols), _, tone = min(inner, key=lambda item: (item[1], -_area(item[0])))
    cut = np.array(a[rows.start + EDGE_PX:rows.stop - EDGE_PX, cols.start + EDGE_PX:cols.stop - EDGE_PX], np.float32)
    band = np.ones(cut.shape, bool)  # (a JPEG's ringing along the canvas's edge, faint, drew a line there)
    band[RING_PX:-RING_PX, RING_PX:-RING_PX] = False
    canvas_tone = (tone + levels_min) / 255
    cut[band & (np.abs(cut - canvas_tone) <= RING)] = canvas_tone
    return cut


def _inside(inner: tuple[slice, slice], outer: tuple[slice, slice]) -> bool:
    return all(o.start <= i.start and i.stop <= o.stop for i, o in zip(inner, outer))


def _area(box: tuple[slice, slice]) -> int:
    return (box[0].stop - box[0].start) * (box[1].stop - box[1].start)
