"""What each latent means: tile images, top activating digits, density. Plain NumPy.

Decoder tile of latent j (what the latent *writes*):
    decode(a·e_j) − decode(0), where e_j is the one-hot code of latent j and a its largest
    value: 1 for sigmoid latents (their ceiling); for ReLU latents (l1, top-k), the largest
    activation latent j reaches on the test set (1 when there are no test statistics). The
    decoder is not linear: with other latents on, the latent writes somewhat differently.
Encoder tile of latent j (what the latent *looks for*):
    row j of W_enc2 · W_enc1, the linear path from the 784 pixels to the latent's
    pre-activation, ignoring the hidden ReLU (UFLDL-style weight images).
Tiles are shown normalised per tile to [-1, 1] on a diverging colour map.
"""

from __future__ import annotations

import math

import numpy as np

from sae_desktop.evaluation import Evaluation
from sae_desktop.snapshot import ModelSnapshot
from sae_desktop.words import counted, plural

MOSTLY_SHARE = 0.5  # "mostly 6s": one class's mean is at least half the class means' sum, twice the next's
PAIR_SHARE = 0.65  # "mostly 4s and 9s": two classes hold this much together
FEW = 5  # a latent active on fewer test digits than this has no class said of it
# ... or a class's (two classes') mean is this many times the next class's: a "1" latent with 0.30
# on 1s and ~0.04 on each other class held only 46 % of the sum, and read "many classes", as did a
# top-k latent with 6.0 on 0s and 2.3 next, its top 16 digits all 0s
STANDS_OUT = 2.5
OVER_ACTIVE_DENSITY = 0.5  # a latent active on more than half the test images is hardly sparse
TOP_K = 16
DEAD_FADE = 0.3  # a dead latent's tile drawn at this share of its strength: it never shows in a test digit's
# reconstruction (its weights may have learned before it died, or never: Atlas, matches)


def on_values(model: ModelSnapshot, evaluation: Evaluation | None) -> np.ndarray:
    """The activation each latent is decoded at for its tile (see the module docstring)."""
    d = model.config.d_latent
    if model.config.latent == "sigmoid" or evaluation is None:
        return np.ones(d, dtype=np.float32)
    peak = evaluation.latents.max(axis=0)
    return np.where(peak > 0, peak, 1.0).astype(np.float32)


def decoder_tiles(model: ModelSnapshot, evaluation: Evaluation | None = None) -> np.ndarray:
    """``[d_latent, 28, 28]``: decode(a·e_j) − decode(0) for every latent j."""
    d = model.config.d_latent
    codes = np.diag(on_values(model, evaluation))
    base = model.decode(np.zeros((1, d), np.float32))
    return (model.decode(codes) - base).reshape(d, 28, 28)


def encoder_tiles(model: ModelSnapshot) -> np.ndarray:
    """``[d_latent, 28, 28]``: the linear path W_enc2 · W_enc1 from pixels to each latent."""
    a = model.arrays
    return (a["W_enc2"] @ a["W_enc1"]).reshape(model.config.d_latent, 28, 28)


def normalise_tiles(tiles: np.ndarray) -> np.ndarray:
    """Each tile divided by its largest |value|, so every tile spans [-1, 1] (zeros stay 0)."""
    peak = np.abs(tiles).reshape(len(tiles), -1).max(axis=1)
    return tiles / np.where(peak > 0, peak, 1.0)[:, None, None]


def top_activating(latents: np.ndarray, j: int, k: int = TOP_K) -> np.ndarray:
    """Indices of the k images with the largest activation of latent j, largest first."""
    column = latents[:, j]
    k = min(k, column.size)
    best = np.argpartition(-column, k - 1)[:k]
    return best[np.argsort(-column[best], kind="stable")]


def over_active(evaluation: Evaluation) -> np.ndarray:
    return evaluation.density > OVER_ACTIVE_DENSITY


def grid_shape(n: int, aspect: float = 1.0) -> tuple[int, int]:
    """(rows, columns) of the grid for n tiles whose tiles are largest in an area of this
    ``aspect`` (width / height): near-square in a square area, wider in a wide one (at 1280×720
    the atlas laid 32 latents 6 × 6 in a 735 × 280 px area, tiles of 45 px; 8 × 4 gives 70).
    Ties go to the grid with fewer empty cells, then to more columns."""
    n, aspect = max(int(n), 1), aspect if np.isfinite(aspect) and aspect > 0 else 1.0

    def side(columns: int) -> float:  # a tile's side, in units of the area's height
        return min(aspect / columns, 1.0 / math.ceil(n / columns))

    columns = max(range(1, n + 1), key=lambda c: (round(side(c), 9), -(math.ceil(n / c) * c - n), c))
    return math.ceil(n / columns), columns


def mosaic(tiles: np.ndarray, order: np.ndarray | None = None, pad: int = 2, fill: float = np.nan,
           columns: int | None = None) -> np.ndarray:
    """Tiles ``[n, h, w]`` in a grid (near-square unless ``columns`` is given), in ``order``,
    ``pad`` pixels apart, the gaps filled with ``fill``."""
    order = np.arange(len(tiles)) if order is None else np.asarray(order)
    if columns is None:
        rows, columns = grid_shape(len(order))
    else:
        rows = math.ceil(len(order) / columns)
    h, w = tiles.shape[1:]
    out = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad), fill, dtype=np.float32)
    for position, index in enumerate(order):
        r, c = divmod(position, columns)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = tiles[index]
    return out


def tile_at(position_xy: tuple[float, float], n: int, tile: int = 28, pad: int = 2,
            columns: int | None = None) -> int | None:
    """The grid position under a point of a :func:`mosaic` image (x = column, y = row), or None
    (``columns``: the mosaic's, near-square if not given)."""
    x, y = position_xy
    columns = columns or grid_shape(n)[1]
    rows = math.ceil(n / columns)
    c, r = int((x - pad) // (tile + pad)), int((y - pad) // (tile + pad))
    inside = 0 <= c < columns and 0 <= r < rows and (x - pad) % (tile + pad) < tile and (y - pad) % (tile + pad) < tile
    position = r * columns + c
    return position if inside and position < n else None


def tile_origin(position: int, columns: int, tile: int = 28, pad: int = 2) -> tuple[int, int]:
    """The mosaic pixel (x, y) where the tile at grid ``position`` begins."""
    r, c = divmod(int(position), columns)
    return pad + c * (tile + pad), pad + r * (tile + pad)


def grid_step(at: int | None, move: str, n: int, columns: int) -> int:
    """The position a key moves the selection to in a grid of ``n`` tiles, ``columns`` wide:
    "left"/"right" one tile, "up"/"down" one row (staying put at an edge), "home"/"end" the
    first and last; with nothing selected, the first (the last for "end")."""
    if at is None or move in ("home", "end"):
        return n - 1 if move == "end" else 0
    step = {"left": -1, "right": 1, "up": -columns, "down": columns}[move]
    return at + step if 0 <= at + step < n else at


def frame_segments(positions, columns: int, tile: int = 28, pad: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Line segments (pairs of points) framing the given grid positions of a mosaic."""
    xs, ys = [], []
    for p in positions:
        x0, y0 = (v - 0.5 for v in tile_origin(p, columns, tile, pad))
        x1, y1 = x0 + tile + 1, y0 + tile + 1
        xs += [x0, x1, x1, x1, x1, x0, x0, x0]
        ys += [y0, y0, y0, y1, y1, y1, y1, y0]
    return np.array(xs, float), np.array(ys, float)


def density_floor(images: int) -> float:
    """The density axis's left end (log10) for ``images`` test digits: at most half a decade left of the
    rarest live latent's, one digit's (10^-4 of 10 000; from −5, its left fifth could hold no latent)."""
    return min(-1.0, (math.ceil(2.0 * math.log10(1.0 / max(images, 1))) - 1) / 2.0)


def log_density_histogram(density: np.ndarray, images: int, bins: int = 30,
                          low: float | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Histogram of log10(density) over the live latents (from ``low``, else :func:`density_floor` of
    the ``images`` the densities were counted on), and the number of dead ones."""
    low = density_floor(images) if low is None else low
    live = density[density > 0]
    counts, edges = np.histogram(np.log10(live), bins=bins, range=(low, 0.0))
    return counts, edges, int((density <= 0).sum())


def class_profile(latents: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """``[d_latent, n_classes]``: each latent's mean activation on the test images of each class."""
    labels = np.asarray(labels).astype(np.int64)
    sums = np.zeros((n_classes, latents.shape[1]), np.float64)
    np.add.at(sums, labels, latents)
    counts = np.bincount(labels, minlength=n_classes)[:n_classes]
    return (sums / np.maximum(counts, 1)[:, None]).T


def class_verdict(profile: np.ndarray, names: tuple[str, ...] | list[str], active_on: int | None = None) -> str:
    """What one latent fires on, in words, from its row of :func:`class_profile`: "mostly 6s",
    "mostly 4s and 9s", "many classes on average" (the class chart's highest bar in a darker green), or
    "never active". ("most: 1s" read as the class of most of its top digits, shown below it,
    which may all be 8s: the 1s activate it most on average; "1s highest" read so too.)
    ``active_on``: the test digits it is active on; under :data:`FEW`, no class is claimed ("mostly
    2s" was said of a latent active on one digit)."""
    total = float(profile.sum())
    if total <= 0:
        return "never active"
    if active_on is not None and active_on < FEW:
        return f"active on {counted(active_on, 'test digit')} only"
    share = profile / total
    order = np.argsort(-share, kind="stable")
    first, second, third = (order[min(i, len(order) - 1)] for i in range(3))
    if share[first] >= MOSTLY_SHARE and share[first] >= 2 * share[second] or (
            share[first] >= STANDS_OUT * share[second] and len(order) > 1):
        return f"mostly {plural(names[first])}"
    if share[first] + share[second] >= PAIR_SHARE or (share[second] >= STANDS_OUT * share[third] and len(order) > 2):
        return f"mostly {plural(names[first])} and {plural(names[second])}"
    # "on average": its top digits may all be of one class ("all 7s" under "many classes, top mean: 4s" read as
    # a slip); the class chart marks the highest mean in a darker green (naming it here too made the title two lines,
    # which pushed the histogram below the fold at 1440×900)
    return "many classes on average"


def top_labels(labels: np.ndarray, names: tuple[str, ...] | list[str]) -> str:
    """The classes of a latent's top digits, in words: "all 0s", "12 are 7s" (one class holds at
    least half, more than any other: a tie's "1 are 2s" named the lower of a 5 and a 2, "8 are 5s" hid
    eight 7s), or "" (mixed). Its class verdict speaks of the mean over every test digit, so a
    latent whose 16 strongest digits are all 0s can still read "many classes": said side by side,
    both are true and neither reads as a slip."""
    labels = np.asarray(labels).astype(np.int64)
    if len(labels) < 2:
        return ""
    counts = np.bincount(labels, minlength=len(names))
    top = int(np.argmax(counts))
    if counts[top] == len(labels):
        return f"all {plural(names[top])}"
    unique = counts[top] > np.sort(counts)[-2]
    return f"{counts[top]} are {plural(names[top])}" if unique and 2 * counts[top] >= len(labels) else ""
