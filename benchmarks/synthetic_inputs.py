"""Generated probe inputs: non-digits, "photos" of MNIST digits and thin brush strokes.

Used by ``benchmarks/probe_verdict.py`` (figures) and by the tests (``tests/test_verdict.py``):
no file here is data, everything is drawn from a seed. Images come as a user's would:

* canvas-like: float32 H×W in [0, 1], white ink on black (what the canvas hands to preprocess);
* photo-like: uint8 H×W, dark pencil on uneven grey paper (what a camera saves; read it
  through ``images.ink_on_black`` or save it and use ``load_image_file``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from sae_desktop.images import ink_on_black

CANVAS = 280
# Letters that do not look like a digit in any common hand (no O/o, I/l, S/s, Z/z, B, G/g, q, b).
LETTERS = "ACEFHKMNRUVWXYaefhkmnrwxy"
KINDS = ("blob", "noise", "box", "crossed box", "letter", "scribble", "pen letter", "pen scribble")
DIGIT_VARIANTS = ("photo", "brush", "small off-centre", "other writer", "thin pen, large file")
PHOTO_SCENES = ("table beyond the sheet", "table around the sheet", "hard shadow", "ruled paper", "tilted sheet",
                "out of focus", "squared paper", "form box", "notebook margin", "form box, digit up to it",
                "sheet on a dark desk")


def polyline(size: tuple[int, int], points, width: float) -> np.ndarray:
    """Anti-aliased round-capped polyline through ``points`` (row, col) of ``width`` px."""
    yy, xx = np.mgrid[0:size[0], 0:size[1]].astype(np.float32)
    img = np.zeros(size, np.float32)
    for (y0, x0), (y1, x1) in zip(points, points[1:]):
        dy, dx = y1 - y0, x1 - x0
        t = np.clip(((yy - y0) * dy + (xx - x0) * dx) / max(dy * dy + dx * dx, 1e-9), 0, 1)
        dist = np.hypot(yy - (y0 + t * dy), xx - (x0 + t * dx))
        np.maximum(img, np.clip(width / 2 + 0.5 - dist, 0, 1), out=img)
    return img


def _font(rng: np.random.Generator, size: int, many: bool = False):
    """A font found on this machine (DejaVu; with ``many``, also the URW base-35 faces, script
    and italics included), or Pillow's own when there is none."""
    import glob

    paths = sorted(glob.glob("/usr/share/fonts/**/DejaVu*.ttf", recursive=True))[:6]
    if many:
        paths = sorted(glob.glob("/usr/share/fonts/**/DejaVuSans*.ttf", recursive=True)) + [
            p for p in sorted(glob.glob("/usr/share/fonts/**/*.otf", recursive=True))
            if "Symbol" not in p and "D050000L" not in p]  # no symbol or dingbat faces
    choice = int(rng.integers(0, len(paths) + 1))
    return ImageFont.truetype(paths[choice - 1], size) if choice else ImageFont.load_default(size=size)


def letter(rng: np.random.Generator, char: str | None = None, many_fonts: bool = False) -> np.ndarray:
    char = char or LETTERS[int(rng.integers(len(LETTERS)))]
    img = Image.new("L", (CANVAS, CANVAS), 0)
    draw = ImageDraw.Draw(img)
    font = _font(rng, int(rng.integers(120, 220)), many_fonts)
    left, top, right, bottom = draw.textbbox((0, 0), char, font=font)
    x = (CANVAS - (right - left)) / 2 - left + rng.uniform(-20, 20)
    y = (CANVAS - (bottom - top)) / 2 - top + rng.uniform(-20, 20)
    draw.text((x, y), char, fill=255, font=font)
    return np.asarray(img, np.float32) / 255.0


def non_digit(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One canvas-like (280×280, white on black) example of ``kind`` (see :data:`KINDS`)."""
    s = CANVAS
    width = float(rng.uniform(10, 28))
    if kind == "blob":
        yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
        img = np.zeros((s, s), np.float32)
        for _ in range(int(rng.integers(1, 4))):
            cy, cx = rng.uniform(0.3 * s, 0.7 * s, 2)
            ry, rx = rng.uniform(0.12 * s, 0.35 * s, 2)
            img = np.maximum(img, np.clip((1 - np.hypot((yy - cy) / ry, (xx - cx) / rx)) * 20, 0, 1))
        return img
    if kind == "noise":
        noise = rng.random((s, s)).astype(np.float32)
        if rng.random() < 0.5:
            noise = ndimage.gaussian_filter(noise, rng.uniform(1, 6))
            noise = (noise - noise.min()) / max(float(np.ptp(noise)), 1e-6)
        return noise
    if kind in ("box", "crossed box"):
        top, left = rng.uniform(0.1 * s, 0.35 * s, 2)
        bottom, right = rng.uniform(0.65 * s, 0.9 * s, 2)
        corners = [(top, left), (top, right), (bottom, right), (bottom, left), (top, left)]
        img = polyline((s, s), corners, width)
        if kind == "crossed box":
            img = np.maximum(img, polyline((s, s), [(top, left), (bottom, right)], width))
            img = np.maximum(img, polyline((s, s), [(top, right), (bottom, left)], width))
        return img
    if kind == "letter":
        return letter(rng)
    if kind == "scribble":
        n = int(rng.integers(6, 20))
        points = [tuple(p) for p in rng.uniform(0.15 * s, 0.85 * s, (n, 2))]
        return polyline((s, s), points, width)
    if kind == "pen letter":
        return pen_letter(rng)
    if kind == "pen scribble":
        return pen_scribble(rng)
    raise ValueError(f"unknown kind {kind!r}")


def pen_strokes(ink: np.ndarray, width: float) -> np.ndarray:
    """The shape's centre line (its ridge, roughly the medial axis) redrawn ``width`` px wide:
    what a pen of that width leaves tracing it."""
    inside = ndimage.binary_opening(ink > 0.5, iterations=2)
    depth = ndimage.distance_transform_edt(inside)
    ridge = inside & (depth >= ndimage.maximum_filter(depth, size=5) - 1.5)
    dist = ndimage.distance_transform_edt(~ridge)
    return np.clip(width / 2 + 0.5 - dist, 0, 1).astype(np.float32)


def warp(image: np.ndarray, rng: np.random.Generator, turn: float = 15.0, shear: float = 0.25,
         elastic: float = 0.04) -> np.ndarray:
    """A hand's variation (Simard et al. 2003): a random rotation (±``turn`` degrees), shear,
    squeeze (0.8-1.2) and a smooth random displacement of up to ~``elastic`` of the side."""
    side = image.shape[0]
    a = np.deg2rad(rng.uniform(-turn, turn))
    m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.array(
        [[rng.uniform(0.8, 1.2), rng.uniform(-shear, shear)], [0.0, 1.0]])
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) - side / 2
    field = [ndimage.gaussian_filter(rng.uniform(-1, 1, (side, side)), side / 7) for _ in range(2)]
    field = [f / max(float(np.abs(f).max()), 1e-9) * elastic * side for f in field]
    coords = np.einsum("ij,jhw->ihw", np.linalg.inv(m), np.stack([yy, xx])) + side / 2 + np.stack(field)
    return ndimage.map_coordinates(image, coords, order=1, mode="constant").astype(np.float32)


def pen_letter(rng: np.random.Generator, char: str | None = None) -> np.ndarray:
    """A letter as written by hand on the canvas: a font's letter (many faces), varied like a
    hand (``warp``) and traced with a pen 5-24 px wide."""
    return pen_strokes(warp(letter(rng, char, many_fonts=True), rng), float(rng.uniform(5, 24)))


def pen_scribble(rng: np.random.Generator, side: int = CANVAS) -> np.ndarray:
    """A scribble: one pen stroke 5-24 px wide, 30-80 % of the canvas across, of one of three
    styles: a curve whose turning wanders at random, a coil of 3-8 loops, a zigzag of 4-9 strokes."""
    t = np.linspace(0.0, 1.0, 240)
    style = int(rng.integers(3))
    if style == 0:
        turning = ndimage.gaussian_filter1d(rng.normal(0, 1, t.size), 12) * rng.uniform(0.3, 1.5)
        heading = np.cumsum(turning)
        path = np.cumsum(np.stack([np.sin(heading), np.cos(heading)], axis=1), axis=0)
    elif style == 1:
        turns, radius = rng.uniform(3, 8), rng.uniform(0.15, 0.5)
        path = np.stack([radius * np.sin(2 * np.pi * turns * t), t + radius * np.cos(2 * np.pi * turns * t)], 1)
    else:
        teeth = rng.uniform(4, 9)
        path = np.stack([rng.uniform(0.2, 0.8) * np.abs((teeth * t) % 2 - 1), t], axis=1)
    a = rng.uniform(0, 2 * np.pi)
    path = path @ np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    path -= (path.max(0) + path.min(0)) / 2
    path *= rng.uniform(0.3, 0.8) * side / max(float(np.ptp(path, axis=0).max()), 1e-9)
    path += side / 2 + rng.uniform(-0.1, 0.1, 2) * side
    return warp(polyline((side, side), [tuple(p) for p in path[::3]], float(rng.uniform(5, 24))), rng, elastic=0.02)


def digit_variant(kind: str, digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A test digit as a user would give it (see :data:`DIGIT_VARIANTS`): a pencil photo read as
    a file, a thin canvas brush, a small drawing off the canvas's centre, or another writer's hand
    (``warp``) drawn with a pen 6-24 px wide. White ink on black, ready for ``probe_image``."""
    if kind == "photo":
        return ink_on_black(photo_digit(digit28, rng) / 255.0)
    if kind == "brush":
        return brush_digit(digit28, rng)
    if kind == "small off-centre":
        side = int(rng.integers(60, 140))
        img = np.zeros((CANVAS, CANVAS), np.float32)
        top, left = rng.integers(0, CANVAS - side, 2)
        img[top:top + side, left:left + side] = thin_strokes(digit28, side, float(rng.uniform(4, 10)))
        return img
    if kind == "other writer":
        return pen_strokes(warp(_upscale(digit28, CANVAS), rng), float(rng.uniform(6, 24)))
    if kind == "thin pen, large file":  # a 1-3 px pen in a 600-1200 px drawing, dark on white, read as a file
        side = int(rng.integers(600, 1201))
        return ink_on_black(1.0 - thin_strokes(digit28, side, float(rng.uniform(1, 3))))
    raise ValueError(f"unknown digit variant {kind!r}")


def _upscale(digit28: np.ndarray, side: int) -> np.ndarray:
    img = Image.fromarray(np.asarray(digit28, np.uint8)).resize((side, side), Image.Resampling.BICUBIC)
    return np.asarray(img, np.float32) / 255.0


def thin_strokes(digit28: np.ndarray, side: int, width: float) -> np.ndarray:
    """The digit redrawn at ``side`` px with strokes ``width`` px wide (its centre line, widened)."""
    return pen_strokes(_upscale(digit28, side), width)


def brush_digit(digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A test digit as drawn on the canvas with a thin brush (4-7 px on 280 px), white on black."""
    return thin_strokes(digit28, CANVAS, float(rng.uniform(4, 7)))


def photo_digit(digit28: np.ndarray, rng: np.random.Generator, side: int = 400) -> np.ndarray:
    """A test digit as a phone photo of a pencil digit: thin (3-6 px of 400), stroke peak ~0.3
    below the paper, grey paper lit from one side, sensor noise. uint8, dark ink on light paper."""
    stroke = ndimage.gaussian_filter(thin_strokes(digit28, side, float(rng.uniform(3, 6))), 0.8)
    stroke /= max(float(stroke.max()), 1e-6)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    paper = rng.uniform(0.55, 0.75) + rng.uniform(0.08, 0.2) * (np.cos(angle) * xx + np.sin(angle) * yy) * 2
    grey = paper - rng.uniform(0.25, 0.35) * stroke + rng.normal(0, 0.015, (side, side))
    return np.clip(np.round(grey * 255), 0, 255).astype(np.uint8)


def photo_scene(kind: str, digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A pencil photo (:func:`photo_digit`) as phones take them (see :data:`PHOTO_SCENES`): the
    dark table beyond the sheet along two sides (8-20 % of the side) or all around it (5-15 %,
    wood grain), a hard-edged shadow across a part of it (25-45 % darker), ruled lines
    (6-12 % darker, 35-60 % of the side apart), the sheet on the table turned by up to 15°
    and cropped so that the table shows in the corners, the photo out of focus (a Gaussian
    blur of 2-4 px: wider than the strokes), squared paper (a grid 6-14 % darker, 6-10 % of
    the side apart, up to 2.5° askew), or a form's printed box around the digit (its lines
    1.5-3 px wide, 15-45 % darker, 1-8 % of the side in, up to 2° askew, clear of the digit; or
    1.5-4.5 % of the side inside the digit's MNIST ink: up to its strokes and across them), or
    a notebook's page (ruled 8-12 % of the side apart, 6-12 % darker, and its margin as dark,
    15-35 % of the side in: the digit's ink starts 14 % in, and often crosses it), or the sheet on a
    desk darker than the pencil, 15-30 % of the sheet's side of it beyond each edge.
    uint8, dark ink on light paper."""
    sheet = photo_digit(digit28, rng).astype(np.float32)
    side = sheet.shape[0]
    if kind == "table beyond the sheet":
        left, top = (int(rng.uniform(0.08, 0.2) * side) for _ in range(2))
        shape = (side + top, side + left)
        out = np.full(shape, rng.uniform(20, 60), np.float32) + rng.normal(0, 3, shape)
        out[top:, left:] = sheet
    elif kind == "table around the sheet":
        k = int(rng.uniform(0.05, 0.15) * side)
        out = rng.uniform(30, 90) + ndimage.gaussian_filter(rng.normal(0, 25, (side + 2 * k, side + 2 * k)), 3)
        out[k:k + side, k:k + side] = sheet
    elif kind == "hard shadow":
        yy, xx = np.mgrid[0:side, 0:side]
        a = rng.uniform(0, 2 * np.pi)
        beyond = (np.cos(a) * (xx - side / 2) + np.sin(a) * (yy - side / 2)) > rng.uniform(0.2, 0.5) * side
        out = sheet * (1 - rng.uniform(0.25, 0.45) * ndimage.gaussian_filter(beyond.astype(np.float32), 4))
    elif kind == "tilted sheet":  # the table around it, turned: the table's corners are left in the frame
        table = np.full((side + 160, side + 160), rng.uniform(30, 70), np.float32) + rng.normal(0, 3, (side + 160,) * 2)
        table[80:-80, 80:-80] = sheet
        turned = ndimage.rotate(table, rng.uniform(-15, 15), reshape=False, order=1, mode="nearest")
        k = int(rng.uniform(40, 75))
        out = turned[k:-k, k:-k]
    elif kind == "ruled paper":
        gap = rng.uniform(0.35, 0.6) * side
        lines = (np.abs((np.arange(side) - rng.uniform(0, gap) + gap / 2) % gap - gap / 2) < 1.2)[:, None]
        out = sheet - rng.uniform(15, 30) * lines
    elif kind == "out of focus":
        out = ndimage.gaussian_filter(sheet, rng.uniform(2, 4))
    elif kind == "squared paper":  # a school notebook's grid, 6-10 % of the side apart, photographed up to 2.5° askew
        gap, offset, a = rng.uniform(0.06, 0.1) * side, rng.uniform(0, side), np.deg2rad(rng.uniform(-2.5, 2.5))
        yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
        on = [np.abs((u - offset + gap / 2) % gap - gap / 2) < 1.0
              for u in (yy * np.cos(a) + xx * np.sin(a), xx * np.cos(a) - yy * np.sin(a))]
        out = sheet - rng.uniform(15, 35) * (on[0] | on[1])
    elif kind.startswith("form box"):  # a form's field, cropped with the digit (the digit's ink starts 14 % in)
        inset = rng.uniform(0.01, 0.08, 4) * side
        if kind.endswith("up to it"):  # a large digit filling its box: its lines 1.5-4.5 % of the side
            # inside the digit's MNIST ink (the pencil strokes are thinner): up to its strokes, across them
            rows, cols = (np.flatnonzero((digit28 > 127).any(axis=axis)) for axis in (1, 0))
            ends = np.array([rows[0], 27 - rows[-1], cols[0], 27 - cols[-1]]) * side / 28
            inset = ends + rng.uniform(0.015, 0.045, 4) * side
        a = np.deg2rad(rng.uniform(-2, 2))
        yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) - side / 2
        v, u = yy * np.cos(a) + xx * np.sin(a) + side / 2, xx * np.cos(a) - yy * np.sin(a) + side / 2
        top, bottom, left, right = inset[0], side - inset[1], inset[2], side - inset[3]
        half = rng.uniform(0.75, 1.5)
        within = (v > top - half) & (v < bottom + half) & (u > left - half) & (u < right + half)
        edge = within & ((np.abs(v - top) < half) | (np.abs(v - bottom) < half)
                         | (np.abs(u - left) < half) | (np.abs(u - right) < half))
        out = sheet - rng.uniform(40, 120) * ndimage.gaussian_filter(edge.astype(np.float32), 0.6)
    elif kind == "notebook margin":
        gap, dark = rng.uniform(0.08, 0.12) * side, rng.uniform(15, 30)
        lines = (np.abs((np.arange(side) - rng.uniform(0, gap) + gap / 2) % gap - gap / 2) < 1.2)[:, None]
        margin = (np.abs(np.arange(side) - rng.uniform(0.15, 0.35) * side) < 1.2)[None, :]
        out = sheet - dark * (lines | margin)
    elif kind == "sheet on a dark desk":  # the sheet small in the photo, the desk darker than the pencil around it
        k = (rng.uniform(0.15, 0.3, 2) * side).astype(int)
        shape = (side + 2 * k[0], side + 2 * k[1])
        out = rng.uniform(15, 50) + rng.normal(0, 4, shape)
        out[k[0]:k[0] + side, k[1]:k[1] + side] = sheet
    else:
        raise ValueError(f"unknown photo scene {kind!r}")
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
