"""Other writers' scans: small crops (USPS's 16 px, filled to the frame, a form's field cut at its box), binary
scans, and what a writer adds beside a digit (an underline, a full stop)."""

import numpy as np
import pytest
from PIL import Image

from sae_desktop.images import ink_on_black, load_image_file
from sae_desktop.preprocess import preprocess, softened
from sae_desktop.probe import probe_image
from sae_desktop.sheet import CROP_PX, crop_paper, is_crop
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

INDICES = range(0, 3000, 10)  # 300 test digits, every class


@pytest.fixture(scope="module")
def bundled():
    return ModelSnapshot.load(bundled_model_path())


def fitted(digit: np.ndarray, side: int, margin: int) -> np.ndarray:
    """An MNIST test digit's ink box scaled (its aspect kept) to fill a ``side``-px square but ``margin``."""
    ys, xs = np.nonzero(digit > 30)
    box = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = box.shape
    scale = (side - 2 * margin) / max(h, w)
    small = Image.fromarray(box).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR)
    canvas = Image.new("L", (side, side), 0)
    canvas.paste(small, ((side - small.width) // 2, (side - small.height) // 2))
    return np.asarray(canvas)


def alike(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two 28×28 inputs, centred by whole pixels (one apart at most)."""
    return max(np.corrcoef(np.roll(a, (dy, dx), (0, 1)).ravel(), b.ravel())[0, 1]
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


@pytest.mark.parametrize("side, margin", [(16, 0), (20, 1)])
def test_a_dark_digit_filling_a_small_crop_reads_as_itself(mnist, side, margin):
    """USPS-like crops, dark ink on white, the digit to the frame: a bold 0 read as its hole (the image's
    median was the ink's), a bold 5 as a sheet on a white desk, a 9 "too faint" (the paper's fit rose into
    a digit half the picture, its noise 25 %): 13 and 6 of these 300 were unlike their digit."""
    for i in INDICES:
        native = preprocess(mnist.test_images[i] / 255).image
        crop = 1 - fitted(mnist.test_images[i], side, margin) / 255
        result = preprocess(ink_on_black(crop))
        assert not result.empty and alike(result.image, native) > 0.7, i


@pytest.mark.parametrize("side", [24, 32])
def test_a_crop_of_a_forms_field_cut_at_its_box_reads_as_its_digit(mnist, side):
    """A form's field cropped at its printed box: the box's line was kept as ink (about half "tangled"), and
    with the crop's paper its frame's tone, the line all along the frame was taken for the paper (the input
    a negative)."""
    alike_count = 0
    for i in range(3000, 3600, 6):
        native = preprocess(mnist.test_images[i] / 255).image
        crop = 1 - 0.85 * fitted(mnist.test_images[i], side, 3) / 255
        crop[0, :] = crop[-1, :] = crop[:, 0] = crop[:, -1] = 0.1  # the box's line
        result = preprocess(ink_on_black(crop))
        alike_count += not result.empty and alike(result.image, native) > 0.7
    assert alike_count >= 95


def test_a_crop_is_read_on_its_frame_and_a_photo_is_not():
    ring = np.zeros((16, 16), np.float32)
    ring[:, 3:13] = 1.0  # ink touching the frame at the top and bottom: the frame still mostly paper
    ring[4:12, 6:10] = 0.0
    assert is_crop(ring) and not is_crop(np.zeros((CROP_PX + 1, 8)))
    assert crop_paper(ring) == (0.0, 0.0)  # (the ink on the frame is no paper, nor its noise)
    rng = np.random.default_rng(0)
    noisy = np.clip(0.3 + rng.normal(0, 0.02, (16, 16)) + 0.6 * ring, 0, 1)
    paper, noise = crop_paper(noisy)
    assert abs(paper - 0.3) < 0.02 and 0.01 < noise < 0.04
    # dark ink on a light crop, most of its pixels ink (the median is the ink's): still dark ink
    assert ink_on_black(1 - ring)[8, 4] == 1.0 and ink_on_black(1 - ring)[0, 0] == 0.0


def test_a_hard_edged_crop_is_softened_and_a_grey_edged_one_is_not():
    hard = np.zeros((20, 20), np.float32)
    hard[4:16, 8:12] = 1.0
    soft = softened(hard)
    assert soft.shape == (22, 22) and 0 < soft[5, 9] < 1 and soft[11, 10] > 0.9  # (padded by 1)
    assert np.isclose(soft.sum(), hard.sum(), rtol=1e-3)
    grey = hard.copy()
    grey[4:16, 7] = grey[4:16, 12] = 0.5  # grey edges: a third of the ink
    assert softened(grey) is grey


def unusual_count(bundled, images) -> int:
    return sum(probe_image(bundled, image)[1].verdict.kind != "typical" for image in images)


@pytest.mark.parametrize("side", [16, 64])
def test_binary_scans_read_as_their_digits_do(bundled, mnist, tmp_path, side):
    """MNIST's test digits made binary (a 16-px scan's, a 64-px 1-bit bitmap's): unsoftened, 38 and 24 of
    these 300 read other than "typical", against 18 of the digits themselves; 6 and 9 now."""
    native = unusual_count(bundled, [ink_on_black(mnist.test_images[i] / 255) for i in INDICES])
    binary = []
    for i in INDICES:
        digit = fitted(mnist.test_images[i], 16, 0) if side == 16 else mnist.test_images[i]
        big = np.asarray(Image.fromarray(digit).resize((side, side), Image.BILINEAR)) > 100
        Image.fromarray(~big).convert("1").save(tmp_path / "scan.png")
        binary.append(load_image_file(tmp_path / "scan.png"))
    assert unusual_count(bundled, binary) <= native


def test_a_small_image_of_one_tone_is_all_ink_as_a_larger_one_is():
    """(A crop's paper is its frame's tone: of a single tone, the whole image was taken for paper.)"""
    for side in (1, 3, CROP_PX, CROP_PX + 1):
        assert not preprocess(np.full((side, side), 1, np.uint8)).empty


@pytest.mark.parametrize("extra", ["underline", "full stop"])
def test_an_underline_or_a_full_stop_beside_a_scanned_digit_goes(mnist, extra):
    """Kept as ink, they widened the ink's box: the digit shrank off centre, "unlike" or "strokes unlike a
    digit's" (a helper's scans: 15 of 25 underlined digits, 7 of 25 with a full stop)."""
    read = 0
    for i in range(3000, 3400, 20):
        digit = fitted(mnist.test_images[i], 80, 0).astype(np.float32) / 255
        page = np.zeros((130, 150), np.float32)
        page[15:95, 25:105] = digit
        cols = np.flatnonzero(digit.max(axis=0) > 0.3) + 25
        bottom = np.flatnonzero(digit.max(axis=1) > 0.3).max() + 15
        if extra == "underline":
            page[bottom + 10:bottom + 13, cols.min() - 5:cols.max() + 6] = 1.0
        else:
            yy, xx = np.mgrid[0:130, 0:150]
            page = np.maximum(page, np.clip(6.5 - np.hypot(yy - bottom + 5, xx - cols.max() - 25), 0, 1))
        result = preprocess(ink_on_black(1 - 0.8 * page))
        read += not result.empty and alike(result.image, preprocess(mnist.test_images[i] / 255).image) > 0.7
    assert read >= 19


def test_a_curve_below_the_digit_as_flat_as_an_underline_stays():
    """A 9's base drawn apart from its stem (a thin pen's file): as flat as an underline, but curved."""
    from sae_desktop.paper import _without_underline_or_stop

    ink = np.zeros((200, 200), np.float32)
    ink[20:120, 95:100] = 1.0  # the stem
    xs = np.arange(40, 160)
    for line, rows in (("straight", np.full(xs.size, 150)), ("curve", 140 + ((xs - 100) / 60.0) ** 2 * 16)):
        mark = ink.copy()
        for x, y in zip(xs, rows.astype(int)):
            mark[y:y + 2, x] = 1.0
        kept = _without_underline_or_stop(mark)
        assert (kept[130:] > 0).any() == (line == "curve"), line
