"""Atlas maths against hand computations; exports produce valid files."""

import csv

import math

import numpy as np
import pytest
import torch
from PIL import Image

from sae_desktop.atlas import (class_profile, class_verdict, decoder_tiles, encoder_tiles, grid_shape,
                               log_density_histogram, mosaic,
                               normalise_tiles, over_active, tile_at, top_activating)
from sae_desktop.config import ModelConfig
from sae_desktop.data import CLASS_NAMES
from sae_desktop.evaluation import Evaluation
from sae_desktop.exports import save_diverging_png, save_grey_png, save_latent_codes, save_metrics_csv
from sae_desktop.matching import cosine_matrix, match_directions, match_models
from sae_desktop.model import SparseAutoencoder
from sae_desktop.snapshot import ModelSnapshot


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def hand_model(latent="sigmoid"):
    """784 → 2 → 2 → 2 → 784 with simple, known weights."""
    rng = np.random.default_rng(0)
    w = {
        "W_enc1": rng.normal(size=(2, 784)).astype(np.float32) * 0.05, "b_enc1": np.zeros(2, np.float32),
        "W_enc2": np.array([[1.0, 0.5], [-0.5, 2.0]], np.float32), "b_enc2": np.zeros(2, np.float32),
        "W_dec1": np.eye(2, dtype=np.float32), "b_dec1": np.array([0.1, -0.2], np.float32),
        "W_dec2": rng.normal(size=(784, 2)).astype(np.float32), "b_dec2": np.full(784, -1.0, np.float32),
    }
    cfg = ModelConfig(d_hidden=2, d_latent=2, latent=latent)
    return ModelSnapshot(cfg, {k: torch.from_numpy(v) for k, v in w.items()}, "hand"), w


def test_decoder_tiles_by_hand():
    model, w = hand_model()
    base = sigmoid(w["W_dec2"] @ np.maximum(w["b_dec1"], 0) + w["b_dec2"])
    for j in range(2):
        e = np.eye(2)[j]
        expected = sigmoid(w["W_dec2"] @ np.maximum(w["W_dec1"] @ e + w["b_dec1"], 0) + w["b_dec2"]) - base
        np.testing.assert_allclose(decoder_tiles(model)[j], expected.reshape(28, 28), atol=1e-5)


def test_relu_decoder_tiles_use_each_latents_peak_activation():
    model, w = hand_model("relu")
    latents = np.array([[3.0, 0.0], [1.0, 0.5]], np.float32)
    ev = Evaluation(np.zeros(2), latents, 0.0)
    base = sigmoid(w["W_dec2"] @ np.maximum(w["b_dec1"], 0) + w["b_dec2"])
    code = np.array([3.0, 0.0])  # latent 0 peaks at 3.0 on the "test set"
    expected = sigmoid(w["W_dec2"] @ np.maximum(w["W_dec1"] @ code + w["b_dec1"], 0) + w["b_dec2"]) - base
    np.testing.assert_allclose(decoder_tiles(model, ev)[0], expected.reshape(28, 28), atol=1e-5)


def test_encoder_tiles_are_the_linear_path():
    model, w = hand_model()
    np.testing.assert_allclose(encoder_tiles(model), (w["W_enc2"] @ w["W_enc1"]).reshape(2, 28, 28), rtol=1e-6)
    normalised = normalise_tiles(encoder_tiles(model))
    assert np.abs(normalised).reshape(2, -1).max(axis=1) == pytest.approx([1.0, 1.0])
    assert np.all(normalise_tiles(np.zeros((1, 28, 28))) == 0)


def test_top_activating_are_the_k_largest():
    latents = np.random.default_rng(1).random((500, 4)).astype(np.float32)
    top = top_activating(latents, 2, k=16)
    assert list(top) == list(np.argsort(-latents[:, 2])[:16])
    assert np.all(np.diff(latents[top, 2]) <= 0)
    assert len(top_activating(latents[:5], 0, k=16)) == 5


def test_density_dead_and_over_active_on_a_constructed_case():
    latents = np.zeros((10, 4), np.float32)
    latents[:3, 0] = 0.9  # active on 30%
    latents[:, 1] = 0.05  # never above the sigmoid threshold 0.1: dead
    latents[:8, 2] = 0.5  # 80%: over-active
    latents[0, 3] = 0.11  # 10%
    ev = Evaluation(np.zeros(10), latents, 0.1)
    np.testing.assert_allclose(ev.density, [0.3, 0.0, 0.8, 0.1])
    assert list(ev.dead) == [False, True, False, False] and ev.dead_latents == 1
    assert list(over_active(ev)) == [False, False, True, False]
    assert ev.l0 == pytest.approx((3 + 8 + 1) / 10)
    counts, edges, dead = log_density_histogram(ev.density, 10, bins=5, low=-2.0)
    assert dead == 1 and counts.sum() == 3 and edges[0] == -2.0 and edges[-1] == 0.0


@pytest.mark.parametrize("images", [160, 1000, 10_000, 60_000])
def test_the_density_axis_starts_where_the_rarest_live_latent_can_be(images):
    """From log10 = −5 with 10 000 test digits, whose rarest live latent is at −4: the axis's left fifth
    could hold no latent. Now half a decade left of one digit's density, whatever the count."""
    density = np.array([1.0 / images, 0.02, 0.5, 0.0])
    counts, edges, dead = log_density_histogram(density, images)
    one = math.log10(1.0 / images)
    assert one - 0.5 <= edges[0] < one and edges[-1] == 0.0  # (it was −5 for every count)
    assert counts.sum() == 3 and dead == 1 and edges[np.flatnonzero(counts)[0]] <= one  # (the one-digit latent's)


def test_mosaic_and_tile_lookup_round_trip():
    tiles = np.stack([np.full((28, 28), i, np.float32) for i in range(7)])
    assert grid_shape(7) == (3, 3) and grid_shape(512) == (23, 23)
    order = np.array([6, 5, 4, 3, 2, 1, 0])
    image = mosaic(tiles, order)
    assert image.shape == (3 * 30 + 2, 3 * 30 + 2)
    for position in range(7):
        r, c = divmod(position, 3)
        x, y = 2 + c * 30 + 14, 2 + r * 30 + 14
        assert tile_at((x, y), 7) == position and image[y, x] == order[position]
    assert tile_at((1, 1), 7) is None and tile_at((2 + 2 * 30 + 5, 2 + 2 * 30 + 5), 7) is None


def test_the_grid_gives_the_largest_tiles_for_the_areas_shape():
    """At 1280×720 in presentation mode the atlas laid 32 latents 6 × 6 in a 735 × 280 px area:
    tiles of 45 px beside empty width; 8 × 4 gives 70."""
    assert grid_shape(32, 735 / 280) == (4, 8) and grid_shape(32, 1 / 3) == (11, 3)
    for n in (1, 7, 32, 100, 512):  # a square area: the near-square grid, as before
        columns = math.ceil(math.sqrt(n))
        assert grid_shape(n) == grid_shape(n, 1.0) == (math.ceil(n / columns), columns)
    for n, aspect in ((32, 2.6), (200, 1.7), (1024, 0.6), (5, 9.0)):
        rows, columns = grid_shape(n, aspect)
        side = min(aspect / columns, 1 / rows)
        assert all(min(aspect / c, 1 / math.ceil(n / c)) <= side + 1e-12 for c in range(1, n + 1))  # none larger
    assert grid_shape(32, float("nan")) == grid_shape(32, 0.0) == grid_shape(32)
    # tiles found where a wide mosaic put them
    tiles = np.stack([np.full((28, 28), i, np.float32) for i in range(10)])
    image = mosaic(tiles, columns=5)
    for position in range(10):
        r, c = divmod(position, 5)
        x, y = 2 + c * 30 + 3, 2 + r * 30 + 25
        assert tile_at((x, y), 10, columns=5) == position and image[y, x] == position


def test_exports_write_valid_files(tmp_path):
    png = save_grey_png(np.random.rand(28, 28), tmp_path / "g.png", scale=4)
    assert Image.open(png).size == (112, 112)
    values = np.full((10, 12), np.nan)
    values[2:5, 3:8] = 0.5
    div = save_diverging_png(values, tmp_path / "d.png")
    assert Image.open(div).size == (12, 10) and Image.open(div).mode == "RGB"
    codes = save_latent_codes(np.random.rand(100, 32), tmp_path / "codes.npy")
    assert np.load(codes).shape == (100, 32) and np.load(codes).dtype == np.float32
    records = [{"type": "step", "step": 10, "epoch": 1, "losses/recon": 0.1},
               {"type": "epoch", "epoch": 1, "step": 469, "metrics/test_mse": 0.02, "metrics/rho_hat": [0.1, 0.2]},
               {"type": "epoch", "epoch": 2, "step": 938, "metrics/test_mse": 0.01, "metrics/rho_hat": [0.3, 0.4]},
               {"type": "summary"}]
    with open(save_metrics_csv(records, tmp_path / "m.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2"] and rows[1]["metrics/test_mse"] == "0.01"
    assert rows[0]["rho_hat_1"] == "0.2" and "metrics/l0" in rows[0]
    with open(save_metrics_csv(records, tmp_path / "s.csv", kind="step")) as f:
        steps = list(csv.DictReader(f))
    assert len(steps) == 1 and steps[0]["losses/recon"] == "0.1"


def test_a_run_stopped_inside_an_epoch_ends_its_metrics_csv_with_its_final_weights(tmp_path):
    """Stopped at step 1439, the screen said test MSE 0.03174 and 18 dead latents; the CSV ended at
    epoch 3's step 1407 (0.03181, 19 dead), the stop's figures left out."""
    epochs = [{"type": "epoch", "epoch": e, "step": 469 * e, "metrics/test_mse": 0.04 - e / 1000,
               "metrics/dead_latents": 20, "metrics/rho_hat": [0.1, 0.2]} for e in (1, 2, 3)]
    stopped = {"type": "summary", "status": "stopped", "epochs_done": 3, "step": 1439, "test_mse": 0.03174,
               "dead_latents": 18, "l0": 4.0, "rho_hat": [0.25, 0.35], "unfinished_epoch_seconds": 0.1}
    with open(save_metrics_csv(epochs + [stopped], tmp_path / "m.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [(r["epoch"], r["at"], r["step"]) for r in rows] == [("1", "epoch end", "469"), ("2", "epoch end", "938"),
                                                                 ("3", "epoch end", "1407"), ("4", "stopped", "1439")]
    assert rows[-1]["metrics/test_mse"] == "0.03174" and rows[-1]["metrics/dead_latents"] == "18"
    assert rows[-1]["rho_hat_1"] == "0.35" and float(rows[-1]["metrics/rho_hat_mean"]) == pytest.approx(0.3)
    completed = dict(stopped, status="completed", step=1407)  # ended with its last epoch: nothing more to say
    with open(save_metrics_csv(epochs + [completed], tmp_path / "c.csv")) as f:
        assert [r["at"] for r in csv.DictReader(f)] == ["epoch end"] * 3


def test_class_profile_and_verdict_name_the_class_a_latent_fires_on():
    labels = np.repeat(np.arange(10), 5)
    latents = np.zeros((50, 4), np.float32)
    latents[labels == 6, 0] = 2.0  # only on 6s
    latents[:, 0] += (labels == 0) * 0.5  # and weakly on 0s
    latents[(labels == 4) | (labels == 9), 1] = 1.0  # 4s and 9s alike
    latents[:, 2] = 1.0 + (labels == 1) * 0.1  # everything
    profile = class_profile(latents, labels)
    assert profile.shape == (4, 10)
    # a 1s latent over a low floor on every class: 46 % of the sum, but 6 times any other class
    ones = np.array([0.04, 0.30, 0.04, 0.05, 0.03, 0.04, 0.05, 0.03, 0.05, 0.03])
    twos = np.array([0.02, 0.02, 0.25, 0.02, 0.02, 0.02, 0.02, 0.25, 0.02, 0.02])  # and 2s with 7s
    assert profile[0, 6] == pytest.approx(2.0) and profile[0, 0] == pytest.approx(0.5) and profile[0, 3] == 0
    names = tuple(str(d) for d in range(10))
    assert class_verdict(profile[0], names) == "mostly 6s"
    assert class_verdict(profile[1], names) == "mostly 4s and 9s"
    assert class_verdict(profile[2], names) == "many classes on average"
    assert class_verdict(ones, names) == "mostly 1s" and class_verdict(twos, names) == "mostly 2s and 7s"
    # a top-k latent whose top 16 digits were all 0s: 6.0 on 0s, 2.3 next (2.6 times)
    assert class_verdict(np.array([6.0, 0.5, 2.3, 1.0, 0.8, 1.2, 1.5, 0.3, 1.1, 0.9]), names) == "mostly 0s"
    assert class_verdict(ones + 0.14, names).startswith("many classes")  # 0.44 against 0.19: not 2.5 times
    assert class_verdict(profile[3], names) == "never active"
    assert class_verdict(profile[0], CLASS_NAMES["fashion-mnist"]) == "mostly shirts"
    assert class_verdict(profile[1], CLASS_NAMES["fashion-mnist"]) == "mostly coats and boots"


def test_hungarian_matching_recovers_a_permutation_of_directions():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(12, 50))
    perm = rng.permutation(12)
    b = a[perm] * rng.uniform(0.5, 2.0, size=(12, 1)) + rng.normal(scale=0.01, size=(12, 50))  # scaled, noisy
    m = match_directions(a, b)
    assert all(perm[m.b[i]] == m.a[i] for i in range(12))  # each latent found its copy
    assert np.all(m.similarity > 0.99) and m.mean == pytest.approx(m.similarity.mean())
    assert m.chance == pytest.approx(np.median(cosine_matrix(a, b))) and abs(m.chance) < 0.2  # unrelated pairs
    assert list(m.similarity) == sorted(m.similarity, reverse=True)
    # a greedy pairing can do worse than the optimum; the assignment maximises the total
    sim = np.array([[0.6, 0.5], [0.55, 0.1]])  # greedy: 0.6 + 0.1; best: 0.5 + 0.55
    m = match_directions(*_directions_with(sim))
    assert sorted(zip(m.a.tolist(), m.b.tolist())) == [(0, 1), (1, 0)]
    wide = match_directions(a[:5], b)  # different widths: the smaller is matched in full
    assert len(wide.a) == 5 and sorted(wide.a) == list(range(5)) and len(set(wide.b)) == 5


def _directions_with(cosines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors a_i, b_j with a_i · b_j = cosines[i, j] (b = identity rows, a from the table)."""
    n = cosines.shape[1]
    b = np.eye(n + cosines.shape[0])[:n]
    a = np.zeros((cosines.shape[0], b.shape[1]))
    a[:, :n] = cosines
    a[:, n:] = np.diag(np.sqrt(1 - np.square(cosines).sum(axis=1)))
    return a, b


def test_matching_a_model_with_itself_pairs_every_latent_with_itself():
    cfg = ModelConfig(d_hidden=16, d_latent=6)
    model = ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), "m")
    m = match_models(model, model)
    assert list(m.a) == list(m.b) and np.allclose(m.similarity, 1.0)


def test_top_labels_say_what_the_strongest_digits_are():
    """"many classes, top mean: 0s" sat over 16 digits that were all 0s, with nothing saying so:
    the verdict is a mean over every digit, the top digits are the strongest few."""
    from sae_desktop.atlas import top_labels

    names = tuple(str(d) for d in range(10))
    assert top_labels(np.zeros(16, int), names) == "all 0s"
    assert top_labels(np.array([7] * 12 + [1, 2, 3, 9]), names) == "12 are 7s"
    # a tie names no class: "1 are 2s" named the lower class of a 5 and a 2, "8 are 5s" hid eight 7s
    assert top_labels(np.array([7] * 8 + [5] * 8), names) == "" and top_labels(np.array([5, 2]), names) == ""
    assert top_labels(np.array([7] * 9 + [5] * 7), names) == "9 are 7s"
    assert top_labels(np.array([7] * 8 + list(range(8))), names) == "9 are 7s"  # (with the 7 among the 8)
    assert top_labels(np.array([0] * 8 + list(range(1, 9))), names) == "8 are 0s"  # a half, no other as large
    assert top_labels(np.array([7] * 7 + [1] * 4 + [2] * 4), names) == ""  # 7 of 15: under half
    assert top_labels(np.arange(16) % 10, names) == ""  # mixed: nothing to say
    assert top_labels(np.array([3]), names) == ""  # one digit's label is on its tile
    assert top_labels(np.array([8, 8, 8]), CLASS_NAMES["fashion-mnist"]) == "all bags"


def test_the_keys_move_the_selection_through_the_grid_as_it_is_laid_out():
    from sae_desktop.atlas import grid_step

    n, columns = 10, 4  # rows 0-3, 4-7, 8-9
    assert [grid_step(None, move, n, columns) for move in ("left", "down", "home", "end")] == [0, 0, 0, 9]
    assert grid_step(5, "left", n, columns) == 4 and grid_step(5, "right", n, columns) == 6
    assert grid_step(5, "up", n, columns) == 1 and grid_step(5, "down", n, columns) == 9
    assert grid_step(7, "down", n, columns) == 7  # no tile below: it stays
    assert grid_step(0, "left", n, columns) == 0 and grid_step(9, "right", n, columns) == 9
    assert grid_step(6, "home", n, columns) == 0 and grid_step(6, "end", n, columns) == 9
