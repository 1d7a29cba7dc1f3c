"""Digits framed by what lies round them, for ``probe_verdict.py``'s last rows: a drawing program's
screenshot (``sae_desktop/screen.py`` cuts its canvas out) and a pencil photo's sheet on a checked or
striped tablecloth (``sae_desktop/patterned_table.py`` cuts the sheet out). uint8 grey, dark ink on
light paper, as ``synthetic_inputs.photo_scene`` gives its scenes."""

from __future__ import annotations

import numpy as np
from synthetic_inputs import photo_digit, thin_strokes

SCENES = ("paint program screenshot", "checked or striped tablecloth")
THEMES = ((0.96, 0.82, 0.24), (0.24, 0.18, 0.86), (0.82, 0.5, 0.0))  # panels, workspace, icons and words: light,
# dark, classic grey (as grey: the image becomes grey before anything else)


def window_scene(kind: str, digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if kind == SCENES[0]:
        return screenshot(digit28, rng)
    if kind == SCENES[1]:
        return tablecloth(digit28, rng)
    raise ValueError(f"unknown window scene {kind!r}")


def screenshot(digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A paint program's window (1024×768 to 1366×768): a toolbar of icons (squares of any tone,
    outlines, words' strokes), a side panel of buttons, a status bar, and a white canvas (300-700 by
    250-550 px, at the workspace's top left or centred) with the digit drawn on it in a 3-12 px brush,
    black or a dark colour, 45-90 % of the canvas's shorter side."""
    h, w = ((768, 1024), (720, 1280), (768, 1366))[rng.integers(3)]
    panels, workspace, fg = THEMES[rng.integers(3)]
    shot = np.full((h, w), workspace, np.float32)
    top, left = int(rng.integers(60, 150)), int(rng.integers(0, 2)) * int(rng.integers(40, 80))
    shot[:top], shot[-24:] = panels, panels
    shot[top:, :left] = panels
    for y in (8, top // 2 + 4):
        x = 6
        while x < w - 40:
            s = int(rng.integers(14, 28))
            kind = rng.integers(3)
            if kind == 0:
                shot[y:y + s, x:x + s] = rng.uniform(0, 1)
            elif kind == 1:
                shot[y:y + s, x:x + 2] = shot[y:y + s, x + s - 2:x + s] = fg
                shot[y:y + 2, x:x + s] = shot[y + s - 2:y + s, x:x + s] = fg
            else:
                shot[y + 8:y + 10, x:x + s] = shot[y + 14:y + 16, x:x + s * 2 // 3] = fg
            x += s + int(rng.integers(8, 24))
    for y in range(top + 10, h - 60, 36) if left else ():
        shot[y:y + 24, 8:10] = shot[y:y + 24, left - 10:left - 8] = shot[y:y + 2, 8:left - 8] = fg
    shot[-16:-10, 8:120] = fg
    ch, cw = int(rng.integers(250, min(550, h - top - 60))), int(rng.integers(300, min(700, w - left - 40)))
    centred = (top + (h - 24 - top - ch) // 2, left + (w - left - cw) // 2)
    y0, x0 = (top + 5, left + 5) if rng.random() < 0.5 else centred
    side = int(rng.uniform(0.45, 0.9) * min(ch, cw))
    canvas = np.ones((ch, cw), np.float32)
    oy, ox = int(rng.integers(0, ch - side + 1)), int(rng.integers(0, cw - side + 1))
    ink = rng.choice([0.0, 0.0, 0.11, 0.3])  # black, or a blue or a red pen's grey
    canvas[oy:oy + side, ox:ox + side] -= (1 - ink) * thin_strokes(digit28, side, float(rng.uniform(3, 12)))
    shot[y0:y0 + ch, x0:x0 + cw] = canvas
    return np.clip(np.round(shot * 255), 0, 255).astype(np.uint8)


def tablecloth(digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A pencil photo's sheet (``synthetic_inputs.photo_digit``, 400 px) on a checked (gingham: light,
    mid and dark squares) or striped cloth with squares or stripes 20-60 px wide, in a photo 1.5-2 times
    the sheet's side, the sheet wholly in it or running 20-50 px off the right side (clear of the digit,
    whose ink starts 14 % in), the light falling off by
    up to 15 % across it, with the camera's noise."""
    sheet = photo_digit(digit28, rng).astype(np.float32)
    side = sheet.shape[0]
    h, w = int(rng.uniform(1.5, 1.8) * side), int(rng.uniform(1.7, 2.0) * side)
    period, light, dark = int(rng.integers(20, 61)), rng.uniform(190, 240), rng.uniform(40, 130)
    yy, xx = np.mgrid[0:h, 0:w]
    across, down = (xx // period) % 2, (yy // period) % 2
    cloth = light - (light - dark) * (0.5 * across + 0.5 * down if rng.random() < 0.6 else across)
    photo = (cloth + rng.normal(0, 3.5, (h, w))).astype(np.float32)
    top = int(rng.integers(20, h - side - 20))
    left = int(rng.integers(20, w - side - 20)) if rng.random() < 0.5 else w - side + int(rng.integers(20, 50))
    photo[top:top + side, left:min(left + side, w)] = sheet[:, :min(side, w - left)]
    photo *= 1 - rng.uniform(0, 0.15) * xx / w
    return np.clip(np.round(photo), 0, 255).astype(np.uint8)
