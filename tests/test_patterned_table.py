"""A sheet on a checked or striped tablecloth: the sheet alone is the input (patterned_table.py)."""

import numpy as np
import pytest
from PIL import Image

from sae_desktop.images import read_image_file
from sae_desktop.patterned_table import sheet_on_patterned_table
from sae_desktop.preprocess import preprocess
from sae_desktop.probe import probe_image
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path
from tests.test_preprocess import stroke

H, W = 600, 800
SEVEN = [(0.2, 0.25), (0.2, 0.75), (0.85, 0.4)]
ZERO = [(0.5 - 0.47 * np.cos(t), 0.5 + 0.15 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 25)]  # (its foot 3 % up)


def cloth(kind: str, period: int = 40, light: float = 0.88, dark: float = 0.3) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    across, down = (xx // period) % 2, (yy // period) % 2
    if kind == "checked":  # gingham: light, mid and dark squares
        return light - (light - dark) * (0.5 * across + 0.5 * down)
    if kind == "striped":
        return light - (light - dark) * across
    return np.full((H, W), dark)  # plain


def photo(kind: str, top: int = 140, left: int = 220, height: int = 340, width: int = 300, seed: int = 0,
          period: int = 40, lit: float = 0.0, low: bool = False, light: float = 0.88) -> np.ndarray:
    """A pencil 7 on a sheet (``height``×``width``, ``left`` may run it off the right side) on a cloth,
    lit unevenly, with a camera's noise, as 8-bit grey. ``lit``: the sheet's tone this much lower at
    its bottom left corner than at its top right (lit from one side); ``light``: the cloth's lightest
    tone; ``low``: a 0 instead, in a bold pen, its loop a few pixels above the sheet's foot."""
    rng = np.random.default_rng(seed)
    image = cloth(kind, period, light)
    yy, xx = np.mgrid[0:height, 0:min(width, W - left)] / max(height, width)
    image[top:top + height, left:left + width] = 0.92 - lit * (yy + 1 - xx) / 2 if lit else 0.86
    side = int(0.6 * min(height, W - left))
    shape = ZERO if low else SEVEN
    seven = stroke((side, side), [(y * side, x * side) for y, x in shape], 12 if low else 6)
    y0, x0 = top + (height - side - 4 if low else (height - side) // 2), left + (min(width, W - left) - side) // 2
    image[y0:y0 + side, x0:x0 + side] -= 0.4 * seven
    image *= 1 - 0.12 * np.linspace(0, 1, W)[None, :]
    image += rng.normal(0, 0.012, image.shape)
    return np.round(255 * np.clip(image, 0, 1)).astype(np.uint8)


@pytest.fixture(scope="module")
def model():
    return ModelSnapshot.load(bundled_model_path())


def the_sevens_input(tmp_path) -> np.ndarray:
    """The 7 on its sheet alone, as a photo of the sheet."""
    sheet = np.full((340, 300), 0.86)
    side = int(0.6 * 300)
    sheet[80:80 + side, 60:60 + side] -= 0.4 * stroke((side, side), [(y * side, x * side) for y, x in SEVEN], 6)
    Image.fromarray(np.round(255 * sheet).astype(np.uint8)).save(tmp_path / "sheet.png")
    return preprocess(read_image_file(tmp_path / "sheet.png").grey).image


@pytest.mark.parametrize("kind, left, period", [("checked", 220, 40), ("checked", 600, 25), ("striped", 220, 60),
                                                ("checked", 120, 60)])
def test_a_sheet_on_a_checked_or_striped_cloth_reads_as_its_digit(tmp_path, model, kind, left, period):
    """The cloth's frame is of no one tone, so the cloth was read with the sheet: its squares as marks
    ("several marks", "too faint"); the sheet alone is the input now, wholly in the photo or off a side."""
    Image.fromarray(photo(kind, left=left, period=period)).save(tmp_path / "photo.jpg", quality=90)
    read = read_image_file(tmp_path / "photo.jpg")
    assert read.part == "sheet"
    stages, result = probe_image(model, read.grey)
    alike = max(np.corrcoef(np.roll(stages.image, (dy, dx), (0, 1)).ravel(), the_sevens_input(tmp_path).ravel())[0, 1]
                for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert alike > 0.85 and result.verdict.kind in ("typical", "unusual"), (alike, result.verdict.message)


def test_no_sheet_is_cut_from_plain_tables_pages_glare_or_a_forms_box():
    """A sheet on a plain table (sheet.py's), a page filling the photo, a glare spot on a page (a bright
    ellipse holding strokes), a form's box on a plain page: none is a sheet on a patterned table."""
    rng = np.random.default_rng(1)
    grey = photo("plain") / 255.0
    assert sheet_on_patterned_table(grey) is None
    yy, xx = np.mgrid[0:H, 0:W]
    seven = stroke((H, W), [(y * H, x * W) for y, x in SEVEN], 6)
    page = 0.8 - 0.4 * seven + rng.normal(0, 0.012, (H, W))
    assert sheet_on_patterned_table(page) is None
    glare = np.clip(page + 0.15 * (((yy - 300) / 180) ** 2 + ((xx - 400) / 260) ** 2 < 1), 0, 1)
    assert sheet_on_patterned_table(glare) is None
    box = page.copy()
    box[100:104, 150:650], box[100:500, 150:154] = 0.2, 0.2  # two sides of a printed box
    assert sheet_on_patterned_table(box) is None
    corner = photo("checked", top=0, left=560, height=400, width=300) / 255.0  # (the sheet runs off the top and the
    assert sheet_on_patterned_table(corner) is None  # right: the cloth along two sides, for the paper's fit)
    assert sheet_on_patterned_table(photo("checked", top=100, left=560) / 255.0) is not None  # (off the right only)
    lit = cloth("checked")  # a blank sheet lit from one side holds no marks: its far side is no mark (measured
    yy, xx = np.mgrid[0:340, 0:300] / 340  # from its plane; from the tone it was first found at, it was one)
    lit[140:480, 220:520] = 0.92 - 0.3 * (yy + 1 - xx) / 2
    lit = lit * (1 - 0.12 * np.linspace(0, 1, W)[None, :]) + rng.normal(0, 0.012, lit.shape)
    assert sheet_on_patterned_table(np.clip(lit, 0, 1)) is None
    for shape in ((1, 5000), (3, 800), (40, 20000), (5000, 2)):  # strips (an empty copy raised an IndexError once
        strip = rng.random(shape)  # photos whose frame reads as one tone were looked at: an extreme aspect ratio)
        assert sheet_on_patterned_table(strip) is None, shape


@pytest.mark.parametrize("kind, lit, low", [("checked", 0.3, False), ("striped", 0.35, False), ("checked", 0.0, True)])
def test_a_sheet_lit_from_one_side_or_written_to_its_edge_is_found_whole(tmp_path, model, kind, lit, low):
    """A sheet lit from one side (its tone 0.3 apart across it, as a phone's photo by a window) was
    found in part, a band of one tone, or not at all ("several marks", "too faint"); a 0 written down
    to the sheet's foot cut a notch in what was found there, no longer a rectangle."""
    Image.fromarray(photo(kind, lit=lit, low=low, light=0.7 if low else 0.88)).save(tmp_path / "photo.png")
    read = read_image_file(tmp_path / "photo.png")
    assert read.part == "sheet" and abs(read.grey.shape[1] - 300) < 12
    assert abs(read.grey.shape[0] - 340) < (24 if low else 12)  # (the rows of the 0's notch cut a little short)
    stages, result = probe_image(model, read.grey)
    assert result.verdict.kind in ("typical", "unusual"), result.verdict.message


def test_a_sheet_on_stripes_whose_frame_reads_as_one_tone_is_cut_out(model, monkeypatch):
    """Where the photo's frame is mostly of one even tone (the light stripes along its sides and half its
    top and foot), it was taken for a plain table round a sheet; none found there, the cloth was never
    looked at again: the stripes read as a bar, "Typical", for a pencil 8 (benchmarks/window_scenes.py's
    tablecloth, two draws of it)."""
    from pathlib import Path

    from sae_desktop.images import ink_and_part
    from sae_desktop.sheet import frame_paper_tone

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from window_scenes import tablecloth

    zero = [(0.5 - 0.35 * np.cos(t), 0.5 + 0.2 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 25)]
    digit = np.round(255 * stroke((28, 28), [(y * 28, x * 28) for y, x in zero], 2.5)).astype(np.uint8)
    for seed in (44, 65):
        photo_ = tablecloth(digit, np.random.default_rng(seed)) / 255.0
        assert frame_paper_tone(photo_, *np.percentile(photo_, [0.5, 99.5])) is not None  # (the frame: one tone)
        ink, part = ink_and_part(photo_)
        assert part == "sheet", seed
        assert probe_image(model, ink)[1].verdict.digit_like, seed
