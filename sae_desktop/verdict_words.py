"""The words of a verdict's evidence (verdict.py): each part's rank among the test digits, said the way
it leans ("worse than 91%", "better than 93%")."""

from __future__ import annotations

import math

import numpy as np


def evidence_parts(score: float, sp: float, dp: float, nnp: float = float("nan"), pxp: float = float("nan")) -> str:
    """The parts a verdict's rank combines: the share of the input ``score`` leaves unexplained and its rank
    ``sp``; the hidden layer's ``dp``; the nearest digit's code ``nnp`` and its pixels ``pxp``, where known."""
    # Short: it wraps beside the preprocessing stages, and in presentation mode at 1280×720 two
    # more lines made the window taller than the screen
    parts = f"{score:.0%} unexplained, {_ranked(sp, 'worse', 'better')}"
    if np.isfinite(dp):
        parts += f"; hidden layer {_ranked(dp, 'farther out', 'nearer in')}"
    if np.isfinite(nnp) and np.isfinite(pxp):
        pixels = _ranked(pxp, "farther", "nearer")  # ("its pixels than 40%" where both are farther)
        pixels = pixels.removeprefix("farther ") if nnp >= 50 and pxp >= 50 else \
            pixels.removeprefix("nearer ") if nnp < 50 and pxp < 50 else pixels
        parts += f"; nearest digit's code {_ranked(nnp, 'farther', 'nearer')}, its pixels {pixels}"
    elif np.isfinite(nnp):
        parts += f"; nearest digit {_ranked(nnp, 'farther', 'nearer')}"
    elif np.isfinite(pxp):
        parts += f"; nearest digit's pixels {_ranked(pxp, 'farther', 'nearer')}"
    return parts


def _ranked(percentile: float, worse: str, better: str) -> str:
    """A part's rank among the test digits, said the way it leans: "worse than 91%", and below the
    middle "better than 93%" ("6% unexplained, worse than 0%" was hard to read out in a lecture)."""
    if percentile >= 50.0:
        return f"{worse} than {_share_below(percentile)}"
    return f"{better} than {_share_below(100.0 - percentile)}"


def _share_below(percentile: float) -> str:
    """A part's rank: "all" past every test digit, else the whole percent it is past (cut down, never rounded up: a part
    at 98.6 read "worse than 99%" in a verdict that says "overall" only for a part past 99)."""
    return "all" if percentile >= 100.0 else f"{cut_down(min(percentile, 99.0)):.0f}%"


def cut_down(share: float, decimals: int = 0) -> float:
    """A share (%) as a verdict says it: cut down to ``decimals``, never rounded up (its headline's "90% of test
    digits are more unusual" for 89.6 % beside parts cut down, "better than 60%" for 60.8 %: one rule, and
    neither overstates). (A hair below a whole number, as float arithmetic leaves 29 %, is that number.)"""
    scale = 10.0 ** decimals
    return math.floor(share * scale + 1e-9) / scale
