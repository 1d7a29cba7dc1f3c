"""The shape of an input's strokes: where they end, where they branch, the loops they close.

A digit's strokes form few patterns: a 1 or a 7 is one stroke with two ends, a 4 has a junction
and three ends, an 8 two loops and no end. Letters and scribbles often branch and end in patterns
no digit has (a # grid: eight ends, four junctions; a scribble crossing itself: many junctions; an H's
four ends and two junctions are among MNIST's patterns: not flagged). The
pattern is read from the model's 28×28 input: the ink (above ``INK``) is thinned to one-pixel
lines (Zhang & Suen 1984), whose **ends** are line pixels with one neighbour, whose
**junctions** are line pixels where three or more branches meet (their crossing number; pixels
within 2 px of each other count as one junction), and **loops** are paper regions the ink
encloses. The patterns MNIST's digits show are counted once (``benchmarks/digit_shapes.py``)
and listed in :data:`DIGIT_SHAPES`; the verdict flags the others. A dot apart under the rest of
the ink (:func:`dot_below`: an ! or a ?, which read as a typical 1 or 7) is as rare in MNIST.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sae_desktop.background import labels_at_frame

INK, LOOP_AREA = 0.5, 2  # ink: brighter than this; a loop: at least 2 px of paper enclosed by it
# A dot apart below the strokes: a mark of ink above DOT_INK (fainter ink joins a digit's broken
# strokes: at 0.5, 28 of the 10 000 test digits had a piece apart below), at most DOT_AREA px, its
# top DOT_GAP rows or more under the rest's lowest ink and within its width (±DOT_SIDE px).
# 2 of MNIST's 10 000 test digits and 26 of its 60 000 training digits have one, as stored
# (tests/test_strokes.py counts them again): fewer than 1 in RARE.
DOT_INK, DOT_AREA, DOT_GAP, DOT_SIDE = 0.2, 30, 2, 2
# A dot apart over a stem, as an i or a j has: a mark as above (of DOT_LEAST px or more: a 2-px speck over a tight
# crop's broken 1 read "as in i"), its bottom DOT_GAP rows or more over
# the rest's top, within the width of the rest's upper STEM_TOP share, which is at most STEM_WIDE of the rest's
# height wide (a 5's bowl, a 7's bar are wider). 1 of MNIST's 10 000 test digits and 3 of its 60 000 training
# digits have one (tests/test_strokes.py counts them again): fewer than 1 in RARE. (Without the stem's width,
# 13 test digits had one: broken strokes of 0s, 3s and 6s.)
STEM_TOP, STEM_WIDE, DOT_LEAST = 0.4, 0.35, 4
MAX_ENDS, MAX_JUNCTIONS, MAX_LOOPS = 7, 4, 3  # counts are capped here in a shape's key
MAX_CROSSED = 5  # strokes one row or column crosses: 5 in 56 of MNIST's 70 000 digits, more in none (tests count)
# Marks side by side, as in a number: read in the ink's box at the input's own resolution (at 28×28,
# widened to MNIST's strokes, two digits 2-4 px apart merged: 16 of 40 pairs told apart). The ink (above
# DOT_INK of its brightest) in marks (8-connected; specks under SPECK of its mass left out), grouped where
# their columns overlap by more than SIDE_OVERLAP of the narrower's width (a digit's broken strokes: a 5's
# bar, a 4's arm); a group with SIDE_SHARE of the ink or more, as tall as SIDE_TALL of it and at most SIDE_WIDE
# times as wide as tall (MNIST's widest digit: a dash broken in two read "several marks"), is a mark.
# Two show in 8 of MNIST's 60 000 training digits and 4 of its 10 000 test digits (as stored and as files), each
# a 1, a 9 or a 6 beside a stray line or a neighbour's fragment: fewer than 1 in RARE (at 0.6 of its height, a
# squat 2 after a 3 was no mark).
SIDE_SHARE, SIDE_TALL, SIDE_WIDE, SIDE_OVERLAP, SPECK = 0.15, 0.5, 2.2, 0.1, 0.02

# (ends, junctions, loops), each capped as above, of the 37 patterns (of 81 seen) at least 1 in RARE
# of MNIST's 60 000 training digits show (benchmarks/digit_shapes.py, each digit through preprocess()
# as the probe sees it): 99.52 % of the training digits have one of these, and 99.55 % of the test
# digits (tests/test_strokes.py measures it again).
RARE = 2000
DIGIT_SHAPES = frozenset({
    (0, 0, 1), (0, 0, 2), (0, 1, 1), (0, 1, 2), (0, 2, 1), (0, 2, 2), (0, 2, 3), (1, 1, 0), (1, 1, 1), (1, 1, 2),
    (1, 2, 1), (1, 2, 2), (1, 3, 2), (2, 0, 0), (2, 0, 1), (2, 1, 0), (2, 1, 1), (2, 1, 2), (2, 2, 0), (2, 2, 1),
    (2, 2, 2), (3, 1, 0), (3, 1, 1), (3, 2, 0), (3, 2, 1), (3, 3, 1), (4, 0, 0), (4, 1, 0), (4, 1, 1), (4, 2, 0),
    (4, 2, 1), (4, 3, 1), (5, 1, 0), (5, 2, 0), (5, 3, 0), (6, 0, 0), (7, 1, 0)
})


class Shape(NamedTuple):
    ends: int  # line ends
    junctions: int  # places where three or more branches meet
    loops: int  # closed loops

    @property
    def key(self) -> tuple[int, int, int]:
        return min(self.ends, MAX_ENDS), min(self.junctions, MAX_JUNCTIONS), min(self.loops, MAX_LOOPS)

    @property
    def digit_like(self) -> bool:
        """A pattern at least 1 in :data:`RARE` of MNIST's digits show."""
        return self.key in DIGIT_SHAPES

    def describe(self) -> str:
        def count(n: int, one: str, many: str) -> str:
            return f"{'no' if n == 0 else n} {one if n == 1 else many}"
        return (f"{count(self.ends, 'end', 'ends')}, {count(self.junctions, 'junction', 'junctions')}, "
                f"{count(self.loops, 'loop', 'loops')}")


def _neighbours(img: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """For each pixel of a padded 0/1 image's interior: its 8 neighbours (clockwise from north),
    how many are set, and the crossing number (0 → 1 steps going round them)."""
    p = [img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:], img[2:, 2:], img[2:, 1:-1], img[2:, :-2], img[1:-1, :-2],
         img[:-2, :-2]]
    count = np.sum(p, axis=0)
    crossings = np.sum([(p[i] == 0) & (p[(i + 1) % 8] == 1) for i in range(8)], axis=0)
    return p, count, crossings


def thin(ink: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning: a boolean image's lines, one pixel wide, same connectivity."""
    img = np.pad(np.asarray(ink, dtype=bool), 1).astype(np.uint8)
    inner = img[1:-1, 1:-1]
    changed = True
    while changed:
        changed = False
        for first in (True, False):
            p, count, crossings = _neighbours(img)
            if first:  # delete south-east boundary pixels and north-west corners…
                side = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:  # …then north-west boundary pixels and south-east corners
                side = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            delete = (inner == 1) & (count >= 2) & (count <= 6) & (crossings == 1) & side
            if delete.any():
                inner[delete] = 0
                changed = True
    return inner.astype(bool)


def loops(image28: np.ndarray) -> int:
    """Closed loops of the ink: paper regions (4-connected) of at least LOOP_AREA px it encloses."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    paper = np.asarray(image28) <= INK
    labels, count = ndimage.label(paper)
    if count == 0:
        return 0
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    areas[labels_at_frame(labels)] = 0  # paper open to the frame encloses nothing
    return int((areas[1:] >= LOOP_AREA).sum())


def shape(image28: np.ndarray) -> Shape:
    """The strokes' ends, junctions and loops of a 28×28 input (ink in [0, 1])."""
    from scipy import ndimage

    lines = thin(np.asarray(image28) > INK)
    _, count, crossings = _neighbours(np.pad(lines, 1).astype(np.uint8))
    ends = int((lines & (count == 1)).sum())
    branching = lines & (crossings >= 3)
    junctions = ndimage.label(ndimage.binary_dilation(branching, np.ones((3, 3), bool)), np.ones((3, 3)))[1] \
        if branching.any() else 0
    return Shape(ends, int(junctions), loops(image28))


def most_crossed(image28: np.ndarray) -> int:
    """The most strokes one row or one column of a 28×28 input crosses (runs of ink above ``INK``): a
    zig-zag's teeth, a spiral's turns, hatching; MNIST's digits at most :data:`MAX_CROSSED`."""
    ink = (np.asarray(image28) > INK).astype(np.int8)
    rows = np.count_nonzero(np.diff(ink, axis=1, prepend=0) == 1, axis=1)
    columns = np.count_nonzero(np.diff(ink, axis=0, prepend=0) == 1, axis=0)
    return int(max(rows.max(initial=0), columns.max(initial=0)))


def _marks(image28: np.ndarray):
    """The marks of ink above DOT_INK: (labels, their areas, their boxes, the largest's index: the strokes)."""
    from scipy import ndimage

    labels, _ = ndimage.label(np.asarray(image28) > DOT_INK, np.ones((3, 3)))
    areas = np.bincount(labels.ravel())[1:]
    return labels, areas, ndimage.find_objects(labels), int(np.argmax(areas)) if areas.size else -1


def dot_below(image28: np.ndarray) -> bool:
    """Whether a small mark lies apart under the rest of the ink, as an ! or a ? has (see :data:`DOT_INK`)."""
    _, areas, boxes, main = _marks(image28)
    if len(boxes) < 2:
        return False
    rows, columns = boxes[main]  # the largest mark: the strokes
    return any(area <= DOT_AREA and box[0].start >= rows.stop - 1 + DOT_GAP and box[1].start >= columns.start - DOT_SIDE
               and box[1].stop <= columns.stop + DOT_SIDE for area, box in zip(areas, boxes) if box != (rows, columns))


def dot_above(image28: np.ndarray) -> bool:
    """Whether a small mark lies apart over a stem, as an i or a j has (see :data:`STEM_TOP`)."""
    labels, areas, boxes, main = _marks(image28)
    if len(boxes) < 2:
        return False
    rows, columns = boxes[main]
    strokes = labels[rows, columns] == main + 1
    inked = np.flatnonzero(strokes[:max(1, round(STEM_TOP * strokes.shape[0]))].any(axis=0))
    left, right = columns.start + inked[0], columns.start + inked[-1] + 1  # the stem's columns
    if right - left > STEM_WIDE * strokes.shape[0]:
        return False
    return any(DOT_LEAST <= area <= DOT_AREA and box[0].stop - 1 + DOT_GAP <= rows.start
               and box[1].start >= left - DOT_SIDE and box[1].stop <= right + DOT_SIDE
               for area, box in zip(areas, boxes) if box != (rows, columns))


def side_by_side(crop: np.ndarray | None) -> int:
    """How many marks stand side by side in the ink's box (see :data:`SIDE_SHARE`): 1 for a digit, 2 for
    "42", 0 for no ink; where two are, every tall group counts, however little ink it has (a 1)."""
    from scipy import ndimage

    brightest = float(np.max(crop)) if crop is not None and crop.size else 0.0
    if brightest <= 0:
        return 0
    ink = np.asarray(crop) > DOT_INK * brightest
    labels, count = ndimage.label(ink, np.ones((3, 3)))
    mass = ndimage.sum(crop, labels, np.arange(1, count + 1)) / float(crop[ink].sum())
    marks = sorted([box[1].start, box[1].stop, box[0].start, box[0].stop, share]
                   for box, share in zip(ndimage.find_objects(labels), mass) if share >= SPECK)
    groups: list[list] = []
    for left, right, top, bottom, share in marks:  # left to right, joined where their columns overlap
        if groups and left < groups[-1][1] - SIDE_OVERLAP * min(groups[-1][1] - groups[-1][0], right - left):
            last = groups[-1]
            groups[-1] = [last[0], max(last[1], right), min(last[2], top), max(last[3], bottom), last[4] + share]
        else:
            groups.append([left, right, top, bottom, share])
    rows = np.flatnonzero(ink.any(axis=1))
    height = rows[-1] - rows[0] + 1
    tall = [share for left, right, top, bottom, share in groups
            if bottom - top >= SIDE_TALL * height and right - left <= SIDE_WIDE * (bottom - top)]
    marks = sum(share >= SIDE_SHARE for share in tall)
    return len(tall) if marks > 1 else marks  # (a number's thin 1 has less ink: "183" read "2 marks")
