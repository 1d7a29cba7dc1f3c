"""The probe's verdict: it scores the input (scale-free, unsteered), with plain checks of its own."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from benchmarks.synthetic_inputs import KINDS, brush_digit, non_digit, photo_digit, polyline
from sae_desktop.config import ModelConfig
from sae_desktop.architecture import input_score
from sae_desktop.images import ink_on_black
from sae_desktop.model import SparseAutoencoder
from sae_desktop.preprocess import FILLED, THINNED, WIDTH_RANGE, preprocess
from sae_desktop.probe import probe, probe_image
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path
from sae_desktop.density import Density
from sae_desktop.strokes import RARE, loops
from sae_desktop.verdict import (MAX_ASPECT, MAX_LENGTH, MAX_LOOPS, MNIST_ASPECT, UNLIKE, ink_aspect, judge,
                                 shown_share, stroke_length)


@pytest.fixture(scope="module")
def bundled():
    return ModelSnapshot.load(bundled_model_path())


def seven(size=280, width=18.0, scale=1.0, peak=1.0):
    s = size * scale
    points = [(size / 2 + (y - 0.5) * s, size / 2 + (x - 0.5) * s) for y, x in ((0.2, 0.25), (0.2, 0.75), (0.8, 0.4))]
    return peak * polyline((size, size), points, width)


def test_input_score_is_scale_free():
    rng = np.random.default_rng(0)
    x, r = rng.random((3, 784)), rng.random((3, 784))
    np.testing.assert_allclose(input_score(0.2 * x, 0.2 * r), input_score(x, r))
    assert input_score(x, x).max() == 0.0


def test_a_faint_or_thin_drawing_is_judged_like_a_bold_one(bundled):
    bold = probe_image(bundled, seven())[1].verdict
    faint = probe_image(bundled, seven(peak=0.3))[1].verdict
    thin = probe_image(bundled, seven(width=4))[1].verdict
    assert bold.kind == faint.kind == "typical" and faint.score == pytest.approx(bold.score, rel=1e-3)
    assert thin.kind == "typical" and thin.digit_like


def test_clamping_latents_never_changes_the_verdict(bundled):
    stages, result = probe_image(bundled, seven())
    steered = probe(bundled, stages.image, clamps={i: 1.0 for i in range(0, 32, 3)}, stages=stages)
    assert not np.allclose(steered.reconstruction, result.reconstruction)
    assert steered.mse > 2 * result.mse  # the output is scored worse…
    assert steered.verdict == result.verdict  # …the input is not


@pytest.mark.parametrize("case,kind", [
    ("blank", "nothing"), ("faint", "faint"), ("tiny", "small"), ("disc", "filled"), ("dash", "wide"),
    ("grid", "tangled")])
def test_plain_checks_have_their_own_message(bundled, case, kind):
    rng = np.random.default_rng(1)
    if case == "blank":
        image = np.full((200, 200), 0.6) + rng.normal(0, 0.01, (200, 200))
    elif case == "faint":  # 2 % contrast on grey paper
        image = 0.6 + 0.02 * seven() + rng.normal(0, 0.003, (280, 280))
    elif case == "tiny":
        image = seven(scale=0.03, width=1.5)
    elif case == "disc":
        yy, xx = np.mgrid[0:280, 0:280]
        image = (np.hypot(yy - 140, xx - 140) < 100).astype(float)
    elif case == "dash":  # a minus sign, a dash: scaled to 20 px wide it was a thick bar, read "typical"
        image = polyline((280, 280), [(140, 40), (150, 240)], 16)
    else:  # a 5×5 grid of lines: far more stroke than any digit
        lines = [[(y, 20), (y, 260)] for y in np.linspace(20, 260, 6)]
        lines += [[(20, x), (260, x)] for x in np.linspace(20, 260, 6)]
        image = np.max([polyline((280, 280), p, 8) for p in lines], axis=0)
    stages = preprocess(image)
    result = None if stages.empty else probe(bundled, stages.image, stages=stages)
    verdict = result.verdict if result else judge(stages, float("nan"), bundled.test_score_quantiles)
    assert verdict.kind == kind and verdict.digit_like is not True
    assert verdict.message and verdict.message[0].isupper()
    assert "≤" not in verdict.message  # (read aloud: "99.9% of MNIST's ≤ 71.5" was no sentence)
    if case == "disc":  # a filled shape; a dot, where it is small in the picture
        assert verdict.message.startswith("A filled shape, not pen strokes")
        assert verdict.message.endswith("px wide once thinned to MNIST's strokes (strokes this bold thin to at "
                                        f"most {WIDTH_RANGE[1]:g})")
        yy, xx = np.mgrid[0:280, 0:280]
        for radius in (13, 31):  # taps of the default and the widest brush (60 px read "a filled shape")
            dot = probe_image(bundled, (np.hypot(yy - 140, xx - 140) < radius).astype(float))[1].verdict
            assert dot.kind == "filled" and dot.message.startswith("A dot, not pen strokes")
    if kind == "tangled":  # its length, said as a length ("more strokes" read as a count: a scribble is one)
        assert stroke_length(stages) > MAX_LENGTH and verdict.message.startswith("More stroke length than")
        assert verdict.message.endswith(f"px of stroke; 99.9% of MNIST's digits have at most {MAX_LENGTH:g})")


def test_an_untrained_model_gives_no_verdict():
    cfg = ModelConfig(d_hidden=16, d_latent=8)
    torch.manual_seed(0)
    snap = ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), "untrained")
    digits = (np.clip(np.stack([seven(28, 2.5, 0.7), seven(28, 2.0, 0.6)]), 0, 1) * 255).astype(np.uint8)
    snap = snap.with_evaluation(snap.evaluate(np.repeat(digits, 20, axis=0)))
    verdict = probe_image(snap, seven())[1].verdict
    assert verdict.kind == "untrained" and verdict.digit_like is None and "No verdict" in verdict.message
    assert "digit's own variance unexplained (a verdict needs under 60%)" in verdict.message  # not the FVU's


def test_the_bundled_model_carries_its_test_set_reference(bundled, mnist):
    stored = bundled.test_score_quantiles
    assert stored is not None and len(stored) == 201
    computed = bundled.evaluate(mnist.test_images).test_score_quantiles
    np.testing.assert_allclose(stored, computed, rtol=2e-3, atol=1e-4)


def test_test_digits_pass_and_non_digits_are_flagged(bundled, mnist):
    digits = mnist.test_images[5000:7000]  # the half of the test set written by the other group
    flagged = np.mean([probe(bundled, d / 255.0).verdict.digit_like is False for d in digits])
    assert flagged < 0.025
    as_files = [probe_image(bundled, ink_on_black(d / 255.0))[1].verdict for d in digits[:500]]
    assert np.mean([v.digit_like is False for v in as_files]) < 0.02
    rng = np.random.default_rng(7)
    rates = {}
    for kind in KINDS:
        results = [probe_image(bundled, non_digit(kind, rng))[1] for _ in range(25)]
        rates[kind] = np.mean([r is None or r.verdict.digit_like is False for r in results])
    # measured with 100 of each: blob 90 %, noise 94 %, crossed box 98 %, box 63 %, letter 5 %, scribble 8 %
    assert min(rates[k] for k in ("blob", "noise", "crossed box")) >= 0.7, rates
    assert rates["box"] >= 0.3 and np.mean(list(rates.values())) >= 0.5, rates


def test_photos_and_thin_brush_digits_reconstruct_like_test_digits(bundled, mnist):
    rng = np.random.default_rng(3)
    digits = mnist.test_images[rng.choice(len(mnist.test_images), 60, replace=False)]
    test_median = np.median([probe(bundled, d / 255.0).verdict.score for d in digits])
    for make in (lambda d: ink_on_black(photo_digit(d, rng) / 255.0), lambda d: brush_digit(d, rng)):
        verdicts = [probe_image(bundled, make(d))[1].verdict for d in digits]
        # measured: photos 1.4×, brush strokes 1.1× the test digits' median (before the stages: 4.4× and 3.2×)
        assert np.median([v.score for v in verdicts]) < 1.6 * test_median
        assert np.mean([v.digit_like is False for v in verdicts]) < 0.1
        assert np.percentile([v.percentile for v in verdicts], 50) < UNLIKE


def test_the_density_ranks_the_test_set_it_was_fitted_to():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(2000, 12)) @ rng.normal(size=(12, 12))  # correlated, as a layer's units are
    density = Density.fit(hidden, rng.uniform(0, 100, 2000))
    ranks = [density.percentile(d) for d in density.distance(hidden)]
    assert abs(np.mean(np.array(ranks) >= 99) - 0.01) < 0.005  # its own percentiles are calibrated
    far = hidden.mean(0) + 6 * hidden.std(0)
    assert density.percentile(density.distance(far[None])[0]) == 100.0
    assert density.combined_percentile(50.0, 50.0) < density.combined_percentile(99.9, 50.0) <= 100
    assert Density.fit(hidden[:10], np.zeros(10)) is None  # too few to fit


def test_a_model_without_the_density_is_judged_on_its_score_alone(bundled):
    old = ModelSnapshot.from_checkpoint(bundled.to_checkpoint(), "old")
    old = ModelSnapshot(old.config, old.weights, "old", test_score_quantiles=bundled.test_score_quantiles)
    stages, result = probe_image(bundled, seven())
    before = probe(old, stages.image, stages=stages).verdict
    assert np.isnan(before.distance_percentile) and before.percentile == before.score_percentile
    assert result.verdict.score == before.score and np.isfinite(result.verdict.distance_percentile)
    assert set(before.to_dict()) == {"kind", "digit_like", "score", "percentile", "message", "score_percentile",
                                     "distance", "distance_percentile", "neighbour_distance", "neighbour_percentile",
                                     "pixel_distance", "pixel_percentile"}
    assert before.to_dict()["neighbour_percentile"] is None and np.isfinite(result.verdict.neighbour_percentile)
    assert before.to_dict()["pixel_percentile"] is None and np.isfinite(result.verdict.pixel_percentile)


def test_a_code_between_the_digits_clusters_is_flagged_by_its_nearest_neighbour():
    """One Gaussian is one ellipsoid: a code in the gap between two clusters lies near their joint
    mean (an ordinary Mahalanobis distance) but far from every test digit's code."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0] * 6, [4.0] * 6])
    codes = centres[rng.integers(0, 2, 3000)] + 0.3 * rng.normal(size=(3000, 6))
    density = Density.fit(codes, rng.uniform(0, 100, 3000), codes)  # the codes as the hidden layer, too
    gap = np.full((1, 6), 2.0)
    dp = density.percentile(density.distance(gap)[0])
    nnp = density.neighbour_percentile(density.neighbour_distance(gap)[0])
    assert dp < 50 and nnp == 100.0
    gaussian = Density.fit(codes, rng.uniform(0, 100, 3000))  # no codes: the Gaussian alone
    assert density.combined_percentile(95.0, dp, nnp) >= UNLIKE > 90 > gaussian.combined_percentile(95.0, dp)
    # a test digit's own nearest neighbour is another test digit (never itself, which would rank
    # every test digit at 0 and every new digit far out): new digits like them rank as they do
    fresh = centres[rng.integers(0, 2, 3000)] + 0.3 * rng.normal(size=(3000, 6))
    ranks = np.array([density.neighbour_percentile(d) for d in density.neighbour_distance(fresh)])
    assert 0.003 < np.mean(ranks >= 99) < 0.03 and 40 < np.median(ranks) < 60
    v = judge(preprocess(seven()), 0.48, list(np.linspace(0.0, 0.5, 101)), float(density.distance(gap)[0]),
              density, float(density.neighbour_distance(gap)[0]))
    assert v.kind == "unlike" and v.message.endswith("; nearest digit farther than all)")


def test_other_digits_codes_can_be_the_nearest_neighbour_reference():
    """The bundled model's reference is the training set: every test digit's neighbour is a
    training digit (none is excluded as itself), and the test digits rank new inputs."""
    rng = np.random.default_rng(1)
    centres = np.array([[0.0] * 6, [4.0] * 6])
    def digits(n):
        return centres[rng.integers(0, 2, n)] + 0.3 * rng.normal(size=(n, 6))
    test, train = digits(2000), digits(6000)
    density = Density.fit(test, rng.uniform(0, 100, 2000), test, reference=train)
    np.testing.assert_allclose(density.codes, train.astype(np.float16), rtol=0)  # the training digits, as stored
    ranks = np.array([density.neighbour_percentile(d) for d in density.neighbour_distance(digits(3000))])
    assert 0.003 < np.mean(ranks >= 99) < 0.03 and 40 < np.median(ranks) < 60
    # a reference digit's nearest is another one, not itself
    np.testing.assert_allclose(density.neighbour_distance(train[:3]), left_out_nearest(train, 3), rtol=2e-3)


def test_the_bundled_model_carries_its_test_sets_density(bundled, mnist):
    stored = bundled.test_density
    assert stored is not None and stored.width == bundled.config.d_hidden
    computed = bundled.evaluate(mnist.test_images, mnist.train_images).test_density
    assert stored.codes.shape == (60000, 32)  # the nearest neighbours: among the training digits
    np.testing.assert_allclose(stored.codes, computed.codes, atol=1e-3)  # (float16 roundings of sums in any order)
    np.testing.assert_allclose(stored.neighbour_quantiles, computed.neighbour_quantiles, rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(stored.quantiles, computed.quantiles, rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(stored.combined_quantiles, computed.combined_quantiles, rtol=2e-3, atol=1e-3)
    assert stored.pixels.points.shape == (20000, 32)  # the nearest digits' pixels: 20 000 training digits'
    np.testing.assert_allclose(stored.pixel_quantiles, computed.pixel_quantiles, rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(stored.pixel_distance(mnist.test_images[:50] / 255.0),
                               computed.pixel_distance(mnist.test_images[:50] / 255.0), rtol=1e-3)


def rings(count: int, size: int = 280) -> np.ndarray:
    """``count`` small rings in a row: closed loops, as a scribble's crossings make."""
    centres = np.linspace(0.2 * size, 0.8 * size, count)
    yy, xx = np.mgrid[0:size, 0:size]
    return np.max([np.abs(np.hypot(yy - size / 2, xx - c) - size / (3.2 * count)) < 6 for c in centres], axis=0) * 1.0


def test_the_widest_limit_comes_from_mnist(mnist):
    """No MNIST digit is as wide as MAX_ASPECT times its height, and the limit is not loose."""
    aspects = []
    for images in (mnist.test_images, mnist.train_images):
        ink = np.asarray(images) > 0
        rows, cols = ink.any(axis=2), ink.any(axis=1)
        span = [m.shape[1] - np.argmax(m[:, ::-1], axis=1) - np.argmax(m, axis=1) for m in (rows, cols)]
        aspects.append(span[1] / span[0])
    widest = max(float(a.max()) for a in aspects)
    assert widest == pytest.approx(MNIST_ASPECT, abs=0.05) and widest < MAX_ASPECT < 1.2 * widest
    # the same measure as the check's, on a digit as a file brings it
    digit = mnist.test_images[int(np.argmax(aspects[0]))] / 255.0
    assert ink_aspect(preprocess(digit)) == pytest.approx(float(aspects[0].max()))


def test_words_and_dashes_are_wider_than_any_digit(bundled):
    word = np.max([polyline((280, 280), [(120 + 30 * (i % 2), 20 + 60 * i), (150 - 30 * (i % 2), 80 + 60 * i)], 12)
                   for i in range(4)], axis=0)  # a zigzag "wave" four strokes long
    verdict = probe_image(bundled, word)[1].verdict
    assert verdict.kind == "wide" and verdict.digit_like is False and "times as wide as tall" in verdict.message
    tall = probe_image(bundled, word.T)[1].verdict  # the same strokes upright: no longer flagged as wide
    assert tall.kind != "wide"
    # short dashes drawn with the canvas's brush, as thick as they are long: never "A dot" (a round tap's); at
    # MNIST's stroke width, as the model sees them, bars over 3 times as wide as tall (they read "a filled shape")
    for length in (29, 34, 60):
        dash = probe_image(bundled, polyline((280, 280), [(140, 120), (140, 120 + length)], 22))[1].verdict
        assert dash.kind == "wide", dash.message
    assert "tall at MNIST's stroke width" in probe_image(bundled, polyline((280, 280), [(140, 120), (140, 149)], 22)
                                                         )[1].verdict.message


def test_more_closed_loops_than_a_digit_has_is_flagged(bundled, mnist):
    counts = np.array([loops(d / 255.0) for d in mnist.test_images])
    assert np.mean(counts > MAX_LOOPS) < 0.003  # an 8 has two; a third is a rare slip of the pen
    eight, four = rings(2).T, rings(4).T  # rings one above the other: as tall as digits are (in a row: "wide")
    assert loops(preprocess(eight).image) == 2 and probe_image(bundled, eight)[1].verdict.kind != "tangled"
    verdict = probe_image(bundled, four)[1].verdict
    assert verdict.kind == "tangled" and "loops" in verdict.message and verdict.digit_like is False


def test_letters_scribbles_and_boxes_are_told_from_test_digits(bundled, mnist):
    """The issue's demand, measured with generated non-digits (a seed of their own) against the
    test digits of the other group of writers. Measured with 200 of each (probe_verdict.py):
    before the density and the loop count letters 24 %, scribbles 26 %, boxes 64 %; before the
    strokes' shape (held out) scribbles 39 % (here 42 %), after it 62.5 % (here 58 %)."""
    rng = np.random.default_rng(11)
    rates = {}
    for kind in ("letter", "scribble", "box"):
        results = [probe_image(bundled, non_digit(kind, rng))[1] for _ in range(60)]
        rates[kind] = np.mean([r is None or r.verdict.digit_like is False for r in results])
    assert rates["letter"] >= 0.3 and rates["scribble"] >= 0.5 and rates["box"] >= 0.85, rates
    verdicts = [probe(bundled, d / 255.0).verdict for d in mnist.test_images[5000:7000]]
    assert np.mean([v.digit_like is False for v in verdicts]) < 0.025
    assert np.mean([v.percentile >= UNLIKE for v in verdicts]) < 0.02  # the percentile alone tells them apart too


TIC_TAC_TOE = [[(0.15, 0.38), (0.85, 0.38)], [(0.15, 0.62), (0.85, 0.62)], [(0.38, 0.15), (0.38, 0.85)],
               [(0.62, 0.15), (0.62, 0.85)]]


@pytest.mark.parametrize("width", [8, 18, 30])
def test_strokes_that_end_and_branch_unlike_a_digit_are_flagged_by_their_shape(bundled, width):
    """A tic-tac-toe grid: eight ends and four junctions, a pattern none of MNIST's 60 000 training
    digits shows (strokes.DIGIT_SHAPES); the model alone called the widest one 'unusual', a digit."""
    grid = np.max([polyline((280, 280), [(y * 280, x * 280) for y, x in s], width) for s in TIC_TAC_TOE], axis=0)
    verdict = probe_image(bundled, grid)[1].verdict
    assert verdict.kind == "shape" and verdict.digit_like is False
    # (a real test digit can be as rare: "almost", and "as in", not a claim that no digit looks so)
    assert verdict.message == "Strokes unlike almost every digit's: 8 ends, 4 junctions, 1 loop (as in fewer " \
                              "than 1 in 2000 of MNIST's digits)"
    assert np.isfinite(verdict.score) and np.isfinite(verdict.percentile)  # the model's figures are still given
    drawn_digits = [seven(width=width), seven(width=width, scale=0.6)]
    assert all(probe_image(bundled, d)[1].verdict.kind == "typical" for d in drawn_digits)


def test_a_typical_input_near_the_unusual_cut_says_so():
    """"Typical" beside "more unusual than 94 % overall" read as a contradiction."""
    stages = preprocess(seven())
    quantiles = list(np.linspace(0.0, 0.5, 101))  # the test set's scores: 0 to 0.5, evenly
    plain = judge(stages, 0.1, quantiles)  # worse than 20 % of them
    edge = judge(stages, 0.45, quantiles)  # worse than 90 %: still below the 95 % cut
    assert plain.kind == edge.kind == "typical" and plain.digit_like and edge.digit_like
    assert plain.message.startswith("Typical: ") and edge.message.startswith("Typical, near the edge: ")
    assert judge(stages, 0.49, quantiles).kind == "unusual"


def test_the_message_leads_with_the_rank_the_verdict_rests_on():
    """"Typical: 35 % unexplained (worse than 91 % of test digits), …" read as a contradiction: the
    part came before the combined rank it is only one half of. The rank comes first now."""
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(2000, 12))
    density = Density.fit(hidden, rng.uniform(0, 100, 2000))
    stages = preprocess(seven())
    quantiles = list(np.linspace(0.0, 0.5, 101))
    near = float(np.median(density.distance(hidden)))  # a code as central as the median test digit's
    v = judge(stages, 0.45, quantiles, near, density)  # reconstructed worse than 90 % of test digits
    assert v.kind == "typical" and v.score_percentile >= 89 and v.percentile < v.score_percentile
    rank = f"{math.floor(100 - v.percentile):.0f}% of test digits are more unusual ("  # (cut down)
    assert v.message.startswith("Typical") and rank in v.message
    assert v.message.index(rank) < v.message.index("worse than") < v.message.index("hidden layer farther out")
    far = density.mean + 40 * hidden.std(0)
    unlike = judge(stages, 0.5, quantiles, float(density.distance(far[None])[0]), density)
    assert unlike.kind == "unlike" and "fewer than 1% of test digits are as unusual (" in unlike.message
    assert unlike.headline == "Unlike MNIST: fewer than 1% of test digits are as unusual"  # a narrow view's
    assert judge(preprocess(np.zeros((28, 28))), 0.0, quantiles).headline == "Nothing drawn"  # no figures to drop
    best = judge(stages, 0.0, quantiles)  # better explained than every test digit: not "100 %" more unusual
    assert "more than 99% of test digits are more unusual" in best.message
    alone = judge(stages, 0.1, quantiles)  # no density: the score's rank is the verdict's, said the way it leans
    assert alone.score_percentile < 50  # (it read "worse than 20%"; the best, "worse than 0%")
    assert alone.message == f"Typical: {100 - alone.percentile:.0f}% of test digits are more unusual " \
                            f"(10% unexplained, better than {math.floor(100 - alone.score_percentile)}%)"
    assert "(0% unexplained, better than all)" in best.message
    worse = judge(stages, 0.45, quantiles)
    assert f"(45% unexplained, worse than {math.floor(worse.score_percentile)}%)" in worse.message


def test_a_typical_rank_with_an_extreme_part_says_overall():
    """A "\\" stroke read "Typical: 33% of test digits are more unusual (56% unexplained, worse than
    99%; …)": a part past the unlike cut beside "Typical" read as a contradiction."""
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(2000, 12))
    density = Density.fit(hidden, rng.uniform(0, 100, 2000))
    stages = preprocess(seven())
    quantiles = list(np.linspace(0.0, 0.5, 101))
    near = float(np.min(density.distance(hidden)))  # a code more central than every test digit's
    v = judge(stages, 0.499, quantiles, near, density)  # reconstructed worse than 99.8 % of test digits
    assert v.score_percentile >= 99 and v.kind in ("typical", "unusual")
    assert v.message.startswith(("Typical overall", "Unusual overall")) and v.headline.endswith("more unusual")
    calm = judge(stages, 0.3, quantiles, near, density)  # no part past the cut: no "overall"
    assert calm.kind == "typical" and calm.message.startswith("Typical: ")
    close = judge(stages, 0.4932, quantiles, near, density)  # worse than 98.6 %: not past the cut, and not
    assert 98.5 < close.score_percentile < 99 and close.message.startswith("Typical, near")  # said to be ("99%")
    assert "unexplained, worse than 98%" in close.message


def test_the_shown_share_never_reads_the_same_on_both_sides_of_a_cut():
    """5.4 % (typical, near the edge) and 4.6 % (unusual) both read "5 % of test digits are more
    unusual" (the cut: unusual at 5 % or fewer); a part past every test digit read "worse than 100 %"."""
    stages = preprocess(seven())
    quantiles = list(np.linspace(0.0, 0.5, 101))
    typical, unusual = judge(stages, 0.473, quantiles), judge(stages, 0.477, quantiles)  # 94.6 %, 95.4 %
    assert typical.kind == "typical" and unusual.kind == "unusual"
    assert typical.message.startswith("Typical, near the edge: 5.4% of test digits are more unusual")
    assert unusual.message.startswith("Unusual: 4% of test digits are more unusual")  # (cut down, as its parts)
    assert judge(stages, 0.2, quantiles).message.startswith("Typical: 60% of")  # far from a cut: whole
    worst = judge(stages, 0.6, quantiles)
    assert worst.kind == "unlike" and "worse than all)" in worst.message and "100%" not in worst.message
    for score in np.linspace(0.30, 0.50, 401):  # every shown share is on its verdict's side of the cuts
        v = judge(stages, float(score), quantiles)
        shown = v.message.split(": ", 1)[1].split("%")[0].removeprefix("over ")
        if shown[0].isdigit():
            cut = {"typical": 20.0 if "near the edge" in v.message else None, "unusual": 5.0, "unlike": 1.0}[v.kind]
            over = "over " in v.message.split("%")[0]
            right_side = float(shown) <= cut if v.kind != "typical" else float(shown) > 5.0 or over
            assert cut is None or right_side, v.message
    assert shown_share(5.000001) == "over 5" and shown_share(4.999999) == "4" and shown_share(20.04) == "20.04"
    assert shown_share(89.6) == "89" and shown_share(29.0) == "29"  # cut down, as the parts are ("90%" beside
    # "better than 60%" for 60.8 %); a whole share stays whole


def test_the_headline_and_its_parts_cut_their_shares_down_alike():
    stages = preprocess(seven())
    quantiles = list(np.linspace(0.0, 0.5, 101))
    v = judge(stages, 0.0519, quantiles)  # percentile 10.38: 89.62 % of test digits more unusual
    assert v.message.startswith("Typical: 89% of test digits are more unusual") and "better than 89%" in v.message


def test_the_glossary_explains_the_figures_the_message_gives():
    stages = preprocess(seven())
    quantiles = list(np.linspace(0.0, 0.5, 101))
    alone = judge(stages, 0.1, quantiles)  # the score's rank only
    assert alone.glossary.startswith("unexplained: ") and "hidden layer farther out" not in alone.glossary
    assert "Fisher" not in alone.glossary  # nothing combined
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(500, 12))
    density = Density.fit(hidden, rng.uniform(0, 100, 500), codes=rng.random((500, 8)))
    both = judge(stages, 0.1, quantiles, float(np.median(density.distance(hidden))), density, 0.5)
    lines = both.glossary.splitlines()
    # (each way a part leans, as the message says it: "hidden layer nearer in than 72%" found no line)
    assert [line.split(":")[0] for line in lines[:3]] == ["unexplained", "hidden layer farther out (nearer in)",
                                                          "nearest digit"]
    assert "(better than X%: X% worse)" in lines[0]
    assert "Fisher" in lines[3] and "95th" in lines[3] and "99th" in lines[3]
    assert "near the edge from the 80th" in lines[3]  # (a message's "near the edge" was nowhere explained)
    assert judge(preprocess(np.zeros((28, 28))), 0.0, quantiles).glossary == ""  # nothing drawn: no figures


def left_out_nearest(codes: np.ndarray, k: int) -> np.ndarray:
    """The distance from each of the first ``k`` codes to its nearest other code, by brute force."""
    d = np.linalg.norm(codes[:k, None, :].astype(np.float64) - codes[None, :, :], axis=2)
    d[np.arange(k), np.arange(k)] = np.inf
    return d.min(axis=1)


def test_a_test_digit_is_not_its_own_nearest_digit():
    """A model trained in the window keeps the test digits' codes as the reference: probing test
    digit #i found #i itself ("nearest digit farther than 0%"), although the ranks were made
    leaving each digit out."""
    rng = np.random.default_rng(1)
    codes = rng.random((400, 16)).astype(np.float32)
    density = Density.fit(rng.normal(size=(400, 12)), rng.uniform(0, 100, 400), codes=codes)
    probed = density.neighbour_distance(codes[:20])  # as the probe measures them, one code at a time or many
    left_out = left_out_nearest(codes, 20)
    np.testing.assert_allclose(probed, left_out, rtol=2e-3)
    assert probed.min() > 0.1 and np.nanmin(density.neighbour_percentile(float(probed[0]))) > 0
    moved = codes[:1] + 0.05  # a drawing near a test digit: that digit is its neighbour
    assert density.neighbour_distance(moved)[0] <= np.linalg.norm(moved - codes[:1]) + 1e-3
    # a test digit read back from an image file: its contrast stretched a little (×1.008), still itself
    # (at a 0.3 % tolerance, `probe` on test digits' PNGs measured half of them against their own codes)
    read_back = density.neighbour_distance(codes[:20] * np.float32(1.008))
    np.testing.assert_allclose(read_back, left_out, rtol=0.05)


def test_marks_that_merge_when_widened_to_mnists_strokes_are_a_filled_shape(bundled):
    """Dark ruled lines across a whole page (as dark as the pencil): scaled down with the page, the
    lines were a fraction of a pixel wide, widened to MNIST's strokes they merged into one white
    block, and the probe called it "unusual", a digit."""
    side = 800
    page = np.full((side, side), 200.0)
    page[(np.arange(side) % 40) < 2] = 130  # ruled lines every 40 px
    five = polyline((side, side), [(250, 500), (250, 320), (400, 300), (420, 480), (560, 470), (600, 300)], 6)
    photo = np.clip(page - 90 * five + np.random.default_rng(0).normal(0, 3, page.shape), 0, 255) / 255.0
    _, result = probe_image(bundled, ink_on_black(photo))
    assert result.verdict.kind == "filled" and result.verdict.digit_like is False, result.verdict.message


def test_a_blank_photo_says_how_far_ink_must_stand_above_its_paper():
    """Ink must stand 4 noise deviations above the paper, and at least 2% of the range (a JPEG's
    paper has almost no noise): the message gave the 4 deviations alone, 0.8% where 2% held."""
    from sae_desktop.preprocess import Preprocessed
    from sae_desktop.preprocess import blank_reason

    quiet, noisy = blank_reason(Preprocessed(None, None, None, noise=0.002)), blank_reason(
        Preprocessed(None, None, None, noise=0.01))
    assert "ink must stand 2.0% of the range above the paper (4 times its noise, 0.2%, and at least 2%)" in quiet
    assert "ink must stand 4.0% of the range above the paper" in noisy


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_a_shadows_edge_across_a_blank_sheet_is_no_digit(seed):
    """A blank sheet photographed with a soft shadow across it: the shadow's edge, what the paper's
    fit leaves of it, is a faint line from frame to frame, and stretched to full ink it read "Typical"
    (a 1). Faint marks (under 20 % contrast and 8 times the noise) that run to two sides of the frame are
    the light's; a faint pencil digit inside the sheet is not."""
    from scipy import ndimage

    from sae_desktop.verdict import plain_check

    rng = np.random.default_rng(seed)
    n = 600
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    a = rng.uniform(0, np.pi)
    edge = (np.cos(a) * (xx - n / 2) + np.sin(a) * (yy - n / 2)) > rng.uniform(-100, 100)
    shadow = ndimage.gaussian_filter(edge.astype(np.float32), rng.uniform(4, 20))
    photo = np.clip(0.82 * (1 - 0.3 * shadow) + rng.normal(0, 0.02, (n, n)), 0, 1)
    check = plain_check(preprocess(ink_on_black(photo)))
    assert check is not None and check.kind == "faint", check
    seven = np.zeros((28, 28), np.uint8)
    seven[6:9, 7:21] = 255
    for i in range(9, 23):
        seven[i, 20 - (i - 9) // 2:23 - (i - 9) // 2] = 255
    pencil = photo_digit(seven, np.random.default_rng(seed)) / 255.0  # (a pencil's 0.3, the paper's noise 0.015)
    assert plain_check(preprocess(ink_on_black(pencil))) is None


def test_a_folds_faint_line_that_stops_short_of_the_frame_still_runs_to_it():
    """A fold's wedge across a blank sheet stopped 4 px short of a 675-px frame's bottom and read "typical":
    within 1 % of the side, marks reach the frame; a faint mark in the sheet's middle does not."""
    from sae_desktop.preprocess import Preprocessed
    from sae_desktop.verdict import _edge_of_the_light

    levelled = np.zeros((675, 900), np.float32)
    rows = np.arange(0, 671)
    levelled[rows, 200 + rows * 2 // 3] = 1.0  # from the top to 4 px above the bottom
    stages = Preprocessed(np.zeros((28, 28), np.float32), None, None, levelled=levelled, contrast=0.1, noise=0.017)
    assert _edge_of_the_light(stages)
    middle = np.zeros_like(levelled)
    middle[200:470, 400:420] = 1.0
    assert not _edge_of_the_light(Preprocessed(stages.image, None, None, levelled=middle, contrast=0.1, noise=0.017))


def zig_zag(teeth: int, swing: float, width: float, upright: bool) -> np.ndarray:
    """A zig-zag of ``teeth`` teeth down (``upright``) or across a 280-px canvas, ``swing`` px each side."""
    along = np.linspace(60, 220, 2 * teeth + 1)
    across = 140 + swing * (-1) ** np.arange(2 * teeth + 1)
    return polyline((280, 280), list(zip(along, across)) if upright else list(zip(across, along)), width)


@pytest.mark.parametrize("teeth, swing, width", [(8, 40, 18), (10, 40, 14), (6, 64, 22), (9, 64, 14)])
@pytest.mark.parametrize("upright", [True, False])
def test_a_scribbled_block_is_a_filled_shape(bundled, teeth, swing, width, upright):
    """A block scribbled full with a zig-zag: the scallops of its edges measured as strokes under the
    filled limit, thinning wore it down to a clean bar, and the probe called it a typical 1."""
    stages, result = probe_image(bundled, zig_zag(teeth, swing, width, upright))
    assert stages.width <= FILLED  # (its scallops measured as strokes no wider than MNIST's widest)
    assert result.verdict.kind == "filled" and result.verdict.digit_like is False, result.verdict.message
    assert result.verdict.message.endswith(f"px wide once thinned to MNIST's strokes (MNIST's at most {THINNED:g})")


def test_the_longest_stroke_and_most_crossed_limits_are_mnists(mnist):
    from sae_desktop.strokes import MAX_CROSSED, most_crossed

    stages = [preprocess(image) for image in mnist.test_images]
    lengths = np.array([stroke_length(s) for s in stages])
    assert MAX_LENGTH == pytest.approx(np.percentile(lengths, 99.9), abs=0.1)
    crossed = np.array([most_crossed(s.image) for s in stages])  # (5 in 8 of them, 48 of the 60 000 training digits)
    assert crossed.max() == MAX_CROSSED and 0 < np.count_nonzero(crossed == MAX_CROSSED) < len(crossed) / RARE * 2


@pytest.mark.parametrize("teeth, swing, width", [(3, 40, 14), (5, 40, 14), (6, 40, 18), (7, 30, 10)])
def test_a_zig_zag_with_its_teeth_apart_is_flagged(bundled, teeth, swing, width):
    """A zig-zag drawn with its strokes apart ends twice and never branches, as a 2 or a 7: it read
    "typical". One line across it crosses more strokes than any of MNIST's 70 000 digits."""
    for upright in (True, False):
        verdict = probe_image(bundled, zig_zag(teeth, swing, width, upright))[1].verdict
        assert verdict.kind == "tangled" and verdict.digit_like is False, verdict.message
        assert verdict.message.startswith("More strokes side by side than in any digit: one line across the input")


@pytest.mark.parametrize("brush", [50, 56])
def test_a_bold_digit_drawn_small_is_read_as_a_digit(bundled, brush):
    """A 0 and a 6 drawn at 0.6 of the canvas with a bold brush read "A filled shape, not pen strokes" (strokes
    6-8 px wide in the 20-px box: filled shapes were left unthinned), where a 1, a 3 or a 7 beside them, as bold,
    was thinned and read "typical". Thinned, they are digits."""
    t = np.linspace(0, 2 * np.pi, 40)
    zero = list(zip(140 + 55 * np.sin(t), 140 + 35 * np.cos(t)))
    six = [(80, 165), (100, 140), (125, 122)] + [(170 - 30 * np.cos(a), 140 - 30 * np.sin(a)) for a in t]
    for path in (zero, six):
        stages, result = probe_image(bundled, polyline((280, 280), path, brush))
        assert stages.width > FILLED and result.verdict.digit_like is True, result.verdict.message


def test_each_part_is_said_the_way_it_leans():
    """"6% unexplained, worse than 0%" was hard to read out: below the middle a part is "better" or
    "nearer" than the share of test digits it beats; two parts leaning alike share their word."""
    from sae_desktop.verdict_words import evidence_parts

    assert evidence_parts(0.2, 30.4, 70.0, 80.0, 20.0) == ("20% unexplained, better than 69%; hidden layer farther "
                                                          "out than 70%; nearest digit's code farther than 80%, its "
                                                          "pixels nearer than 80%")
    assert evidence_parts(0.5, 99.5, 10.0, 91.0, 95.0).endswith("hidden layer nearer in than 90%; nearest digit's "
                                                                "code farther than 91%, its pixels than 95%")
    assert evidence_parts(0.1, 0.0, float("nan"), 12.0, float("nan")) == ("10% unexplained, better than all; "
                                                                          "nearest digit nearer than 88%")


def test_pure_noise_is_said_to_be_lost_in_noise_not_too_faint():
    """Pure noise read "Too faint: the marks barely stand out from the paper (contrast 45%, 1.2× its
    noise)": no marks, and a contrast of 45% beside "too faint". Where the marks stand high above the
    paper but not above its noise, the message says so."""
    from sae_desktop.verdict import MIN_CONTRAST, plain_check

    rng = np.random.default_rng(3)
    said = [plain_check(preprocess(rng.uniform(0, 1, (200, 200)).astype(np.float32))) for _ in range(3)]
    assert all(v is not None and v.kind == "faint" and v.message.startswith("Lost in noise: nothing stands out")
               for v in said), [v and v.message for v in said]
    assert "contrast" not in said[0].message
    faint = plain_check(preprocess(np.where(np.arange(400 * 400).reshape(400, 400) % 97 == 0, 0.01, 0.0)))
    assert faint is not None and faint.message.startswith("Too faint") and MIN_CONTRAST > 0.01
