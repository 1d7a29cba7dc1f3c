"""The strokes' shape (strokes.py): ends, junctions and loops of the thinned ink, and MNIST's patterns."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from benchmarks.synthetic_inputs import polyline
from sae_desktop.preprocess import preprocess
from sae_desktop.strokes import DIGIT_SHAPES, RARE, Shape, dot_above, dot_below, shape, thin


def drawn(*strokes, width=18.0, size=280):
    """Pen strokes through points given as fractions of the canvas, as the probe gets them (28×28)."""
    return preprocess(np.max([polyline((size, size), [(y * size, x * size) for y, x in s], width)
                              for s in strokes], axis=0)).image


TIC_TAC_TOE = [[(0.15, 0.38), (0.85, 0.38)], [(0.15, 0.62), (0.85, 0.62)], [(0.38, 0.15), (0.38, 0.85)],
               [(0.62, 0.15), (0.62, 0.85)]]  # no digit has its eight ends and four junctions


def test_thinning_leaves_one_pixel_lines():
    bar = np.zeros((12, 20), bool)
    bar[4:8, 2:18] = True
    lines = thin(bar)
    assert lines.sum() >= 10 and lines[:, 5:15].sum(axis=0).max() == 1  # one pixel across
    assert not thin(np.zeros((5, 5), bool)).any()


@pytest.mark.parametrize("name,strokes,expected", [
    ("stroke", [[(0.2, 0.5), (0.8, 0.5)]], (2, 0, 0)),
    ("seven", [[(0.2, 0.25), (0.2, 0.75), (0.8, 0.4)]], (2, 0, 0)),
    ("T", [[(0.2, 0.2), (0.2, 0.8)], [(0.2, 0.5), (0.8, 0.5)]], (3, 1, 0)),
    ("four", [[(0.2, 0.35), (0.55, 0.25), (0.55, 0.75)], [(0.2, 0.65), (0.85, 0.6)]], (4, 1, 0)),
    ("tic-tac-toe", TIC_TAC_TOE, (8, 4, 1)),
])
def test_ends_junctions_and_loops_of_drawn_strokes(name, strokes, expected):
    for width in (8, 18, 30):  # the same at any pen width (preprocessing brings it into MNIST's range)
        assert shape(drawn(*strokes, width=width)) == expected, (name, width)


def test_a_ring_has_a_loop_and_no_end():
    yy, xx = np.mgrid[0:280, 0:280]
    ring = (np.abs(np.hypot(yy - 140, xx - 140) - 90) < 9).astype(float)
    assert shape(preprocess(ring).image) == (0, 0, 1)


def test_shape_key_caps_counts_and_describes_itself():
    assert Shape(12, 6, 4).key == (7, 4, 3)
    assert Shape(8, 4, 1).describe() == "8 ends, 4 junctions, 1 loop"
    assert Shape(1, 0, 0).describe() == "1 end, no junctions, no loops"
    assert Shape(2, 0, 0).digit_like and not Shape(8, 4, 1).digit_like


def test_digit_shapes_come_from_mnist(mnist):
    """The patterns are MNIST's own: the test set (never used to count them, which the training
    set was) shows almost only them, and every pattern it shows often is among them."""
    keys = Counter(shape(preprocess(d).image).key for d in mnist.test_images[::2])
    n = sum(keys.values())
    assert sum(c for k, c in keys.items() if k in DIGIT_SHAPES) / n > 0.993  # 99.55 % on all 10 000
    assert all(k in DIGIT_SHAPES for k, c in keys.items() if c * RARE / 4 >= n)  # ≥ 1 in 500: listed


BANG = [[(0.12, 0.5), (0.68, 0.5)], [(0.86, 0.5), (0.861, 0.5)]]  # a bar, and a dot under it
QUESTION = [[(0.3, 0.3), (0.15, 0.45), (0.15, 0.62), (0.3, 0.72), (0.45, 0.6), (0.55, 0.5), (0.68, 0.5)],
            [(0.86, 0.5), (0.861, 0.5)]]


def test_a_dot_under_the_strokes_is_flagged_as_no_digits():
    """An ! read as a typical 1 and a ? as a typical 7 (their shapes are a digit's); the dot under
    them is what no digit has. A 1, or a dot beside the bar rather than under it, is not one."""
    from sae_desktop.verdict import plain_check

    for strokes in (BANG, QUESTION):
        for width in (12.0, 18.0, 30.0):
            image = drawn(*strokes, width=width)
            assert dot_below(image), (strokes, width)
            verdict = plain_check(preprocess(np.max([polyline((280, 280), [(y * 280, x * 280) for y, x in s], width)
                                                     for s in strokes], axis=0)))
            assert verdict is not None and verdict.digit_like is False and "as in ! or ?" in verdict.message
    assert not dot_below(drawn(BANG[0]))
    assert not dot_below(drawn(BANG[0], [(0.86, 0.8), (0.861, 0.8)]))  # beside, not under


def test_a_dot_apart_under_the_strokes_is_rare_in_mnist(mnist):
    """As stored, and as a file through the probe's preprocessing: fewer than 1 in RARE of its digits."""
    from sae_desktop.images import ink_on_black

    train = sum(dot_below(d / 255.0) for d in mnist.train_images)
    test = sum(dot_below(d / 255.0) for d in mnist.test_images)
    files = sum(dot_below(preprocess(ink_on_black(d / 255.0)).image) for d in mnist.test_images[::2])
    assert train * RARE < len(mnist.train_images) and test * RARE < len(mnist.test_images)  # 26, 2
    assert files * RARE < len(mnist.test_images) // 2  # 0


I_AND_J = [[[(0.4, 0.5), (0.85, 0.5)], [(0.2, 0.5), (0.201, 0.5)]],  # a stem and a dot over it
           [[(0.4, 0.57), (0.88, 0.57), (0.95, 0.43), (0.9, 0.25)], [(0.2, 0.57), (0.201, 0.57)]]]  # and a hook


def test_a_dot_over_a_stem_is_flagged_as_no_digits():
    """An i drawn on the canvas read "Typical: 69% of test digits are more unusual", a j as a 1: the dot
    over the stem is what no digit has. A 1, and a 5 whose bar stands apart over its bowl, are not one."""
    from sae_desktop.verdict import plain_check

    for strokes in I_AND_J:
        for width in (8.0, 18.0, 30.0):
            assert dot_above(drawn(*strokes, width=width)), (strokes, width)
            verdict = plain_check(preprocess(np.max([polyline((280, 280), [(y * 280, x * 280) for y, x in s], width)
                                                     for s in strokes], axis=0)))
            assert verdict is not None and verdict.kind == "shape" and "as in i or j" in verdict.message
    assert not dot_above(drawn(I_AND_J[0][0]))  # a 1
    five = [[(0.15, 0.4), (0.15, 0.72)], [(0.3, 0.35), (0.5, 0.33), (0.45, 0.6), (0.62, 0.68), (0.8, 0.55),
                                         (0.85, 0.35)]]
    assert not dot_above(drawn(*five)) and not dot_below(drawn(*five))


def test_a_dot_over_a_stem_is_rare_in_mnist(mnist):
    """As stored, and as a file through the probe's preprocessing: fewer than 1 in RARE of its digits
    (without the stem's width, 13 test digits had a mark apart over the rest: broken 0s, 3s and 6s)."""
    from sae_desktop.images import ink_on_black

    train = sum(dot_above(d / 255.0) for d in mnist.train_images)
    test = sum(dot_above(d / 255.0) for d in mnist.test_images)
    files = sum(dot_above(preprocess(ink_on_black(d / 255.0)).image) for d in mnist.test_images[::2])
    assert train * RARE < len(mnist.train_images) and test * RARE < len(mnist.test_images)  # 3, 1
    assert files * RARE < len(mnist.test_images) // 2  # 1
