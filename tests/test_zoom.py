"""A small digit in a large image is read again at the file's own resolution round its ink (zoom.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sae_desktop.images import read_image_file
from sae_desktop.zoom import MARGIN, ink_window, unturned


def seven(side: int = 28) -> np.ndarray:
    """A 7 in ``side`` px, dark on white: a bar and a slanted stroke, 3 px wide per 28."""
    a = np.full((side, side), 255, np.uint8)
    w = max(1, round(3 * side / 28))
    a[side // 5:side // 5 + w, side // 5:side * 4 // 5] = 0
    for y in range(side // 5, side * 9 // 10):
        x = side * 4 // 5 - (y - side // 5) * 2 // 5
        a[y, max(0, x - w):x] = 0
    return a


def page(side: int, digit: np.ndarray, at: tuple[int, int]) -> np.ndarray:
    a = np.full((side, side), 255, np.uint8)
    a[at[0]:at[0] + digit.shape[0], at[1]:at[1] + digit.shape[1]] = digit
    return a


def test_a_turned_images_box_is_found_where_it_came_from():
    a = np.zeros((30, 50), np.uint8)
    a[5:9, 10:20] = 255
    img = Image.fromarray(a)
    for turn in [None, *Image.Transpose]:
        turned = np.asarray(img.transpose(turn) if turn is not None else img)
        rows, cols = np.nonzero(turned)
        box = (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
        assert unturned(box, (50, 30), turn) == (10, 5, 20, 9), turn


def test_the_window_holds_the_small_ink_with_room_round_it_and_stays_inside():
    ink = np.zeros((500, 700), np.float32)
    ink[3:13, 2:10] = 1.0  # 10 px of ink in the corner
    assert ink_window(ink, 1.0) is None  # (not shrunk: nothing more to read)
    top, left, bottom, right = ink_window(ink, 2.0)
    assert (top, left) == (0, 0) and bottom - top == right - left == round(10 * (2 * MARGIN + 1))  # slid, not cut
    ink[100:300, 100:300] = 1.0  # the ink is large: read well enough already
    assert ink_window(ink, 4.0) is None


@pytest.mark.parametrize("side", [1025, 1500, 3000])
def test_a_test_sized_digit_in_a_large_page_is_read_at_the_files_resolution(tmp_path, side):
    """A 28-px digit in the corner of a 1500-px page read "Too small: the ink spans 10 px" (20 in the file):
    the page was halved to 1024 px; at 1024 px it read typical."""
    from sae_desktop.probe import probe_image
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    Image.fromarray(page(side, seven(), (20, 20))).save(tmp_path / "corner.png")
    grey, frames, part = read_image_file(tmp_path / "corner.png")
    assert part == "ink" and max(grey.shape) < 300  # the digit's window, not the page
    stages, result = probe_image(ModelSnapshot.load(bundled_model_path()), grey)
    assert stages.box_side >= 18 and result.verdict.kind != "small"


def test_a_turned_photos_small_digit_is_read_again_where_it_is(tmp_path):
    """A phone's JPEG, held turned (EXIF orientation 6): the window is found in the file's own rows and columns."""
    big = np.asarray(Image.fromarray(seven()).resize((60, 60), Image.BILINEAR))
    a = page(2400, big, (300, 1700))
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(a).transpose(Image.Transpose.ROTATE_90).save(tmp_path / "turned.jpg", exif=exif, quality=95)
    grey, _, part = read_image_file(tmp_path / "turned.jpg")
    assert part == "ink" and 150 < max(grey.shape) < 600  # the window, at the file's resolution (not the page)
    Image.fromarray(a).save(tmp_path / "upright.jpg", quality=95)  # the page as the camera's turn shows it
    upright, _, _ = read_image_file(tmp_path / "upright.jpg")

    def small(x: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(np.uint8(x * 255)).resize((64, 64), Image.BILINEAR), np.float64).ravel()

    assert np.corrcoef(small(grey), small(upright))[0, 1] > 0.8  # the digit, upright, where it is in its window


def test_a_thin_pencil_digit_on_noisy_paper_keeps_the_first_reading_where_the_second_disagrees(tmp_path):
    """A 4000-px photo of a thin grey 3 (4-px strokes, 85 levels under the paper, noise σ 2): read again round its
    ink, the strokes were under 0.5 % of the window and the paper was taken for the ink: "looks blank"."""
    from PIL import ImageDraw

    from sae_desktop.probe import probe_image
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    paper = Image.new("L", (4000, 3000), 180)
    pen = ImageDraw.Draw(paper)
    for top in (1400, 1460):  # a 3: two bowls, open to the left
        pen.arc((1900, top, 1990, top + 60), start=-150, end=90, fill=95, width=4)
    rng = np.random.default_rng(0)
    model = ModelSnapshot.load(bundled_model_path())
    for sigma in (2, 6):  # (σ 6: the paper's noise at 0.29 of the first reading filled a box from 0: no window)
        noisy = np.clip(np.asarray(paper, np.float64) + rng.normal(0, sigma, (3000, 4000)), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(tmp_path / "pencil.jpg", quality=90)
        grey, _, part = read_image_file(tmp_path / "pencil.jpg")
        stages, result = probe_image(model, grey)
        assert result is not None and result.verdict.kind != "nothing", (sigma, part)  # the strokes are the ink
        assert part == "ink", sigma  # …read round the ink, at the file's resolution


def test_a_large_digit_in_a_large_image_is_read_once(tmp_path):
    Image.fromarray(page(2000, np.asarray(Image.fromarray(seven()).resize((900, 900))), (500, 500))).save(
        tmp_path / "large.png")
    grey, _, part = read_image_file(tmp_path / "large.png")
    assert part == "" and max(grey.shape) == 1000
