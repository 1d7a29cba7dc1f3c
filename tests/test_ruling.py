"""A notebook's printed lines are no ink; a digit's strokes, however straight, stay (ruling.py)."""

import numpy as np
import pytest

from sae_desktop.preprocess import preprocess
from sae_desktop.ruling import without_lone_lines, without_ruling
from tests.test_preprocess import stroke

SIDE = 400
SEVEN = [(100, 120), (100, 280), (320, 180)]


def grid(gap: float, tilt: float, darkness: float = 0.25) -> np.ndarray:
    """Squared paper's lines, ink-bright (as levelled), turned by ``tilt`` degrees."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    a = np.deg2rad(tilt)
    on = [np.abs((u - 7 + gap / 2) % gap - gap / 2) < 1.0
          for u in (yy * np.cos(a) + xx * np.sin(a), xx * np.cos(a) - yy * np.sin(a))]
    return darkness * (on[0] | on[1]).astype(np.float32)


@pytest.mark.parametrize("tilt", [0.0, 1.2, -2.4])
def test_squared_papers_lines_go_and_the_digit_stays_whole(tilt):
    """On squared paper the digit touched the grid, one mark with it that reached the frame: the
    model saw a grey square with the digit in it."""
    digit = stroke((SIDE, SIDE), SEVEN, 8)
    ink = np.maximum(digit, grid(30, tilt))
    cleaned = without_ruling(ink)
    far = stroke((SIDE, SIDE), SEVEN, 40) == 0  # well away from the strokes
    assert (ink[far] > 0).mean() > 0.05 and (cleaned[far] > 0).mean() < 0.005  # the grid is gone…
    core = stroke((SIDE, SIDE), SEVEN, 4) > 0.99
    assert (cleaned[core] > 0.9).mean() > 0.98  # …and the strokes are whole, where they cross a line too


def test_a_digits_own_straight_strokes_and_a_few_lines_stay():
    """A 7 cropped tight has a bar across the whole image, a 4 two strokes across it; a hash sign
    or a box has two lines a way: no ruling, nothing taken out."""
    tight_seven = stroke((SIDE, SIDE), [(4, 0), (4, SIDE - 1), (SIDE - 1, 150)], 8)
    bars = sum(stroke((SIDE, SIDE), [(row, 0), (row, SIDE - 1)], 6) for row in (130, 270))
    hash_sign = np.clip(bars + bars.T, 0, 1)
    for ink in (tight_seven, hash_sign, np.zeros((SIDE, SIDE), np.float32), np.ones((5, 5), np.float32)):
        np.testing.assert_array_equal(without_ruling(ink), ink)


def test_a_photo_of_a_digit_on_squared_paper_reads_as_the_digit():
    """Through the whole preprocessing, as a photo (dark pencil on grey paper with its grid)."""
    digit = stroke((SIDE, SIDE), SEVEN, 6)
    paper = 0.8 - 0.1 * np.linspace(0, 1, SIDE)[None, :] - grid(26, 1.5, 0.1)
    photo = np.clip(paper - 0.4 * digit + np.random.default_rng(0).normal(0, 0.01, (SIDE, SIDE)), 0, 1)
    seen = preprocess(1.0 - photo)  # (ink bright, as images.ink_on_black gives it)
    alone = preprocess(stroke((SIDE, SIDE), SEVEN, 6))
    assert seen.box_side == pytest.approx(alone.box_side, abs=12)  # the ink's box is the digit's, not the sheet's
    alike = max(np.corrcoef(np.roll(seen.image, (dy, dx), (0, 1)).ravel(), alone.image.ravel())[0, 1]
                for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert alike > 0.85


def test_stripes_as_dark_as_everything_else_are_no_ruling():
    """A barcode or striped cloth: its lines are the darkest marks there are, no sheet's faint print;
    taken out, the image read "nothing drawn" instead of unlike a digit."""
    stripes = np.zeros((SIDE, SIDE), np.float32)
    stripes[:, 20::40] = stripes[:, 21::40] = 1.0
    np.testing.assert_array_equal(without_ruling(stripes), stripes)
    faint = np.maximum(stripes * 0.3, stroke((SIDE, SIDE), SEVEN, 8))  # fainter than the writing: a ruling
    assert without_ruling(faint)[:, 20].max() == 0


@pytest.mark.parametrize("turned", [False, True])
def test_a_notebooks_margin_goes_with_its_ruling_and_a_lone_line_stays(turned):
    """A ruled sheet's margin, one faint line across the ruling, stayed as ink where the digit
    touched it ("strokes unlike any digit's"); a single line without a ruling stays where it is nearly
    as dark as the writing (it may be a 1), and goes where it is far fainter (a printed line)."""
    ruled = np.zeros((SIDE, SIDE), np.float32)
    ruled[60::80, :] = 0.3
    margin = np.zeros((SIDE, SIDE), np.float32)
    margin[:, 110] = 0.3  # (the 7's bar starts at column 120: its stroke, 8 px wide, reaches 116…)
    margin[:, 111] = 0.3
    digit = stroke((SIDE, SIDE), [(100, 108), (100, 280), (320, 180)], 8)  # (…so this one crosses it)
    ink = np.maximum(np.maximum(ruled, margin), digit)
    if turned:
        ink, digit, margin = ink.T, digit.T, margin.T
    cleaned = without_ruling(ink)
    assert (cleaned[(margin > 0) & (digit == 0)] > 0).mean() < 0.01  # the margin is gone…
    assert (cleaned[digit > 0.99] > 0.9).mean() > 0.98  # …the digit whole
    lone = np.maximum(margin * 2.5, digit)  # no ruling, a line 0.75 as dark as the writing: it stays
    np.testing.assert_array_equal(without_ruling(lone), lone)
    faint = np.maximum(margin, digit)  # (0.3 of it: it goes, with the lone lines, after the marks at the frame)
    np.testing.assert_array_equal(without_ruling(faint), faint)
    assert (without_lone_lines(faint)[(margin > 0) & (digit == 0)] > 0).mean() < 0.01


@pytest.mark.parametrize("squared,quality", [(False, 85), (True, 75)])
def test_a_ruled_page_saved_as_a_jpeg_reads_as_its_digit(tmp_path, squared, quality):
    """JPEG (quality 85, as a phone or a messenger saves it) wipes the paper's fine noise out; its
    ringing around every line then stood four "noise deviations" above the paper: a sixth of the
    page was ink, the lines were no longer found, and a grey box with the digit read "Typical".
    On squared paper every mark reached the frame through the grid, the strokes measured as thin
    as its lines, and the bold digit's strokes were taken off as a shadow."""
    from PIL import Image

    from sae_desktop.images import read_image_file

    side, seven = 480, [(130, 150), (130, 330), (360, 220)]
    digit = stroke((side, side), seven, 20)[..., None]
    page = np.array([235, 232, 225], np.float32) * (1 - digit) + np.array([20, 20, 30], np.float32) * digit
    for row in range(18, side, 36 if not squared else 32):  # a notebook's blue ruling, 2 px every 36 (32)
        page[row:row + 2] = np.minimum(page[row:row + 2], [150, 170, 220])
        if squared:
            page[:, row:row + 2] = np.minimum(page[:, row:row + 2], [150, 170, 220])
    page += np.random.default_rng(43).normal(0, 3, page.shape)
    Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)).save(tmp_path / "page.jpg", quality=quality)
    grey = read_image_file(tmp_path / "page.jpg").grey  # (ink bright, as the window and the CLI read it)
    seen, alone = preprocess(grey), preprocess(stroke((side, side), seven, 20))
    assert seen.box_side == pytest.approx(alone.box_side, abs=20)  # the digit's box, not the page's (480)
    alike = max(np.corrcoef(np.roll(seen.image, (dy, dx), (0, 1)).ravel(), alone.image.ravel())[0, 1]
                for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert alike > 0.85


@pytest.mark.parametrize("rows", [(300,), (130, 300)])
def test_one_or_two_faint_printed_lines_across_a_pencil_digit_go(rows):
    """A digit written on a notebook's line, the crop showing one or two of them (no ruling: fewer than
    three): the lines, a quarter as dark as the pencil, stayed, were widened with the strokes and crossed
    the model's input as grey bars ("typical" all the same)."""
    digit = stroke((SIDE, SIDE), SEVEN, 6)
    lines = np.clip(sum(stroke((SIDE, SIDE), [(row, 0), (row, SIDE - 1)], 1.5) for row in rows), 0, 1)
    paper = 0.8 - 0.1 * np.linspace(0, 1, SIDE)[None, :] - 0.1 * lines
    photo = np.clip(paper - 0.4 * digit + np.random.default_rng(0).normal(0, 0.01, (SIDE, SIDE)), 0, 1)
    seen = preprocess(1.0 - photo)  # (ink bright, as images.ink_on_black gives it)
    far = stroke((SIDE, SIDE), SEVEN, 40) == 0
    assert (seen.levelled[far] > 0).mean() < 0.0005  # the lines are gone, away from the digit (a line: 0.004)
    alone = preprocess(stroke((SIDE, SIDE), SEVEN, 6))
    alike = max(np.corrcoef(np.roll(seen.image, (dy, dx), (0, 1)).ravel(), alone.image.ravel())[0, 1]
                for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert alike > 0.9


def test_a_faint_band_along_the_frame_is_no_printed_line():
    """What a table leaves along the sheet's edge, levelled (a band 10 % of the side, faint): no
    printed line (background.py's to take off); taken for one, its rows were bridged into blocks."""
    digit = stroke((SIDE, SIDE), SEVEN, 8)
    ink = digit.copy()
    ink[:40, :] = np.maximum(ink[:40, :], 0.3)
    np.testing.assert_array_equal(without_lone_lines(ink), ink)


@pytest.mark.parametrize("line_px", [1, 2, 3])
def test_a_clean_ruled_page_without_noise_reads_as_its_digit(tmp_path, line_px):
    """A lined page without noise (a paint program's template, a PDF's export): paper and lines of one tone
    each, so read as a drawing's two tones, where no ruling was looked for: the lines stayed, the ink's box
    was the whole page and the digit sat small in a grey block of lines, "Typical" all the same."""
    from PIL import Image

    from sae_desktop.images import read_image_file

    side, seven = 600, [(170, 190), (170, 410), (440, 300)]
    digit = stroke((side, side), seven, 14)
    page = np.full((side, side), 242.0)
    for row in range(20, side, 30):
        page[row:row + line_px] = 150.0
    page = page * (1 - digit) + 25.0 * digit
    Image.fromarray(page.astype(np.uint8)).save(tmp_path / "lined.png")
    grey = read_image_file(tmp_path / "lined.png").grey
    seen, alone = preprocess(grey), preprocess(stroke((side, side), seven, 14))
    assert seen.noise == 0.0  # (no noise: the drawing's path, where it went wrong)
    assert seen.box_side == pytest.approx(alone.box_side, abs=12)  # the digit's box, not the page's (600)
    assert np.corrcoef(seen.image.ravel(), alone.image.ravel())[0, 1] > 0.9
