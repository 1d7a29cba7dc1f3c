"""What is not paper (background.py): found where it is, never in the digit's strokes."""

import numpy as np
import pytest

from benchmarks.synthetic_inputs import polyline
from sae_desktop.background import off_paper, stroke_width_px, take_off, without_frame_marks


def seven(side=300, width=6.0):
    return polyline((side, side), [(0.3 * side, 0.3 * side), (0.3 * side, 0.7 * side), (0.75 * side, 0.45 * side)],
                    width).astype(np.float64)


def test_stroke_width_is_the_strokes_width():
    assert abs(stroke_width_px(seven(width=6.0) > 0.5) - 6.0) < 1.0
    assert abs(stroke_width_px(seven(width=12.0) > 0.5) - 12.0) < 1.5


def test_ink_along_the_images_edge_counts_its_outline_once():
    """A crop is cut at its ink box, so ink always reaches its edges: a bar measures as wide
    there as away from them (a one-pixel pad counted the edge 1.5 times: a block filling its
    crop measured 2/3 of its width, and half a black image read as a bold 1)."""
    inside = np.zeros((120, 60))
    inside[10:110, 20:40] = 1.0
    assert stroke_width_px(np.ones((100, 20))) == pytest.approx(stroke_width_px(inside), rel=0.02)
    assert stroke_width_px(np.ones((80, 40))) == pytest.approx(80 * 40 / (80 + 40), rel=0.02)  # area / half outline


def test_a_table_along_the_frame_is_found_and_taken_off_and_the_digit_kept():
    rng = np.random.default_rng(0)
    digit = 0.5 * seven()
    image = digit + rng.normal(0, 0.01, digit.shape)
    image[:, :40] += 0.6  # the table beyond the sheet's edge, ink bright
    image[:, 40:50] += 0.6 * np.linspace(1, 0, 10)  # (its edge out of focus)
    found = off_paper(image, 0.04)
    assert found is not None
    assert found.region[:, :38].mean() > 0.95 and not found.region[:, 60:].any()
    levelled = take_off(image, found, 0.04, 4.0)
    assert (levelled[:, :40] > 0.04).mean() < 0.01  # no ink left where the table was
    np.testing.assert_array_equal(levelled[:, 60:], image[:, 60:])  # the digit untouched


def test_a_table_or_shadow_the_digit_reaches_is_found_too_and_the_digit_kept():
    """A 7 written down to the sheet's edge, the table all around it, or up into a shadow across a
    corner: every mark reached the frame, so no stroke told how wide strokes are, and the table
    stayed as ink and framed the digit (the shadow, a wedge beside it)."""
    rng = np.random.default_rng(2)
    digit = polyline((300, 300), [(90, 90), (90, 210), (300, 130)], 6.0).astype(np.float64)
    image = 0.5 * digit + rng.normal(0, 0.01, digit.shape)
    table = np.ones((300, 300), bool)
    table[25:-25, 25:-25] = False  # the table around the sheet, ink bright
    image[table] = 0.6 + rng.normal(0, 0.01, table.sum())
    found = off_paper(image, 0.04)
    assert found is not None
    assert found.region[table].mean() > 0.9
    assert not (found.region & (digit > 0.5))[35:-35, 35:-35].any()  # (the region reaches a little into the foot)
    levelled = take_off(image, found, 0.04, 4.0)
    assert (levelled[table & (digit == 0)] > 0.04).mean() < 0.01
    assert (levelled[(digit > 0.99) & ~table] > 0.3).mean() > 0.99
    shadow = (np.arange(300)[:, None] + np.arange(300)[None, :]) < 110  # a shadow across a corner, the 7 into it
    digit = polyline((300, 300), [(40, 30), (90, 210), (280, 130)], 6.0).astype(np.float64)
    image = 0.5 * digit + 0.4 * shadow + rng.normal(0, 0.01, digit.shape)
    found = off_paper(image, 0.04)
    assert found is not None and found.region[shadow].mean() > 0.8
    levelled = take_off(image, found, 0.04, 4.0)
    assert (levelled[shadow & (digit == 0)] > 0.04).mean() < 0.02
    for width in (6.0, 12.0, 25.0, 40.0):  # but a 7 cropped tight, its bar all along the frame, is no table
        rows, cols = np.nonzero(seven(width=width) > 0.5)
        tight = seven(width=width)[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        found = off_paper(0.5 * tight + rng.normal(0, 0.01, tight.shape), 0.04)
        assert found is None or not (found.region & (tight > 0.5)).any(), width


def test_strokes_ruled_lines_and_tight_crops_are_never_taken_for_background():
    rng = np.random.default_rng(1)
    ruled = 0.5 * seven() + rng.normal(0, 0.01, (300, 300))
    ruled[::50, :] += 0.3  # ruled lines reach the frame, the digit crosses them
    ruled[1::50, :] += 0.3
    ruled[275:277, 100:200] += 0.3  # and a piece of a line the photo's light broke off: thin ink off the frame
    found = off_paper(ruled, 0.04)
    assert found is None or not (found.region & (seven() > 0.5)).any()
    bold = seven(width=40.0)[40:260, 60:240]  # cropped tight: every stroke reaches the frame…
    bold = bold + rng.normal(0, 0.01, bold.shape)
    bold[100, 20] += 0.2  # …and a speck of dust off it
    assert off_paper(bold, 0.04) is None
    marker = 0.5 * seven(width=30.0)  # a marker's strokes, one of them over the frame
    marker = np.roll(marker, -80, axis=0) + rng.normal(0, 0.01, marker.shape)
    marker[250:256, 250:256] += 0.5  # and a separate dot
    found = off_paper(marker, 0.04)
    assert found is None or not (found.region & (marker > 0.2)).any()
    strokes = polyline((300, 300), [(0, 100), (150, 100)], 12.0) + polyline((300, 300), [(120, 160), (260, 200)], 12.0)
    strokes = 0.5 * strokes + rng.normal(0, 0.01, strokes.shape)  # a stroke from the frame in, another off it
    found = off_paper(strokes, 0.04)
    assert found is None or not (found.region & (strokes > 0.2)).any()


def test_marks_at_the_frame_apart_from_the_digit_go_unless_the_digit_reaches_it():
    digit = seven()
    wedge = np.zeros_like(digit)
    wedge[:30, 250:] = np.tri(30, 50, 20)[:, ::-1]  # a table's corner left by a tilted sheet
    kept = without_frame_marks(digit + wedge)
    np.testing.assert_array_equal(kept, digit)
    rows, cols = np.nonzero(seven())
    tight = seven()[rows.min():rows.max() + 1, cols.min():cols.max() + 1]  # cropped to the digit: it reaches the frame
    corner = tight.copy()
    corner[:10, -10:] = 1.0
    np.testing.assert_array_equal(without_frame_marks(corner), corner)


def test_in_a_noisy_photo_a_mark_barely_above_the_paper_is_no_digit_however_wide():
    """A light desk beside a turned sheet, barely above the paper's noise, is speckle joined into one mark
    ten times the digit's area and a fifth of its ink (seen in a photo: it stayed, a bar beside a 9)."""
    rng = np.random.default_rng(1)
    digit = seven()
    wedge = np.zeros_like(digit)
    wedge[:, 240:] = (rng.random((digit.shape[0], 60)) < 0.6) * rng.uniform(0.005, 0.04, (digit.shape[0], 60))
    assert np.count_nonzero(wedge) > 3 * np.count_nonzero(digit) and wedge.sum() < 0.5 * digit.sum()
    kept = without_frame_marks(digit + wedge, noisy=True)
    np.testing.assert_array_equal(kept[:, :240], digit[:, :240])
    assert kept[:, 240:].sum() < 0.02 * wedge.sum()  # (a few specks apart from it stay: the specks' rule's)
    np.testing.assert_array_equal(without_frame_marks(digit + wedge), digit + wedge)  # (by area: the widest)


def test_a_forms_box_lines_as_dark_as_the_digit_are_no_digit_for_their_ink():
    """Lines of a form's box at the crop's sides, thin and dark: more ink than a lighter digit, fewer pixels.
    Weighed by their ink alone, they outranked it and stayed (a framed 5, "unlike")."""
    digit = 0.5 * seven(width=6.0)
    lines = np.zeros_like(digit)
    lines[:, -3:-1] = lines[1:3, 150:] = lines[150:, 1:3] = 1.0  # the right side, part of the top and left
    assert np.count_nonzero(lines) < np.count_nonzero(digit) and lines.sum() > digit.sum()
    np.testing.assert_array_equal(without_frame_marks(digit + lines, noisy=True), digit)


def test_a_region_at_the_frame_is_no_digit_however_much_ink_it_has_unless_the_rest_is_a_fleck():
    """A dark table's corner beside a turned sheet (under 1 % of the photo, too small for off_paper) had more
    ink than a pencil 7 and was taken for the digit cut at the frame: it stayed, the 7 a dot in the input."""
    digit = 0.6 * seven(width=4.0)
    corner = np.zeros_like(digit)
    corner[:60, 250:] = np.tri(60, 50, 10)[:, ::-1]  # a wedge 50 px wide, holding a square 2.5 strokes wide
    assert corner.sum() > 3 * digit.sum()
    np.testing.assert_array_equal(without_frame_marks(digit + corner, noisy=True), digit)
    fleck = np.zeros_like(digit)
    fleck[150:160, 150] = 0.5  # a blank sheet: the corner and a fleck (a shadow's edge and a bit of it)
    np.testing.assert_array_equal(without_frame_marks(fleck + corner, noisy=True), fleck + corner)


def test_the_strokes_width_away_from_the_frame_is_theirs_and_a_speckled_region_has_none():
    """Where all ink reaches the frame, the strokes' width comes from their middles away from it;
    a noisy region's speckled grain measured 1 px, and a region of a tight crop's paper light was
    then taken off with the digit's stroke."""
    from sae_desktop.background import _width_away_from_frame

    for width in (4.0, 6.0, 12.0):
        assert _width_away_from_frame(seven(width=width) > 0.5) == pytest.approx(width, abs=1.5)
    speckled = np.random.default_rng(3).random((300, 300)) < 0.5
    assert np.isnan(_width_away_from_frame(speckled))


def test_printed_text_away_from_a_photos_digit_is_no_part_of_it():
    """A form's printed words above and below a pencil digit (a name, a question's number), apart from
    it: the ink's box took them in, and the digit was a blob between two dashes in the model's input."""
    from PIL import Image, ImageDraw, ImageFont

    from benchmarks.synthetic_inputs import photo_digit
    from sae_desktop.images import ink_on_black
    from sae_desktop.preprocess import preprocess

    seven = np.zeros((28, 28), np.uint8)
    seven[6:9, 7:21] = 255
    for i in range(9, 23):
        seven[i, 20 - (i - 9) // 2:23 - (i - 9) // 2] = 255
    sheet = photo_digit(seven, np.random.default_rng(0), side=400)
    page = Image.fromarray(np.pad(sheet, ((120, 120), (0, 0)), mode="edge"))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=30)  # (a scalable font: letters each over 1 % of the ink, no specks)
    draw.text((20, 30), "Name: Jo Smith", fill=60, font=font)
    draw.text((20, 580), "q 2) 58", fill=60, font=font)
    seen = preprocess(ink_on_black(np.asarray(page, np.float32) / 255))
    alone = preprocess(ink_on_black(sheet.astype(np.float32) / 255))
    assert abs(seen.box_side - alone.box_side) <= 4  # the digit's box, not the page's
    alike = max(np.corrcoef(np.roll(seen.image, (dy, dx), (0, 1)).ravel(), alone.image.ravel())[0, 1]
                for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert alike > 0.9
