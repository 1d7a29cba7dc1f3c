"""Probe: image files, the shared probe function, the CLI and the bundled model."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from sae_desktop.config import ModelConfig
from sae_desktop.evaluation import error_percentile
from sae_desktop.images import ImageError, load_image_file
from sae_desktop.model import SparseAutoencoder, model_from_state
from sae_desktop.preprocess import preprocess
from sae_desktop.probe import probe
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path


@pytest.fixture(scope="module")
def bundled():
    return ModelSnapshot.load(bundled_model_path())


@pytest.mark.parametrize("latent,k", [("sigmoid", 0), ("relu", 0), ("topk", 3)])
def test_numpy_inference_matches_the_torch_model(latent, k):
    cfg = ModelConfig(d_hidden=16, d_latent=6, latent=latent, k=k)
    torch.manual_seed(3)
    weights = SparseAutoencoder(cfg).snapshot()
    snap = ModelSnapshot(cfg, weights, "test")
    x = np.random.default_rng(0).random((7, 784), dtype=np.float32)
    recon, z = model_from_state(cfg, weights)(torch.from_numpy(x))
    np.testing.assert_allclose(snap.encode(x), z.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(snap.decode(snap.encode(x)), recon.numpy(), rtol=1e-5, atol=1e-6)
    images = (x * 255).astype(np.uint8)
    np_eval = snap.evaluate(images)
    torch_eval = model_from_state(cfg, weights).evaluate(torch.from_numpy(images))
    np.testing.assert_allclose(np_eval.per_sample_mse, torch_eval.per_sample_mse, rtol=1e-4)
    np.testing.assert_allclose(np_eval.latents, torch_eval.latents, rtol=1e-5, atol=1e-6)
    assert np_eval.threshold == torch_eval.threshold == cfg.active_threshold
    np.testing.assert_array_equal(np_eval.active, torch_eval.active)


def test_the_numpy_inference_does_not_import_torch():
    code = ("import sys, numpy as np, sae_desktop.architecture as a\n"
            "from sae_desktop.config import ModelConfig\n"
            "cfg = ModelConfig(d_hidden=4, d_latent=3, latent='topk', k=2)\n"
            "p = {n: np.ones(s, np.float32) for n, s in [('W_enc1', (4, 784)), ('b_enc1', (4,)), ('W_enc2', (3, 4)),"
            " ('b_enc2', (3,)), ('W_dec1', (4, 3)), ('b_dec1', (4,)), ('W_dec2', (784, 4)), ('b_dec2', (784,))]}\n"
            "z = a.encode(p, np.zeros((2, 784), np.float32), cfg, a.NUMPY)\n"
            "print(z.shape, (z > 0).sum(), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["(2,", "3)", "4", "False"]  # top-2 of 3 kept: 2 per image, torch never loaded


@pytest.mark.parametrize("latent,ceiling", [("sigmoid", 1.0), ("relu", 7.5)])
def test_clamps_are_limited_to_what_a_latent_can_take(latent, ceiling):
    from sae_desktop.architecture import clamped_code

    cfg = ModelConfig(d_latent=4, latent=latent)
    code = clamped_code(np.array([0.2, 0.3, 0.4, 0.5], np.float32), {0: 7.5, 1: -2.0, 9: 1.0, -1: 1.0}, cfg)
    np.testing.assert_allclose(code, [ceiling, 0.0, 0.4, 0.5])


def test_bundled_model_loads_offline_with_test_statistics(bundled):
    assert bundled.name == "bundled MNIST model"
    assert bundled.config == ModelConfig() and bundled.train_config.seed == 0
    # weights 0.5 MB, the training digits' codes 3.8 MB, 20 000 of them as pixels (pixels.py) 1.4 MB
    assert bundled_model_path().stat().st_size < 6_000_000
    assert len(bundled.test_error_quantiles) == 201 and bundled.epoch == 10


def test_bundled_model_reconstructs_mnist(bundled, mnist):
    ev = bundled.evaluate(mnist.test_images)
    assert ev.test_mse <= 0.02


def test_percentile_and_clamps(bundled):
    blank_ish = np.zeros((28, 28), np.float32)
    blank_ish[5:23, 13:15] = 1.0  # a "1"
    result = probe(bundled, blank_ish)
    assert result.latents.shape == (32,) and 0 <= result.percentile <= 100
    assert result.mse == pytest.approx(float(np.mean(result.residual ** 2)))
    top = int(np.argmax(result.latents))
    ablated = probe(bundled, blank_ish, clamps={top: 0.0})
    assert ablated.code[top] == 0.0 and ablated.latents[top] == result.latents[top]
    assert not np.allclose(ablated.reconstruction, result.reconstruction)
    quantiles = bundled.test_error_quantiles
    assert error_percentile(1e9, quantiles) == 100.0 and error_percentile(0.0, quantiles) == 0.0


def save(path, array, mode=None):
    Image.fromarray(array, mode=mode).save(path)
    return path


def test_image_files_of_many_kinds(tmp_path):
    ink = np.zeros((60, 40), np.uint8)
    ink[10:50, 18:23] = 255
    paper = 255 - ink
    assert load_image_file(save(tmp_path / "white_on_black.png", ink)).max() == 1.0
    dark_on_light = load_image_file(save(tmp_path / "scan.jpg", np.clip(paper, 0, 230).astype(np.uint8)))
    assert dark_on_light[30, 20] > 0.8 and dark_on_light[5, 5] < 0.15  # inverted: ink bright, paper dark
    levelled = preprocess(dark_on_light).levelled
    assert levelled[5, 5] == 0.0 and levelled[30, 20] > 0.99  # preprocessing removes the paper's tone
    rgba = np.zeros((60, 40, 4), np.uint8)
    rgba[10:50, 18:23] = (0, 0, 0, 255)  # black ink on a transparent sheet
    assert load_image_file(save(tmp_path / "rgba.png", rgba, "RGBA"))[30, 20] > 0.8
    sixteen = (ink.astype(np.uint16) * 257)
    img16 = Image.fromarray(sixteen.astype(np.uint16))
    img16.save(tmp_path / "deep.png")
    assert load_image_file(tmp_path / "deep.png")[30, 20] > 0.8
    assert load_image_file(save(tmp_path / "one.png", np.array([[0]], np.uint8))).shape == (1, 1)


def test_a_small_digit_on_a_clean_page_is_found_not_blank(tmp_path, bundled):
    """Ink on under 0.5 % of a clean page: the 0.5 and 99.5 percentiles were both the paper's tone,
    and the page was read as blank ("That image looks blank") with a 7 in its corner."""
    page = np.full((600, 800), 255, np.uint8)
    page[20:23, 20:45] = 0  # a 7, 25 × 30 px, 3-px strokes
    for i in range(30):
        page[22 + i, 43 - i // 2:46 - i // 2] = 0
    assert np.mean(page < 128) < 0.005
    grey = load_image_file(save(tmp_path / "corner.png", page))
    assert grey[21, 30] == 1.0 and grey[300, 400] == 0.0  # the ink bright, the page dark
    stages = preprocess(grey)
    assert not stages.empty and probe(bundled, stages.image, stages=stages).verdict.kind in ("typical", "unusual")
    assert load_image_file(save(tmp_path / "blank.png", np.full((60, 80), 255, np.uint8))).max() == 0.0


def test_a_bold_digit_cropped_to_more_ink_than_paper_keeps_its_polarity(tmp_path):
    """Dark on white, cropped so tight that ink is most of the pixels: the whole image's median
    is the ink's tone, and the white paper was taken for the ink. The frame, evenly white where the
    digit does not touch it, is the paper; a vignetted photo's darker corners are not."""
    from scipy import ndimage

    ring = np.zeros((100, 80), bool)
    yy, xx = np.mgrid[0:100, 0:80]
    outer = ((yy - 50) / 44) ** 2 + ((xx - 40) / 34) ** 2 <= 1
    ring[outer & (((yy - 50) / 16) ** 2 + ((xx - 40) / 10) ** 2 > 1)] = True
    stem = (xx >= 34) & (xx < 46) & (yy < 10)  # the digit touches the frame
    bold = ndimage.gaussian_filter((ring | stem).astype(float), 1.0)
    scan = np.round(255 * (1 - bold)).astype(np.uint8)
    assert np.mean(scan < 128) > 0.5
    grey = load_image_file(save(tmp_path / "tight.png", scan))
    assert grey[50, 8] > 0.8 and grey[2, 2] < 0.2 and grey[50, 40] < 0.2  # the ring bright; paper, hole dark
    h, w = 300, 400
    y, x = np.mgrid[0:h, 0:w]
    corners = 0.85 * (1 - 0.4 * (((y - h / 2) / (h / 2)) ** 2 + ((x - w / 2) / (w / 2)) ** 2))  # vignetted
    photo = corners.copy()
    photo[60:250, 195:205] -= 0.45  # a pencil 1, lighter than the darkest corner
    grey = load_image_file(save(tmp_path / "vignette.png", np.round(255 * np.clip(photo, 0, 1)).astype(np.uint8)))
    assert grey[150, 200] > grey[150, 100] + 0.3  # the stroke is the ink, not the paper


def test_an_out_of_focus_photo_across_uneven_light_keeps_its_polarity(tmp_path):
    """A blurred pencil 7 on paper lit from one side: the light spans as much of the range as the
    shallow, blurred strokes, so the image's darkest and brightest tails are the paper's and said
    nothing (the paper was taken for the ink in 10 of 24 such photos: "Nothing drawn"). The image
    less its local background shows the strokes as the dark, one-sided tail."""
    from scipy import ndimage

    from benchmarks.synthetic_inputs import polyline
    from sae_desktop.verdict import plain_check

    side = 400
    yy, xx = np.mgrid[0:side, 0:side] / side - 0.5
    seven = polyline((side, side), [(110, 120), (110, 290), (310, 170)], 4.0)
    sharp = None
    for angle in (0.0, np.pi / 4, np.pi, 5 * np.pi / 4, 3 * np.pi / 2):
        rng = np.random.default_rng(0)
        paper = 0.65 + 0.3 * (np.cos(angle) * xx + np.sin(angle) * yy)
        photo = paper - 0.3 * seven + rng.normal(0, 0.015, (side, side))
        if sharp is None:
            sharp = preprocess(load_image_file(save(tmp_path / "sharp.png", np.round(255 * photo).astype(np.uint8))))
        blurred = np.round(255 * np.clip(ndimage.gaussian_filter(photo, 4.0), 0, 1)).astype(np.uint8)
        grey = load_image_file(save(tmp_path / f"blurred{angle:.2f}.png", blurred))
        assert grey[110, 200] > np.median(grey) + 0.03, angle  # the stroke is the ink, not the paper
        result = preprocess(grey)
        assert plain_check(result) is None, (angle, plain_check(result).message)
        assert np.corrcoef(result.image.ravel(), sharp.image.ravel())[0, 1] > 0.8, angle


def test_the_digits_strokes_across_a_sheet_do_not_hide_the_table_around_it(tmp_path):
    """The table all around the sheet is the frame's even tone, and the sheet too solid for strokes
    tells it from a tight crop's paper; but dark strokes, of the table's tone, crossed every square
    of the sheet that wide, and the table was taken for the paper (the sheet read as the ink)."""
    from benchmarks.synthetic_inputs import polyline
    from sae_desktop.verdict import plain_check

    side = 400
    turns = np.linspace(0, 2 * np.pi, 40)
    zero = polyline((side, side), [(200 + 150 * np.sin(a), 200 + 110 * np.cos(a)) for a in turns], 5.0)
    rng = np.random.default_rng(0)
    xx = np.mgrid[0:side, 0:side][1]
    sheet = 0.65 + 0.1 * (xx / side - 0.5) + rng.normal(0, 0.015, (side, side)) - 0.45 * zero
    around = np.full((side + 80, side + 80), 0.15) + rng.normal(0, 0.015, (side + 80, side + 80))
    around[40:-40, 40:-40] = sheet
    def read(name, photo):
        return load_image_file(save(tmp_path / f"{name}.png", np.round(255 * np.clip(photo, 0, 1)).astype(np.uint8)))

    grey = read("around", around)
    assert all(side - 10 <= n <= side for n in grey.shape)  # the sheet alone (less its rim): no table
    assert grey[200, 90] > grey[200, 200] + 0.3  # the stroke bright, the sheet inside it dark
    result = preprocess(grey)
    assert plain_check(result) is None, plain_check(result).message
    clean = preprocess(read("sheet", sheet))
    assert abs(result.box_side - clean.box_side) <= 4
    alike = max(np.corrcoef(np.roll(result.image, (dy, dx), (0, 1)).ravel(), clean.image.ravel())[0, 1]
                for dy in (-1, 0, 1) for dx in (-1, 0, 1))  # (centred by whole pixels: the sheet less its rim is
    assert alike > 0.9  # a pixel narrower than the clean one, and the digit can land a pixel apart)


def test_a_photo_showing_the_table_or_a_hard_shadow_still_shows_the_digit(tmp_path):
    """Phone photos: the dark table beyond the sheet, around it or along two sides, or a hard
    shadow across it. Around the sheet, the table's even frame was taken for the paper (the sheet
    became the ink: "Too faint" or nothing drawn); along two sides or as a shadow it read as ink
    (the digit squeezed into a corner of the ink box, "Unlike MNIST"), and so did the table's
    corners a turned sheet leaves. Each now comes out as the same photo without them does."""
    from scipy import ndimage

    from benchmarks.synthetic_inputs import polyline
    from sae_desktop.verdict import plain_check

    side = 400
    yy, xx = np.mgrid[0:side, 0:side]
    seven = polyline((side, side), [(110, 120), (110, 290), (310, 170)], 6.0)
    rng = np.random.default_rng(0)
    paper = 0.65 + 0.1 * (xx / side - 0.5) + rng.normal(0, 0.015, (side, side))
    sheet = paper - 0.3 * seven
    around = np.full((side + 80, side + 80), 0.15) + rng.normal(0, 0.015, (side + 80, side + 80))
    around[40:-40, 40:-40] = sheet
    sides = sheet.copy()
    sides[:, :60] = 0.12
    sides[:30] = 0.12
    shadow = sheet * (1 - 0.35 * ndimage.gaussian_filter(((xx + yy) > 1.3 * side).astype(float), 3))
    def turn(photo):  # (the sheet turned: the table shows in the corners)
        return ndimage.rotate(photo, 12, reshape=False, order=1, mode="nearest")[60:-60, 60:-60]

    turned = turn(around)

    def probed(name, photo):
        grey = load_image_file(save(tmp_path / f"{name}.png", np.round(255 * np.clip(photo, 0, 1)).astype(np.uint8)))
        return preprocess(grey)

    clean = probed("clean", sheet)
    assert plain_check(clean) is None
    clean_turned = probed("clean turned", turn(np.pad(sheet, 40, mode="edge")))
    for name, photo, like in (("around", around, clean), ("sides", sides, clean), ("shadow", shadow, clean),
                              ("turned", turned, clean_turned)):
        result = probed(name, photo)
        assert plain_check(result) is None, (name, plain_check(result).message)
        assert abs(result.box_side - like.box_side) <= 4, name
        assert np.corrcoef(result.image.ravel(), like.image.ravel())[0, 1] > 0.9, name


def test_bad_and_huge_images_are_refused(tmp_path):
    (tmp_path / "fake.png").write_bytes(b"not really a png")
    with pytest.raises(ImageError, match="not an image"):
        load_image_file(tmp_path / "fake.png")
    with pytest.raises(ImageError, match="no such file"):
        load_image_file(tmp_path / "absent.png")
    Image.new("1", (20000, 20000)).save(tmp_path / "huge.png")  # 400 MP, a few KB on disk
    with pytest.raises(ImageError, match="too large|too many pixels"):
        load_image_file(tmp_path / "huge.png")


def test_probe_cli_processes_good_images_and_reports_bad_ones(tmp_path):
    ink = np.zeros((100, 100), np.uint8)
    ink[20:80, 45:55] = 255
    good = save(tmp_path / "one.png", 255 - ink)  # dark ink on white paper
    blank = save(tmp_path / "blank.png", np.full((50, 50), 255, np.uint8))
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\x00" * 10)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "sae_desktop", "probe", str(good), str(bad), str(blank),
                           "--json", "--save-dir", str(out)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    assert proc.returncode == 1
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["ok"] for r in records] == [True, False, False]
    assert len(records[0]["latents"]) == 32 and 0 <= records[0]["percentile"] <= 100
    assert "nothing drawn" in records[2]["error"]
    # every record has a verdict: a script reading verdict.digit_like failed on the unreadable file's
    assert [(r["verdict"]["kind"], r["verdict"]["digit_like"]) for r in records[1:]] == [("unknown", None),
                                                                                          ("nothing", False)]
    for suffix in ("input", "reconstruction"):
        assert Image.open(out / f"one_{suffix}.png").size == (28, 28)
    plain = subprocess.run([sys.executable, "-m", "sae_desktop", "probe", str(good)], capture_output=True,
                           text=True, timeout=120)
    assert plain.returncode == 0 and "active latent" in plain.stdout
    import re
    count, noun = re.search(r"(\d+) active (latents?) \[", plain.stdout).groups()  # ("1 active latents" for noise)
    assert (noun == "latent") == (count == "1")


def animation(path, frames: int = 3):
    """A GIF whose first frame is a dark "1" on white paper and whose others are all but blank
    (each its own shade: Pillow merges identical frames)."""
    first = np.full((100, 100), 255, np.uint8)
    first[20:80, 45:55] = 0
    pictures = [Image.fromarray(first)] + [Image.fromarray(np.full((100, 100), 255 - i, np.uint8))
                                           for i in range(1, frames)]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=100)
    return path


def test_an_animations_first_frame_is_probed_and_said_to_be(tmp_path):
    """An animated GIF was probed at its first frame without a word (fresh-eyes pass)."""
    gif, png = animation(tmp_path / "anim.gif"), save(tmp_path / "one.png", np.full((60, 60), 255, np.uint8))
    proc = subprocess.run([sys.executable, "-m", "sae_desktop", "probe", str(gif), str(png), "--json"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert records[0]["ok"] and records[0]["frames"] == 3  # the "1", not a blank frame
    assert "frames" not in records[1]
    plain = subprocess.run([sys.executable, "-m", "sae_desktop", "probe", str(gif)], capture_output=True,
                           text=True, timeout=120)
    assert plain.stdout.startswith(f"{gif} (its first frame of 3): mse ")


def test_an_animation_whose_first_frame_is_blank_says_so_not_that_the_file_is(tmp_path):
    """A GIF of a white frame then a "7" read "nothing drawn (the image is blank)": the file is
    not blank, its first frame (the one probed) is."""
    seven = np.full((100, 100), 255, np.uint8)
    seven[20:26, 30:70] = seven[20:80, 62:68] = 0
    pictures = [Image.fromarray(np.full((100, 100), 255, np.uint8)), Image.fromarray(seven)]
    pictures[0].save(tmp_path / "late.gif", save_all=True, append_images=pictures[1:], duration=100)
    proc = subprocess.run([sys.executable, "-m", "sae_desktop", "probe", str(tmp_path / "late.gif"), "--json"],
                          capture_output=True, text=True, timeout=120)
    record = json.loads(proc.stdout)
    assert record["frames"] == 2 and not record["ok"]
    assert record["error"] == "nothing drawn (its first frame of 2 is blank)"  # (its "image" names the file)
