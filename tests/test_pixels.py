"""The nearest digit's pixels (pixels.py): fitted once per run, stored with the checkpoint, and
the part of the verdict's rank that needs no model."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from safetensors.numpy import load_file as st_load_file

from sae_desktop.checkpoint import load_checkpoint, save_checkpoint
from sae_desktop.checkpoint_schema import PIXEL_BASIS_KEY, PIXELS_KEY
from sae_desktop.config import TrainConfig
from sae_desktop.density import Density
from sae_desktop.engine import train
from sae_desktop.events import EpochOutput, RunEnd
from sae_desktop import pixels as pixels_module
from sae_desktop.pixels import RANK, PixelReference, for_dataset
from sae_desktop.preprocess import preprocess
from sae_desktop.verdict import judge
from tests.test_checkpoint import assert_refused, make_checkpoint
from tests.test_verdict import left_out_nearest, seven


def digits(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    """uint8 "digits" ``[n, 784]``: one of the ``centres`` each, with a little noise."""
    noisy = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 12, (n, 784))
    return np.clip(noisy, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def reference() -> tuple[PixelReference, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 255, (3, 784)) * (rng.random((3, 784)) < 0.2)
    train_u8, test_u8 = digits(rng, 600, centres), digits(rng, 300, centres)
    return PixelReference.fit(train_u8, test_u8), train_u8, test_u8


def test_the_distance_is_to_the_nearest_other_reference_digit_among_its_leading_directions(reference):
    pixels, train_u8, test_u8 = reference
    assert pixels.basis.shape == (1 + RANK, 784) and pixels.points.shape == (600, RANK)
    np.testing.assert_allclose(pixels.basis[1:] @ pixels.basis[1:].T, np.eye(RANK), atol=1e-4)  # orthonormal
    coordinates = pixels.project(train_u8 / 255.0).astype(np.float16).astype(np.float32)
    np.testing.assert_allclose(coordinates, pixels.points.astype(np.float32), atol=2e-2)
    # a reference digit's nearest is another one, not itself (as the nearest code's: density.nearest)
    np.testing.assert_allclose(pixels.distance(train_u8[:3] / 255.0), left_out_nearest(pixels.points, 3), rtol=2e-3)
    # the test digits' own distances, which their ranks are made of, are to the nearest reference digit
    far = np.full((1, 784), 1.0)  # all ink: far from every digit
    assert pixels.test_distances.shape == (300,) and pixels.distance(far)[0] > 3 * pixels.test_distances.max()
    assert PixelReference.fit(train_u8[:1]) is None  # no other digit to be nearest


def test_the_nearest_pixels_are_a_fourth_part_of_the_rank(reference):
    pixels, _, test_u8 = reference
    rng = np.random.default_rng(1)
    hidden, codes, scores = rng.normal(size=(300, 12)), rng.random((300, 8)), rng.uniform(0, 100, 300)
    both = Density.fit(hidden, scores, codes, pixels=pixels)
    assert both.pixels is pixels and len(both.pixel_quantiles) == 201
    for far in ((99.9, 50, 50, 50), (50, 99.9, 50, 50), (50, 50, 99.9, 50), (50, 50, 50, 99.9)):
        assert both.combined_percentile(*far) > both.combined_percentile(50, 50, 50, 50) + 20  # each part counts
    assert np.isnan(both.combined_percentile(50, 50, 50))  # (a part missing: no rank)
    codes_only = Density.fit(hidden, scores, codes)  # a checkpoint from before the pixels: ranked as it was
    assert np.isnan(codes_only.pixel_percentile(1.0)) and codes_only.pixel_quantiles is None
    assert codes_only.combined_percentile(50, 50, 50) == codes_only.combined_percentile(50, 50, 50, 99.9)
    unfitted = replace(pixels, test_distances=None)  # no test distances to rank: no pixel evidence
    assert Density.fit(hidden, scores, codes, pixels=unfitted).pixels is None
    # the verdict names the parts the rank combines, and gives every figure
    stages = preprocess(seven())
    quantiles = list(np.linspace(0.0, 0.5, 101))
    far = float(np.max(pixels.test_distances)) * 2
    verdict = judge(stages, 0.1, quantiles, float(np.median(both.distance(hidden))), both, 0.5, far)
    assert "hidden layer farther out" in verdict.message and verdict.message.endswith(
        f"; nearest digit's code farther than {int(verdict.neighbour_percentile)}%, its pixels than all)")
    assert verdict.pixel_percentile == 100 and verdict.to_dict()["pixel_distance"] == far
    assert [line.split(":")[0] for line in verdict.glossary.splitlines()[:4]] == [
        "unexplained", "hidden layer farther out (nearer in)", "nearest digit's code", "its pixels"]
    near = judge(stages, 0.1, quantiles, float(np.median(both.distance(hidden))), both, 0.5,
                 float(np.median(pixels.test_distances)))
    assert near.percentile < verdict.percentile


def test_the_reference_pixels_round_trip_in_a_checkpoint(tmp_path, reference):
    pixels, _, test_u8 = reference
    rng = np.random.default_rng(0)
    ckpt = make_checkpoint()
    ckpt.test_density = Density.fit(rng.gamma(1.0, size=(300, 8)), rng.uniform(0, 100, 300), rng.random((300, 4)),
                                    pixels=pixels)
    path = save_checkpoint(ckpt, tmp_path / "m.safetensors")
    tensors = st_load_file(path)
    assert tensors[PIXELS_KEY].dtype == np.float16 and tensors[PIXEL_BASIS_KEY].shape == (1 + RANK, 784)
    loaded = load_checkpoint(path).test_density
    assert loaded.pixel_quantiles == ckpt.test_density.pixel_quantiles
    np.testing.assert_allclose(loaded.pixel_distance(test_u8[:5] / 255.0), pixels.distance(test_u8[:5] / 255.0),
                               rtol=1e-4)


@pytest.mark.parametrize("tamper,why", [
    (lambda t, m: t.pop(PIXELS_KEY), "come together"),
    (lambda t, m: m.update(test_density=json.dumps({k: v for k, v in json.loads(m["test_density"]).items()
                                                     if k != "pixel_quantiles"})), "come together"),
    (lambda t, m: t.update({PIXELS_KEY: t[PIXELS_KEY][:, :3]}), "should be F32"),
    (lambda t, m: t.update({PIXEL_BASIS_KEY: t[PIXEL_BASIS_KEY][:, :100]}), "should be F32"),
    (lambda t, m: t.update({PIXELS_KEY: np.full((300, RANK), np.nan, np.float16)}), "NaN or infinite"),
])
def test_the_reference_pixels_are_checked_against_the_metadata(tmp_path, reference, tamper, why):
    pixels = reference[0]
    rng = np.random.default_rng(0)
    ckpt = make_checkpoint()
    ckpt.test_density = Density.fit(rng.gamma(1.0, size=(300, 8)), rng.uniform(0, 100, 300), pixels=pixels)
    assert_refused(save_checkpoint(ckpt, tmp_path / "m.safetensors"), tamper, why)


def test_a_training_run_keeps_its_training_digits_pixels_as_the_reference(tiny_dataset):
    cfg = TrainConfig(epochs=1, d_hidden=16, d_latent=8, device="cpu", log_every=5)
    end = [e for e in train(cfg, tiny_dataset) if isinstance(e, RunEnd)][0]
    density = end.evaluation.test_density
    assert density.pixels is not None and density.pixels.points.shape == (len(tiny_dataset.train_images), RANK)
    expected = PixelReference.fit(tiny_dataset.train_images, tiny_dataset.test_images)
    np.testing.assert_allclose(density.pixels.test_distances, expected.test_distances, rtol=1e-4)
    np.testing.assert_allclose(np.abs(density.pixels.basis[1:4] @ expected.basis[1:4].T), np.eye(3), atol=1e-3)


def counting_fits(monkeypatch, events: list) -> list[int]:
    """From now on (the memo emptied), each :meth:`PixelReference.fit` appends to the list
    returned how many ``events`` there were when it began."""
    fits, real = [], PixelReference.fit.__func__
    monkeypatch.setattr(pixels_module, "_last_fit", None)
    monkeypatch.setattr(PixelReference, "fit", classmethod(lambda cls, *a: fits.append(len(events)) or real(cls, *a)))
    return fits


def test_a_run_fits_its_reference_before_its_first_step_not_inside_epoch_1s_evaluation(tiny_dataset, monkeypatch):
    """Epoch 1's evaluation took ~1.5 s against ~0.2 s for the others (the fit inside it), and the
    window's ETA counts an epoch's end as long as the ends seen so far: after epoch 1 of 10 it
    added ~12 s too many (``progress.ProgressEstimate.overhead``)."""
    seen = []
    fits = counting_fits(monkeypatch, seen)
    cfg = TrainConfig(epochs=2, d_hidden=16, d_latent=8, device="cpu", log_every=5)
    for event in train(cfg, tiny_dataset):
        seen.append(event)
    assert fits == [0]  # once, before RunStart (the first event)
    assert all(e.evaluation.test_density.pixels is not None for e in seen if isinstance(e, (EpochOutput, RunEnd)))


def test_the_next_run_on_the_same_digits_reuses_the_reference(tiny_dataset, monkeypatch):
    """A sweep's runs (and the window's next run) share the digits: the ~1 s fit is made once."""
    fits = counting_fits(monkeypatch, [])
    train_u8, test_u8 = tiny_dataset.train_images, tiny_dataset.test_images
    first = for_dataset(train_u8, test_u8)
    assert for_dataset(train_u8.copy(), test_u8.copy()) is first and len(fits) == 1  # same digits, other arrays
    changed = train_u8.copy()
    changed[0, 14, 14] ^= 1  # one pixel of one digit
    other = for_dataset(changed, test_u8)
    assert other is not first and len(fits) == 2
    assert for_dataset(train_u8, test_u8[:-1]) is not other and len(fits) == 3  # the test digits count too
    cfg = TrainConfig(epochs=1, d_hidden=16, d_latent=8, device="cpu", log_every=5)
    for seed in (0, 1):  # two runs, as a sweep makes them
        end = [e for e in train(replace(cfg, seed=seed), tiny_dataset) if isinstance(e, RunEnd)][0]
        assert end.evaluation.test_density.pixels is not None
    assert len(fits) == 4


def test_only_an_evaluation_with_reference_digits_fits_their_pixels(tiny_dataset):
    """The window evaluates a loaded model for its atlas and comparisons, on its own thread for a
    comparison: that never needs the pixels, and fitting them took ~0.5 s more."""
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    bundled = ModelSnapshot.load(bundled_model_path())
    test, train = tiny_dataset.test_images, tiny_dataset.train_images
    assert bundled.evaluate(test).test_density.pixels is None
    with_reference = bundled.evaluate(test, train).test_density
    assert with_reference.pixels is not None and with_reference.pixels.points.shape[0] == len(train)
    given = PixelReference.fit(train, test)
    assert bundled.evaluate(test, pixels=given).test_density.pixels is given

