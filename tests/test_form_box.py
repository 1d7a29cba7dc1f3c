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


def ring(cy: float, cx: float, ry: float, rx: float) -> list[tuple[float, float]]:
    return [(cy + ry * np.sin(a), cx + rx * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 60)]


LARGE = {
    "a 0 up to the top, bottom and left": lambda: stroke((SIDE, SIDE), ring(200, 185, 170, 155), 8),
    "a 0 along the top and bottom lines": lambda: stroke((SIDE, SIDE), ring(200, 200, 170, 110), 8),
    "an 8 up to the top, bottom and right": lambda: np.maximum(stroke((SIDE, SIDE), ring(115, 200, 85, 70), 8),
                                                              stroke((SIDE, SIDE), ring(285, 200, 85, 170), 8)),
}


@pytest.mark.parametrize("name", LARGE)
def test_a_digit_meeting_its_box_in_several_places_keeps_all_but_the_box(name):
    """A large 0 or 8 meets its box at three sides, and a round stroke along a line meets it at both
    ends of the stretch the line hides: counted as four or six places, the box stayed, and the
    probe said "strokes tangled" of a plain 0; taken out with the box, the stretch cut it open."""
    from scipy import ndimage

    digit, lines = LARGE[name](), box(30, 1.0)
    cleaned = without_box(np.maximum(digit, lines))
    assert (cleaned[(lines > 0.5) & (digit == 0)] > 0).mean() < 0.01
    # …and where the round stroke lay along a line, it is not cut open with it (thinned where it
    # lay within the line's margins: 93-97 % of its core stays)
    assert (cleaned[digit > 0.99] > 0.9).mean() > 0.9
    assert ndimage.label(cleaned > 0.5, np.ones((3, 3)))[1] == 1


def test_a_1_from_corner_to_corner_of_a_narrow_box_loses_the_box_but_a_cross_keeps_it():
    """A slanted 1 fills a narrow box from one corner to the other: two corners met, a digit's;
    a cross meets three or four (a crossed box is no digit, and stays)."""
    frame = stroke((SIDE, SIDE), [(30, 100), (30, 300), (370, 300), (370, 100), (30, 100)], 3)
    one = stroke((SIDE, SIDE), [(32, 298), (368, 102)], 8)
    cleaned = without_box(np.maximum(frame, one))
    assert (cleaned[(frame > 0.5) & (one == 0)] > 0).mean() < 0.01
    assert (cleaned[one > 0.99] > 0.9).mean() > 0.9
    cross = np.maximum(one, stroke((SIDE, SIDE), [(32, 102), (368, 298)], 8))
    three = np.maximum(one, stroke((SIDE, SIDE), [(32, 102), (200, 200)], 8))
    for ink in (np.maximum(frame, cross), np.maximum(frame, three)):
        np.testing.assert_array_equal(without_box(ink), ink)


@pytest.mark.parametrize("name, points", [
    ("a 2 whose base runs on beyond the right line", [(120, 100), (60, 200), (120, 290), (360, 100), (358, 392)]),
    ("a 9 whose tail runs on beyond the bottom line", [(150, 280), (60, 200), (150, 120), (150, 280), (392, 150)]),
    ("a 5 whose bar lies above the top line", [(12, 330), (12, 130), (180, 140), (200, 260), (300, 290),
                                               (360, 200), (340, 120)]),
])
def test_a_digit_running_on_beyond_its_box_keeps_all_but_the_box(name, points):
    """Where a stroke lies beyond the box's line, the outermost ink of its columns is the stroke:
    along half the side (a 5's bar written above its box), the line was not found, and the box
    stayed."""
    digit, lines = stroke((SIDE, SIDE), points, 8), box(30, 1.0)
    cleaned = without_box(np.maximum(digit, lines))
    assert (cleaned[(lines > 0.5) & (stroke((SIDE, SIDE), points, 20) == 0)] > 0).mean() < 0.01
    assert (cleaned[digit > 0.99] > 0.9).mean() > 0.95


def test_a_stroke_across_the_line_stays_in_one_piece():
    """A 1 whose top pokes out of its box: the line's pixels where it crosses are the stroke's
    (taken out, the 1 came in two pieces, "strokes unlike any digit's")."""
    from scipy import ndimage

    one = stroke((SIDE, SIDE), [(10, 210), (330, 190)], 8)
    cleaned = without_box(np.maximum(one, box(30, 1.0)))
    assert (cleaned[(box(30, 1.0) > 0.5) & (stroke((SIDE, SIDE), [(10, 210), (330, 190)], 20) == 0)] > 0).mean() < 0.01
    assert ndimage.label(cleaned > 0.5, np.ones((3, 3)))[1] == 1


@pytest.mark.parametrize("corner", ["top left", "bottom right", "top right"])
@pytest.mark.parametrize("side,line", [(112, 1.5), (112, 5.0), (400, 3.0)])
def test_a_box_cut_to_its_corner_at_the_frame_goes(corner, side, line):
    """A form's field cropped so that two of its box's sides show, an L from frame to frame: its lines
    outnumbered the digit's pixels at 112 px, the L was taken for the digit, and all stayed ("unlike MNIST");
    at 400 px, where the digit's pixels are more, it went before too."""
    scale = side / SIDE
    digit = stroke((side, side), [(y * scale, x * scale) for y, x in SEVEN], max(2.0, 6 * scale))
    near, far = 0.04 * side, side - 1.0
    at = {"top left": (near, near), "bottom right": (side - 1 - near, side - 1 - near),
          "top right": (near, side - 1 - near)}[corner]
    ends = {"top left": ((far, at[1]), (at[0], far)), "bottom right": ((0.0, at[1]), (at[0], 0.0)),
            "top right": ((far, at[1]), (at[0], 0.0))}[corner]
    corner_lines = stroke((side, side), [ends[0], at, ends[1]], line)  # (5 px filled 9 % of its box)
    seen = preprocess(pencil_photo(np.maximum(digit, corner_lines)))
    alone = preprocess(pencil_photo(digit))
    assert seen.box_side == pytest.approx(alone.box_side, abs=0.05 * side)  # the digit's ink box, not the L's
    assert np.corrcoef(seen.image.ravel(), alone.image.ravel())[0, 1] > 0.9


def test_a_digit_written_off_the_edge_stays_beside_a_fleck():
    """A 7 whose bar runs off the frame, as wide and tall as an L, with a fleck of pencil beside it: its
    stroke crosses its box, so it is no outline, and the digit still (all stays, as before)."""
    digit = stroke((SIDE, SIDE), [(60, 0), (60, 300), (399, 150)], 4)
    fleck = stroke((SIDE, SIDE), [(300, 330), (306, 336)], 6)
    seen = preprocess(pencil_photo(np.maximum(digit, fleck)))
    assert seen.box_side >= 0.8 * SIDE  # the 7 is there
