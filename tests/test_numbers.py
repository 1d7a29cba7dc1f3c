"""A number is several digits: marks side by side (strokes.side_by_side) read as such, not as one strange digit."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from benchmarks.synthetic_inputs import pen_strokes, polyline
from sae_desktop.images import ink_on_black
from sae_desktop.preprocess import preprocess
from sae_desktop.probe import probe_image
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path
from sae_desktop.strokes import RARE, side_by_side


@pytest.fixture(scope="module")
def bundled():
    return ModelSnapshot.load(bundled_model_path())


def number(mnist, indices, gap: int) -> np.ndarray:
    """MNIST test digits written side by side, ``gap`` px apart at MNIST's scale: 28 px high, ink on black."""
    parts = []
    for i in indices:
        digit = mnist.test_images[i].astype(np.float32) / 255.0
        columns = np.flatnonzero(digit.max(axis=0) > 0.1)
        parts.append(digit[:, columns[0]:columns[-1] + 1])
    out = np.zeros((28, sum(p.shape[1] for p in parts) + gap * (len(parts) - 1) + 8), np.float32)
    left = 4
    for part in parts:
        out[:, left:left + part.shape[1]] = np.maximum(out[:, left:left + part.shape[1]], part)
        left += part.shape[1] + gap
    return out


def written(ink28: np.ndarray, style: str, rng: np.random.Generator) -> np.ndarray:
    """The number as a user gives it, white on black as the probe reads it: a pencil photo (dark on grey
    paper, camera noise), the canvas's brush or a thin pen in a large file (dark on white)."""
    scale = 14 if style == "photo" else 10
    size = (ink28.shape[1] * scale, 28 * scale)
    up = np.asarray(Image.fromarray((ink28 * 255).astype(np.uint8)).resize(size, Image.Resampling.BICUBIC),
                    np.float32) / 255.0
    if style == "brush":
        return pen_strokes(up, float(rng.uniform(4, 7)))
    if style == "pen":
        return ink_on_black(1.0 - pen_strokes(up, float(rng.uniform(1.5, 3))))
    stroke = ndimage.gaussian_filter(pen_strokes(up, float(rng.uniform(3, 6))), 0.8)
    grey = rng.uniform(0.55, 0.75) - rng.uniform(0.25, 0.35) * stroke / stroke.max()
    return ink_on_black(np.clip(grey + rng.normal(0, 0.015, grey.shape), 0, 1))


@pytest.mark.parametrize("style", ["photo", "brush", "pen"])
def test_a_number_reads_as_several_marks_not_a_digit(bundled, mnist, style):
    """Two or three test digits 1-6 px apart: of 150 such numbers, 18 read "unusual" or "typical" (a
    17 as one digit), the rest "unlike MNIST" or a stroke pattern, never saying why."""
    rng = np.random.default_rng(7)
    for _ in range(8):
        digits = rng.integers(0, 10_000, int(rng.integers(2, 4)))
        stages, result = probe_image(bundled, written(number(mnist, digits, int(rng.integers(1, 7))), style, rng))
        verdict = result.verdict
        assert verdict.kind == "several" and verdict.digit_like is False, (digits, verdict.message)
        assert verdict.message.startswith("Several marks side by side") and f"({len(digits)} marks" in verdict.message


def test_marks_side_by_side_are_rare_in_mnist(mnist):
    """As stored, and as files through the probe's preprocessing: fewer than 1 in RARE of MNIST's digits
    (8 of the 60 000 training digits, 4 of the 10 000 test digits: a 1, a 9 or a 6 beside a stray line)."""
    train = [side_by_side(d / 255.0) for d in mnist.train_images]
    test = [side_by_side(d / 255.0) for d in mnist.test_images]
    files = [side_by_side(preprocess(ink_on_black(d / 255.0)).crop) for d in mnist.test_images]
    for counts in (train, test, files):
        assert sum(c > 1 for c in counts) * RARE < len(counts)
        assert sum(c == 1 for c in counts) > 0.99 * len(counts)  # a digit is one mark, not none


def drawn(*strokes, width=16.0, size=280):
    return np.max([polyline((size, size), [(y * size, x * size) for y, x in s], width) for s in strokes], axis=0)


@pytest.mark.parametrize("name,strokes", [
    # its bar lifted off the body: the bar's columns are the body's
    ("5", [[(0.15, 0.35), (0.15, 0.75)], [(0.22, 0.33), (0.45, 0.3), (0.5, 0.6), (0.7, 0.7), (0.85, 0.5),
                                           (0.8, 0.3)]]),
    # its arm apart from the stem, the arm's bar reaching under it
    ("4", [[(0.15, 0.35), (0.55, 0.25), (0.55, 0.8)], [(0.12, 0.62), (0.48, 0.62)], [(0.62, 0.62), (0.9, 0.62)]]),
    # and a full stop after it: a speck beside, no mark
    ("7.", [[(0.15, 0.25), (0.15, 0.7), (0.85, 0.4)], [(0.84, 0.8), (0.85, 0.81)]]),
])
def test_a_digit_written_in_pieces_is_one_mark(bundled, name, strokes):
    image = drawn(*strokes)
    assert ndimage.label(image > 0.2, np.ones((3, 3)))[1] >= 2  # pieces apart…
    stages, result = probe_image(bundled, image)
    assert side_by_side(stages.crop) == 1, name  # …one mark
    assert result.verdict.kind != "several"


def test_two_digits_side_by_side_are_two_marks_and_a_tall_mark_beside_one_counts():
    one = [(0.15, 0.3), (0.85, 0.3)]
    seven = [(0.15, 0.5), (0.15, 0.8), (0.85, 0.6)]
    assert side_by_side(drawn(one, seven)) == 2
    assert side_by_side(drawn(one, seven, [(0.15, 0.9), (0.85, 0.9)])) == 3
    assert side_by_side(drawn(seven, [(0.7, 0.3), (0.85, 0.3)])) == 1  # a short mark beside: no second
    assert side_by_side(np.zeros((28, 28))) == 0 and side_by_side(None) == 0


def test_a_dash_broken_in_two_is_no_number(bundled):
    """A glare across a marker's bar left two pieces of it, each as tall as the ink: "Several marks side by
    side, as in a number". A mark is no wider than MNIST's widest digit (2.2 times its height)."""
    dash = drawn([(0.5, 0.1), (0.52, 0.45)], [(0.52, 0.55), (0.5, 0.9)], width=18)
    assert side_by_side(dash) == 0
    assert probe_image(bundled, dash)[1].verdict.kind != "several"


def test_a_thin_1_in_a_number_counts_as_a_mark():
    """"183" with the 1 a single thin stroke (under 15 % of the ink): the message said "2 marks"."""
    one = [(0.2, 0.08), (0.8, 0.06)]
    eight = [(0.2, 0.45), (0.2, 0.3), (0.5, 0.45), (0.8, 0.3), (0.8, 0.45), (0.5, 0.3), (0.2, 0.45)]
    three = [(0.2, 0.65), (0.2, 0.9), (0.5, 0.75), (0.8, 0.9), (0.8, 0.65)]
    image = np.maximum(drawn(one, width=4), drawn(eight, three, width=10))
    mass = [image[:, :56].sum(), image[:, 56:].sum()]
    assert mass[0] < 0.15 * sum(mass)  # the 1 alone is no mark…
    assert side_by_side(image) == 3  # …beside two others, it is counted
