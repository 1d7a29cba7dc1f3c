"""A form's printed box around the digit is no ink; an empty or crossed box, or a drawn shape, stays (form_box.py)."""

import numpy as np
import pytest

from sae_desktop.form_box import without_box
from sae_desktop.preprocess import preprocess
from sae_desktop.probe import probe_image
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path
from tests.test_preprocess import stroke

SIDE = 400
SEVEN = [(100, 120), (100, 280), (320, 180)]


def box(inset: float = 30, tilt: float = 0.0, width: float = 3, side: int = SIDE) -> np.ndarray:
    """A printed box's lines, ink-bright (as levelled), ``inset`` px in, turned by ``tilt`` degrees."""
    a, c = np.deg2rad(tilt), side / 2
    corners = [(inset, inset), (inset, side - inset), (side - inset, side - inset), (side - inset, inset)]
    turned = [(c + (y - c) * np.cos(a) - (x - c) * np.sin(a), c + (y - c) * np.sin(a) + (x - c) * np.cos(a))
              for y, x in corners]
    return stroke((side, side), turned + turned[:1], width)


def pencil_photo(ink: np.ndarray, seed: int = 0) -> np.ndarray:
    """Ink (bright) as a photo of grey paper with its noise, ink bright again (as images.ink_on_black gives it)."""
    paper = 0.7 - 0.1 * np.linspace(0, 1, ink.shape[1])[None, :]
    photo = paper - 0.35 * ink + np.random.default_rng(seed).normal(0, 0.012, ink.shape)
    return 1.0 - np.clip(photo, 0, 1)


@pytest.mark.parametrize("inset, tilt", [(30, 0.0), (8, 1.5), (60, -2.5)])
def test_a_forms_box_goes_and_the_digit_stays_whole(inset, tilt):
    digit = stroke((SIDE, SIDE), SEVEN, 8)
    lines = box(inset, tilt)
    cleaned = without_box(np.maximum(digit, lines))
    on_box = (lines > 0.5) & (stroke((SIDE, SIDE), SEVEN, 30) == 0)
    assert (cleaned[on_box] > 0).mean() < 0.01  # the box is gone…
    core = digit > 0.99
    assert (cleaned[core] > 0.9).mean() > 0.99  # …and the strokes are whole


@pytest.mark.parametrize("foot", [SIDE - 30, SIDE - 8])
def test_a_digit_written_up_to_its_box_or_across_it_keeps_all_but_the_line(foot):
    """People write large: the 7's foot on the box's bottom line, or across it (the box, no longer
    the ink's extent, stayed)."""
    digit = stroke((SIDE, SIDE), [(100, 120), (100, 280), (foot, 180)], 8)
    lines = box(30, 1.0)
    cleaned = without_box(np.maximum(digit, lines))
    assert (cleaned[(lines > 0.5) & (digit == 0)] > 0).mean() < 0.01
    assert (cleaned[digit > 0.99] > 0.9).mean() > 0.95  # (the few px where the foot crosses the line go with it)


def test_an_empty_box_a_crossed_box_and_drawn_shapes_stay():
    """An empty or a crossed box is what the verdict must flag; a round 0 with a mark inside, a
    box drawn by hand around a scribble that meets it everywhere, a filled square: no printed box."""
    lines = box(30)
    cross = np.maximum(stroke((SIDE, SIDE), [(30, 30), (SIDE - 30, SIDE - 30)], 3),
                       stroke((SIDE, SIDE), [(30, SIDE - 30), (SIDE - 30, 30)], 3))
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    ring = np.abs(np.hypot((yy - 200) / 170, (xx - 200) / 150) - 1) < 0.02
    filled = np.zeros((SIDE, SIDE))
    filled[40:360, 40:360] = 1
    wobbly = [(30 + 6 * np.sin(t), x) for t, x in zip(np.linspace(0, 9, 12), np.linspace(30, SIDE - 30, 12))]
    hand_box = np.maximum(stroke((SIDE, SIDE), wobbly, 4), box(30).T * (np.arange(SIDE)[:, None] > 40))
    for ink in (lines, np.maximum(lines, cross), np.maximum(ring.astype(float), stroke((SIDE, SIDE), SEVEN, 8)),
                filled, np.maximum(hand_box, stroke((SIDE, SIDE), SEVEN, 8)), np.zeros((SIDE, SIDE)),
                np.ones((5, 5))):
        np.testing.assert_array_equal(without_box(ink), ink)


def test_a_photo_of_a_digit_in_a_forms_box_reads_as_the_digit():
    """Through the whole probe, as a pencil photo: the printed box made it "unlike MNIST"."""
    model = ModelSnapshot.load(bundled_model_path())
    digit = stroke((SIDE, SIDE), SEVEN, 6)
    photo = pencil_photo(np.maximum(digit, box(20, 1.0, 2.5)))
    seen = preprocess(photo)
    alone = preprocess(pencil_photo(digit))
    assert seen.box_side == pytest.approx(alone.box_side, abs=12)  # the ink's box is the digit's, not the form's
    _, result = probe_image(model, photo)
    assert result.verdict.digit_like is True, result.verdict.message
    _, empty = probe_image(model, pencil_photo(box(20, 1.0, 2.5)))  # an empty box is still no digit
    assert empty.verdict.digit_like is False


def test_a_box_cropped_with_its_neighbours_edges_goes_too():
    """A form's row of boxes cropped around one: the next boxes' edges at the photo's sides widened
    the ink's extent past the box, which then stayed."""
    digit = stroke((SIDE, SIDE), SEVEN, 6)
    neighbours = sum(stroke((SIDE, SIDE), [(0, x), (SIDE - 1, x)], 3) for x in (4, SIDE - 5))
    seen = preprocess(pencil_photo(np.clip(digit + box(30, 0.5, 2.5) + neighbours, 0, 1)))
    alone = preprocess(pencil_photo(digit))
    assert seen.box_side == pytest.approx(alone.box_side, abs=12)
