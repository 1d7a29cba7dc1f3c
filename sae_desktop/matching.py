"""Matching the latents of two models: which latent of B plays the part of each latent of A.

Each latent is represented by what it *draws*, its decoder tile (``atlas.decoder_tiles``:
decode(a·e_j) − decode(0), 784 pixels). This model's decoder has a hidden layer, so its raw
weight columns live in a hidden space that differs from run to run; the tiles are in pixel
space, shared by every model of the same images. Pairs are the one-to-one assignment that
maximises the total cosine similarity (the Hungarian method, scipy's
``linear_sum_assignment``); with different widths, the smaller dictionary is matched in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from sae_desktop.atlas import decoder_tiles
from sae_desktop.snapshot import ModelSnapshot


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[n_a, n_b]`` cosine similarities of the rows of ``a`` and ``b`` (a zero row: 0)."""
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    a = a / np.where(na > 0, na, 1.0)[:, None]
    b = b / np.where(nb > 0, nb, 1.0)[:, None]
    return a @ b.T


@dataclass(frozen=True)
class Matching:
    a: np.ndarray  # latent indices of model A, one per pair, best match first
    b: np.ndarray  # the latent of model B paired with each
    similarity: np.ndarray  # cosine similarity of each pair's decoder tiles
    # any latent of A with any of B, the median: what "similar" is measured against (decoder tiles share
    # much of their shape, the ink every latent removes: 29 of 32 pairs at 0.70 or more read as the same
    # features, where any two had a median of 0.45)
    chance: float = float("nan")

    @property
    def mean(self) -> float:
        return float(self.similarity.mean()) if self.similarity.size else float("nan")


def match_directions(a: np.ndarray, b: np.ndarray) -> Matching:
    """The one-to-one pairing of the rows of ``a`` and ``b`` with the largest total cosine
    similarity, pairs sorted from most to least similar."""
    sim = cosine_matrix(a, b)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    order = np.argsort(-sim[rows, cols], kind="stable")
    chance = float(np.median(sim)) if sim.size else float("nan")
    return Matching(rows[order], cols[order], sim[rows, cols][order], chance)


def match_models(a: ModelSnapshot, b: ModelSnapshot) -> Matching:
    """Pair the latents of two models by the cosine similarity of their decoder tiles."""
    return match_directions(decoder_tiles(a, a.evaluation), decoder_tiles(b, b.evaluation))
