"""A photo that shows what lies beyond the sheet: the sheet alone is the input (sae_desktop/sheet.py)."""

import numpy as np
import pytest
from PIL import Image

from sae_desktop.images import load_image_file, read_image_file
from sae_desktop.preprocess import preprocess
from sae_desktop.resample import resize
from sae_desktop.verdict import plain_check


def photo(mnist, index, table, paper, sheet_share, shape, noise=0.0, seed=0):
    """An MNIST test digit in pencil on a square sheet (``sheet_share`` of the photo), on an even table;
    the sheet's top-left corner too."""
    rng = np.random.default_rng(seed)
    h, w = shape
    out = np.full(shape, table, np.float32)
    side = int(np.sqrt(sheet_share * h * w))
    top, left = (h - side) // 2 + 7, (w - side) // 2 - 11
    sheet = np.full((side, side), paper, np.float32)
    digit = resize(mnist.test_images[index].astype(np.float32) / 255, side * 2 // 3, side * 2 // 3)
    sheet[side // 6:side // 6 + digit.shape[0], side // 6:side // 6 + digit.shape[1]] *= 1 - 0.85 * np.clip(digit, 0, 1)
    out[top:top + side, left:left + side] = sheet
    if noise:
        out += rng.normal(0, noise, shape).astype(np.float32)
    return np.round(255 * np.clip(out, 0, 1)).astype(np.uint8), (top, left, side)


def read(tmp_path, pixels):
    Image.fromarray(pixels).save(tmp_path / "photo.png")
    return load_image_file(tmp_path / "photo.png")


def is_the_sheet(grey, side):
    """The image is the sheet, ``side`` px square, less a rim of a few px (its edge is of no one tone)."""
    return all(side - 10 <= n <= side for n in grey.shape)


def reads_as_the_digit(mnist, index, grey, turn=0.0):
    """The photo's input is the digit's: no plain check, its 28×28 image close to MNIST's own as a file's
    (turned by ``turn`` degrees)."""
    result = preprocess(grey)
    assert not result.empty and plain_check(result) is None, plain_check(result).message
    clean = Image.fromarray(mnist.test_images[index]).resize((280, 280)).rotate(turn, Image.BILINEAR)
    clean = preprocess(np.asarray(clean, np.float32) / 255)
    alike = max(np.corrcoef(np.roll(result.image, (dy, dx), (0, 1)).ravel(), clean.image.ravel())[0, 1]
                for dy in (-1, 0, 1) for dx in (-1, 0, 1))  # (centred by whole pixels: one apart at most)
    assert alike > 0.85
    return result


@pytest.mark.parametrize("table, noise", [(0.1, 0.0), (0.1, 0.01), (0.2, 0.01), (0.05, 0.0)])
def test_a_small_sheet_on_a_dark_table_is_the_paper(mnist, tmp_path, table, noise):
    """A note a twelfth of the photo, on a dark desk: the sheet could fit no square 40 % of the photo's
    side, so the table was the paper and the sheet read as ink ("a filled shape"); the sheet alone is
    the input now, its tone the paper's."""
    pixels, (top, left, side) = photo(mnist, 0, table, 0.85, 0.08, (1200, 1600), noise)
    grey = read(tmp_path, pixels)
    assert is_the_sheet(grey, side // 2)  # (the photo is read at half size: 1600 px > WORK_SIZE)
    assert read_image_file(tmp_path / "photo.png").part == ("sheet" if noise else "canvas")  # (the line says it)
    assert grey[5, 5] < 0.2 and np.percentile(grey, 99) > 0.7  # the sheet dark, the 7's strokes bright
    reads_as_the_digit(mnist, 0, grey)


@pytest.mark.parametrize("table", [0.05, 0.1])
def test_a_noise_free_sheet_on_a_near_black_table_loses_the_table(mnist, tmp_path, table):
    """A sheet a third of a noise-free photo (a composite, a clean scan) on a near-black table: the table,
    the pencil's and the paper's tones are each of one tone, the photo was taken for a drawing program's
    two tones, and the table stayed as ink, a frame around the digit ("unlike MNIST")."""
    pixels, _ = photo(mnist, 0, table, 0.85, 0.33, (600, 800))
    reads_as_the_digit(mnist, 0, read(tmp_path, pixels))
    assert read_image_file(tmp_path / "photo.png").part == "canvas"  # (a noise-free page: as a screenshot's canvas)


@pytest.mark.parametrize("desk", [0.95, 1.0])
def test_a_grey_sheet_on_a_white_desk_is_the_paper(mnist, tmp_path, desk):
    """Recycled grey paper on a white desk: the desk, brighter than the paper, was taken for the paper
    and the sheet for the ink ("a filled shape"): the dark marks on it tell it is the sheet."""
    pixels, (top, left, side) = photo(mnist, 0, desk, 0.7, 0.08, (1200, 1600))
    grey = read(tmp_path, pixels)
    assert is_the_sheet(grey, side // 2)
    reads_as_the_digit(mnist, 0, grey)


@pytest.mark.parametrize("index", [800, 2550, 3, 10])
@pytest.mark.parametrize("dark_ink", [False, True])
def test_a_bold_digit_on_even_paper_is_not_taken_for_a_sheet(mnist, tmp_path, index, dark_ink):
    """The paper all around a bold digit is as even as a table around a sheet, and the digit, its loops
    filled, can fit as large a square: an 8's filled loops are nearly as compact and convex as a sheet,
    and the strokes' grey rims and the loops are marks on it. Such a digit stays whole, on its paper."""
    big = np.asarray(Image.fromarray(mnist.test_images[index]).resize((280, 280), Image.BILINEAR))
    grey = read(tmp_path, 255 - big if dark_ink else big)
    assert grey.shape == (280, 280)
    assert abs(grey.mean() - big.mean() / 255) < 0.02  # the ink bright, the paper dark, as they were


@pytest.mark.parametrize("share, whole", [(0.15, True), (0.8, False)])
def test_a_turned_sheet_keeps_its_digit_and_is_cut_out_only_when_all_of_it_is_in_the_photo(
        mnist, tmp_path, share, whole):
    """A sheet turned 12°, lit from one side: the table left in its box (the corners) takes the sheet's
    tone nearest it (the sheet's median drew the corners' edges as strokes); a sheet reaching the frame
    is not cut out (the paper's fit takes off the table that shows, as before)."""
    from scipy import ndimage

    pixels, _ = photo(mnist, 0, 0.1, 0.8, share, (800, 800), noise=0.01)
    lit = pixels.astype(np.float32) * (0.9 + 0.2 * np.linspace(0, 1, 800)[None, :])  # (the light from the right)
    turned = ndimage.rotate(lit, 12, reshape=False, order=1, mode="nearest")
    grey = read(tmp_path, np.clip(turned, 0, 255).astype(np.uint8))
    side = int(np.sqrt(share * 800 * 800) * (np.cos(np.radians(12)) + np.sin(np.radians(12))))
    assert grey.shape[0] < side + 2 if whole else grey.shape == (800, 800)
    reads_as_the_digit(mnist, 0, grey, turn=12)


def test_mnists_own_digits_as_files_are_never_taken_for_a_sheet(mnist):
    """MNIST's digits, white on black, 28 px: their frame is the paper's even tone, and none is a sheet
    (the sheet's shape measured after a 5-px majority filter made a bold 8 a blob: a sheet, read inverted)."""
    from sae_desktop.images import ink_on_black

    digits = mnist.test_images[:1000].astype(np.float32) / 255
    kept = [np.array_equal(ink_on_black(d), d) for d in digits]
    assert all(kept), [i for i, same in enumerate(kept) if not same]


def shadowed(mnist, index, shadow_share, side, noise, seed=0):
    """A pencil digit on white paper (600×800), a hard shadow over ``side`` of the page (its ``shadow_share``),
    the digit beside it on the lit paper."""
    rng = np.random.default_rng(seed)
    out = np.full((600, 800), 0.84, np.float32)
    digit = resize(mnist.test_images[index].astype(np.float32) / 255, 240, 240)
    out[180:420, 420:660] *= 1 - 0.85 * np.clip(digit, 0, 1)
    if side == "left":
        out[:, :int(shadow_share * 800)] *= 0.5
    else:
        out[:int(shadow_share * 600), :400] *= 0.5  # (the top left: a hand's shadow)
    out += rng.normal(0, noise, out.shape).astype(np.float32)
    return np.round(255 * np.clip(out, 0, 1)).astype(np.uint8)


@pytest.mark.parametrize("share, side, noise", [(0.37, "left", 0.01), (0.45, "left", 0.02), (0.6, "top", 0.01)])
def test_a_digit_beside_a_hard_shadow_keeps_the_lit_paper_as_its_paper(mnist, tmp_path, share, side, noise):
    """A shadow over the page's left third, the 6 beside it: the shadow, solid and reaching the frame, was taken for
    a grey sheet and its tone for the paper's, the lit paper for ink ("too faint to tell from the light", the 6
    lost). The marks are beside the shadow, none on it: the lit paper is the paper."""
    grey = read(tmp_path, shadowed(mnist, 11, share, side, noise))
    assert grey[300, 700] < 0.2  # the lit paper dark, as paper is once the ink is the bright side
    reads_as_the_digit(mnist, 11, grey)



@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_a_hands_soft_shadow_across_a_corner_is_light_not_a_table(mnist, tmp_path, noise):
    """A 3 beside a hand's shadow over the page's upper left, its edge soft: the shadow, reaching the frame, was taken
    for a table, and its edge stayed as a line across the 3's input ("unusual"). Taken off as light the quadratic could
    not follow, it leaves no table, and the 3 is its input."""
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[0:600, 0:800]
    out = 0.9 - 0.35 * np.clip((650 - (xx + yy)) / 40, 0, 1)  # the shadow, its edge 40 px soft
    digit = resize(mnist.test_images[18].astype(np.float32) / 255, 260, 260)  # a 3
    out[170:430, 380:640] *= 1 - 0.8 * np.clip(digit, 0, 1)
    out += rng.normal(0, noise, out.shape)
    grey = read(tmp_path, np.round(255 * np.clip(out, 0, 1)).astype(np.uint8))
    reads_as_the_digit(mnist, 18, grey)


@pytest.mark.parametrize("index", [200, 2520, 4640])  # a 3 and two 8s
def test_a_bold_digit_cut_tight_is_read_as_itself_not_its_negative(mnist, tmp_path, index):
    """A digit cut tight at its ink and enlarged (a 60 × 100 crop), its strokes filling most of it: its copy with the
    gaps closed fitted a square 40 % of the crop wide, so the digit was taken for a grey sheet on a white table and
    read as its negative (34 of 500 such crops, "too faint" or "typical" with the paper's shape as input). No square
    fits the strokes themselves: the frame's tone is the paper."""
    from sae_desktop.sheet import frame_pixels

    digit = mnist.test_images[index].astype(np.float32) / 255
    rows, cols = np.flatnonzero(digit.max(1) > 0.05), np.flatnonzero(digit.max(0) > 0.05)
    crop = Image.fromarray(mnist.test_images[index][rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    up = np.asarray(crop.resize((crop.width * 5, crop.height * 5), Image.BICUBIC), np.float32) / 255
    photo = 0.75 - 0.4 * up + np.random.default_rng(index).normal(0, 0.012, up.shape)
    grey = read(tmp_path, np.round(255 * np.clip(photo, 0, 1)).astype(np.uint8))
    assert np.median(frame_pixels(grey)) < 0.4  # the paper dark, the strokes bright
