"""What the probe says about an input: is it the kind of image the model was trained on?

The verdict scores the *input*, never a steered output, and never the raw error (a faint,
thin or tiny input has little ink, so little error). Two kinds of evidence:

* **plain checks** on what preprocessing found, each with its own message: nothing drawn, too faint (the
  marks barely stand out from the paper's noise), too small (too few pixels to show strokes), several marks
  side by side (a number), wider than any digit (a dash, a word), filled (no strokes: a blob, a dot), more
  stroke length than almost any digit, and strokes that end, branch and close loops in a pattern digits
  rarely show (strokes.py: a # grid's eight ends and four junctions, a scribble's crossings), more strokes side by
  side than any digit has (a zig-zag's teeth, a spiral, hatching), a dot apart under the strokes (! ?) or over
  a stem (i j). Their limits come
  from MNIST itself (percentiles and counts, measured again by the tests);
* **the model's score**: the share of the input's own variance that the *unsteered* reconstruction leaves
  unexplained, ``‖x̂ − x‖² / ‖x − x̄‖²`` (an FVU of one image; scale-free, so faint or small inputs get no
  credit for having little ink), as a percentile of the same score over the test set. The test set's
  scores are summarised once per model (``Evaluation.test_score_quantiles``) and stored in its checkpoint;
* **the model's distance** (density.py): how far the input's hidden-layer activations (the encoder's 128
  ReLU units) lie from the test set's (Mahalanobis), as a percentile of the test set's distances; the
  percentiles (with the two below, four) are combined (Fisher's method) into the verdict's ``percentile``,
  itself ranked against the test set's, so the kinds' cuts keep their meaning (1 % of test digits are
  "unlike"). A model without the distance's statistics (older checkpoints) is judged on the score alone;
* **the nearest digit** (density.py): how far the input's sparse code lies from the nearest reference
  digit's code (the test set's, or for the bundled model the training set's), as a percentile of the test
  digits' own nearest-neighbour distances; a third term of the same combination, where stored;
* **the nearest digit's pixels** (pixels.py): the same, from the input as the model sees it to the nearest
  training digit, where the checkpoint stores them: a fourth term (``density.evidence``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sae_desktop.density import Density
from sae_desktop.preprocess import FILLED, THINNED, WIDTH_RANGE, Preprocessed
from sae_desktop.ranks import error_percentile
from sae_desktop.strokes import MAX_CROSSED, RARE, dot_above, dot_below, most_crossed, shape, side_by_side
from sae_desktop.verdict_words import cut_down, evidence_parts

NEAR_EDGE, UNUSUAL, UNLIKE = 80.0, 95.0, 99.0  # score percentiles: worse than this share of test digits
UNTRAINED = 0.6  # a model whose median test digit leaves this much unexplained explains nothing yet
# Plain checks (limits from MNIST's test set, measured again by tests/test_verdict.py):
MIN_CONTRAST = 0.03  # the stroke core must stand this far above the paper (0-1)…
MIN_SNR = 3.0  # …and this many times the paper's noise
EDGE_LIGHT = (0.2, 8.0, 2)  # faint marks (contrast, × noise) to 2 sides of the frame: a shadow's edge read "typical"
MIN_BOX = 12  # px: an ink box smaller than this (in the input's pixels) cannot show strokes
MAX_LENGTH = 72.1  # px of stroke in the 20-px box: MNIST's longest ink (the test set's 99.9th percentile)
DOT = 0.25  # filled ink spanning less than this share of the picture is a dot (the widest brush's tap: 0.22)
MAX_LOOPS = 2  # closed loops a digit has at most (8); 0.2 % of MNIST's test set shows a third
MNIST_ASPECT = 2.2  # MNIST's widest digits: their ink 2.22 times as wide as tall (2 of the 70 000 over 2)
MAX_ASPECT = 2.5  # wider than this many times the ink's height: no MNIST digit (tests measure both)
# and strokes.DIGIT_SHAPES: the patterns of ends, junctions and loops at least 1 in 2000 of MNIST's digits show


@dataclass(frozen=True)
class Verdict:
    kind: str  # typical|unusual|unlike|nothing|faint|small|several|filled|wide|tangled|shape|untrained|unknown
    digit_like: bool | None  # False: flagged as not a digit like MNIST's; None: no verdict possible
    score: float  # unexplained share of the input's variance (unsteered), NaN if nothing drawn
    percentile: float  # share of test digits less unusual than the input (%), NaN if unknown: the
    # combination of score_percentile and distance_percentile, or score_percentile alone without a density
    message: str  # one sentence for people
    score_percentile: float = float("nan")  # share of test digits the model explains better (%)
    distance: float = float("nan")  # Mahalanobis distance of the encoder's activations from the test set's
    distance_percentile: float = float("nan")  # share of test digits nearer (%), NaN without a density
    neighbour_distance: float = float("nan")  # from the input's code to the nearest reference digit's code
    neighbour_percentile: float = float("nan")  # share of test digits nearer their nearest neighbour (%)
    pixel_distance: float = float("nan")  # from the input's pixels to the nearest reference digit's
    pixel_percentile: float = float("nan")  # share of test digits nearer their nearest reference digit (%)

    @property
    def headline(self) -> str:
        """The message without its closing parenthesis of figures: what a narrow view shows."""
        return self.shorter[-1]

    @property
    def shorter(self) -> tuple[str, ...]:
        """The message with fewer of its figures, the last ones first, down to its headline: what
        a narrower view shows (from the headline alone, a flagged input's "Unlike MNIST: fewer than 1%
        …", one line longer than a typical one's, lost all its figures where a typical kept them)."""
        head, bracket, figures = self.message.partition(" (")
        if not bracket or not self.message.endswith(")"):
            return (self.message,)
        parts = figures[:-1].split("; ")
        return (*(f"{head} ({'; '.join(parts[:n])}; …)" for n in range(len(parts) - 1, 0, -1)), head)

    @property
    def glossary(self) -> str:
        """What the message's figures mean, one line per figure it gives ("" for none): the
        verdict's tooltip, for a lecture audience that asks."""
        if not np.isfinite(self.score_percentile):
            return ""
        lines = ["unexplained: the share of the input's own variance its reconstruction misses "
                 "(a faint or thin drawing is judged like a bold one); worse than X%: X% of test "
                 "digits are reconstructed better (better than X%: X% worse)"]
        if np.isfinite(self.distance_percentile):
            lines.append("hidden layer farther out (nearer in): the hidden layer's activations, by their distance "
                         "from the test digits' average (Mahalanobis), ranked among the test digits' own")
        both = np.isfinite(self.neighbour_percentile) and np.isfinite(self.pixel_percentile)
        code, pixels = ("nearest digit's code", "its pixels") if both else ("nearest digit", "nearest digit's pixels")
        if np.isfinite(self.neighbour_percentile):  # (named as the message names them: see evidence)
            lines.append(f"{code}: the distance from the input's sparse code to the closest digit's code, "
                         "ranked among each test digit's distance to its own nearest")
        if np.isfinite(self.pixel_percentile):
            lines.append(f"{pixels}: the distance from the input, as the model sees it, to the closest training "
                         "digit, ranked among each test digit's distance to its own nearest")
        if len(lines) > 1:
            lines.append(f"The rank combines these (Fisher's method): typical below the {UNUSUAL:g}th "
                         f"percentile (near the edge from the {NEAR_EDGE:g}th), unusual below the {UNLIKE:g}th, "
                         "unlike MNIST above")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in asdict(self).items()}


def stroke_length(stages: Preprocessed) -> float:
    """Length of all strokes in px of the 20-px box: the ink's mass over its width."""
    if stages.empty or not np.isfinite(stages.width_after) or stages.width_after <= 0:
        return float("nan")
    return float(stages.scaled.sum() / stages.width_after)


def ink_aspect(stages: Preprocessed) -> float:
    """The ink's box, width over height, at MNIST's stroke width (``reshaped``: a short dash drawn with a bold
    brush, thinned, is a bar over 3 times as wide as tall, read as a digit), NaN when nothing is drawn."""
    if stages.empty or stages.crop is None:
        return float("nan")
    height, width = (stages.crop if stages.reshaped is None else stages.reshaped).shape
    return width / height


NOTHING_DRAWN = Verdict("nothing", False, float("nan"), float("nan"), "Nothing drawn")


def _edge_of_the_light(stages: Preprocessed) -> bool:
    """Faint marks in a photo (see :data:`EDGE_LIGHT`) that reach two sides of the frame or more (to 1 %)."""
    contrast, snr, sides = EDGE_LIGHT
    if stages.noise <= 0 or stages.levelled is None or not (stages.contrast < contrast and
                                                            stages.contrast < snr * stages.noise):
        return False
    ink = stages.levelled > 0
    k = 1 + int(0.01 * max(ink.shape))  # (a fold's wedge stopped 4 px short of a 675-px frame)
    return sum(bool(edge.any()) for edge in (ink[:k], ink[-k:], ink[:, :k], ink[:, -k:])) >= sides


def plain_check(stages: Preprocessed) -> Verdict | None:
    """The first plain check the input fails (score and percentile NaN: see :func:`judge`), or None."""
    if stages.empty:
        return NOTHING_DRAWN
    nan = float("nan")
    if stages.contrast < MIN_CONTRAST:
        snr = f", {stages.contrast / stages.noise:.1f}× its noise" if stages.noise > 0 else ""
        return Verdict("faint", False, nan, nan, f"Too faint: the marks barely stand out from the paper "
                                                  f"(contrast {stages.contrast:.0%}{snr})")
    if stages.noise > 0 and stages.contrast < MIN_SNR * stages.noise:  # (pure noise read "Too faint … contrast 45%")
        return Verdict("faint", False, nan, nan, f"Lost in noise: nothing stands out from the paper's noise (the "
                                                  f"brightest marks {stages.contrast / stages.noise:.1f}× it, "
                                                  f"{MIN_SNR:g}× at least is needed)")
    if _edge_of_the_light(stages):
        snr = stages.contrast / stages.noise
        return Verdict("faint", False, nan, nan, f"Too faint to tell from the light: marks barely above the paper's "
                                                  f"noise (contrast {stages.contrast:.0%}, {snr:.1f}× its noise) run "
                                                  "to the frame, as a shadow's or a fold's edge does")
    if stages.box_side < MIN_BOX:
        return Verdict("small", False, nan, nan, f"Too small: the ink spans {stages.box_side} px "
                                                  f"(at least {MIN_BOX} are needed to show strokes)")
    marks = side_by_side(stages.crop)
    if marks > 1:  # a number ("42" read "unlike MNIST" at best, as if one strange digit; a 17 "typical")
        return Verdict("several", False, nan, nan, f"Several marks side by side, as in a number: the model reads one "
                                                    f"digit at a time ({marks} marks, each over half the ink's height)")
    aspect = ink_aspect(stages)
    if aspect > MAX_ASPECT:  # a dash, a word, a wave: MNIST scaled its widest digits to 20 × 9 px
        # (before the filled check: a short thick dash read "a dot")
        reshaped = " at MNIST's stroke width" if stages.width_after != stages.width else ""
        return Verdict("wide", False, nan, nan, f"Wider than any digit: the ink is {aspect:.1f} times as wide as "
                                                 f"tall{reshaped} (MNIST's digits at most {MNIST_ASPECT:g})")
    # Still wide once thinned (bold strokes are not: a 6 drawn with the widest brush read "a filled shape"): a blob,
    # a block scribbled full (its edges' scallops measured as strokes), a dot, where the ink is a small, roundish
    # part of the picture (a tap of the brush read "a filled shape"). Ink wider than MNIST's strokes ever are must
    # thin into their range (filled ellipses thinned to 3.1-3.5 px read "typical"; bold digits 2.9 at the median)
    most = WIDTH_RANGE[1] if stages.width > FILLED else THINNED
    if not np.isfinite(stages.width) or stages.width > WIDTH_RANGE[1] and stages.width_after > most:
        small = stages.levelled is not None and stages.box_side < DOT * max(stages.levelled.shape)
        what = "A dot" if small and 1 / 2 <= aspect <= 2 else "A filled shape"
        limit = f"MNIST's at most {most:g}" if most == THINNED else f"strokes this bold thin to at most {most:g}"
        return Verdict("filled", False, nan, nan, f"{what}, not pen strokes: {stages.width_after:.1f} px wide once "
                                                   f"thinned to MNIST's strokes ({limit})")
    if stages.width_after > FILLED:  # many thin marks widened to MNIST's strokes merge into one (dark ruled
        # lines across a page: the model saw a white block, and the probe called it "unusual", a digit)
        return Verdict("filled", False, nan, nan, f"A filled shape once widened to MNIST's strokes: the marks "
                                                   f"merge ({stages.width:.1f} px wide, {stages.width_after:.1f} "
                                                   f"after; MNIST's at most {FILLED:g})")
    length = stroke_length(stages)
    if length > MAX_LENGTH:
        return Verdict("tangled", False, nan, nan, f"More stroke length than almost any digit ({length:.0f} px of "
                                                    f"stroke; 99.9% of MNIST's digits have at most {MAX_LENGTH:g})")
    if (crossed := most_crossed(stages.image)) > MAX_CROSSED:  # a zig-zag with its teeth apart read "typical"
        return Verdict("tangled", False, nan, nan, "More strokes side by side than in any digit: one line across the "
                                                    f"input crosses {crossed} (MNIST's digits at most {MAX_CROSSED})")
    strokes = shape(stages.image)
    if strokes.loops > MAX_LOOPS:
        return Verdict("tangled", False, nan, nan, f"More closed loops than almost any digit ({strokes.loops}; "
                                                    f"a digit rarely has more than {MAX_LOOPS})")
    if not strokes.digit_like:
        return Verdict("shape", False, nan, nan, f"Strokes unlike almost every digit's: {strokes.describe()} "
                                                  f"(as in fewer than 1 in {RARE} of MNIST's digits)")
    if dot_below(stages.image):
        return Verdict("shape", False, nan, nan, f"A dot apart under the strokes, as in ! or ? (fewer than 1 in "
                                                  f"{RARE} of MNIST's digits has one)")
    if dot_above(stages.image):  # (an i read "Typical: 69% of test digits are more unusual", a j as a 1)
        return Verdict("shape", False, nan, nan, f"A dot apart over a stem, as in i or j (fewer than 1 in "
                                                  f"{RARE} of MNIST's digits has one)")
    return None


def judge(stages: Preprocessed, score: float, quantiles: list[float] | None,
          distance: float = float("nan"), density: Density | None = None,
          neighbour: float = float("nan"), pixel: float = float("nan")) -> Verdict:
    """The verdict on one input from its preprocessing, its unsteered ``score``, its ``distance``
    (``Density.distance`` of its hidden activations), ``neighbour`` (``Density.neighbour_distance``
    of its code) and ``pixel`` (``Density.pixel_distance`` of its 28×28 image); ``quantiles``: the
    test set's scores (``Evaluation.test_score_quantiles``) and ``density`` its distances, if known.
    A failed plain check decides the kind and message; the figures are still given."""
    if stages.empty:
        return NOTHING_DRAWN
    nan = float("nan")
    median = float(np.interp(0.5, np.linspace(0, 1, len(quantiles)), quantiles)) if quantiles else nan
    trained = bool(quantiles) and median <= UNTRAINED
    sp = error_percentile(score, quantiles) if trained else nan
    dp = density.percentile(distance) if trained and density is not None else nan
    nnp = density.neighbour_percentile(neighbour) if trained and density is not None else nan
    pxp = density.pixel_percentile(pixel) if trained and density is not None else nan
    p = density.combined_percentile(sp, dp, nnp, pxp) if np.isfinite(dp) else sp
    figures = dict(score_percentile=sp, distance=distance if density is not None else nan, distance_percentile=dp,
                   neighbour_distance=neighbour if density is not None and density.codes is not None else nan,
                   neighbour_percentile=nnp,
                   pixel_distance=pixel if density is not None and density.pixels is not None else nan,
                   pixel_percentile=pxp)
    figures = {k: v for k, v in figures.items() if np.isfinite(v)}  # (unknown ones: the defaults, equal as verdicts)

    def verdict(kind: str, digit_like: bool | None, message: str) -> Verdict:
        return Verdict(kind, digit_like, score, p, message, **figures)

    failed = plain_check(stages)
    if failed is not None:
        return verdict(failed.kind, failed.digit_like, failed.message)
    if not quantiles:
        return verdict("unknown", None, f"{score:.0%} of the input unexplained (no test-set statistics for this model)")
    if median > UNTRAINED:
        # the digit's *own* variance, and the cut: beside the Training header's "FVU 0.900" (of the test
        # set's variance about its mean image) "64% … unexplained" read as a contradiction
        return verdict("untrained", None, f"No verdict: this model leaves {median:.0%} of a typical test digit's "
                                          f"own variance unexplained (a verdict needs under {UNTRAINED:.0%})")
    # The verdict first (a cut-off end would hide it), then the rank it rests on, then that rank's parts
    # ("Typical: … worse than 91 % of test digits" read as a contradiction when the parts came first)
    if p >= UNLIKE:
        return verdict("unlike", False, f"Unlike MNIST: {evidence(score, p, sp, dp, nnp, pxp)}")
    # "overall" where a part is past the unlike cut on its own: "Typical: … (56% unexplained, worse
    # than 99%; …)" read as a contradiction in front of an audience
    parts = [x for x in (sp, dp, nnp, pxp) if np.isfinite(x)]
    overall = " overall" if len(parts) > 1 and max(parts) >= UNLIKE else ""
    if p >= UNUSUAL:
        return verdict("unusual", True, f"Unusual{overall}: {evidence(score, p, sp, dp, nnp, pxp)}")
    return verdict("typical", True, f"Typical{overall}{', near the edge' if p >= NEAR_EDGE else ''}: "
                                    f"{evidence(score, p, sp, dp, nnp, pxp)}")


def evidence(score: float, p: float, sp: float, dp: float, nnp: float = float("nan"),
             pxp: float = float("nan")) -> str:
    """What a verdict rests on: the share of test digits more unusual than the input (its rank
    ``p``), then the parts combined into it (reconstruction ``sp``; code ``dp``, nearest digit's
    code ``nnp`` and its pixels ``pxp``, where they are parts)."""
    more = 100.0 - p  # (never rounded to 0 % or 100 %: neither would be true)
    rank = ("fewer than 1% of test digits are as unusual" if more < 1 else
            f"{'more than 99' if more > 99 else shown_share(more)}% of test digits are more unusual")
    return f"{rank} ({evidence_parts(score, sp, dp, nnp, pxp)})"


def shown_share(more: float) -> str:
    """``more`` (the share of test digits more unusual, %), cut down (verdict_words.cut_down), in as few
    decimals as keep it on its side of every cut: 5.4 % (typical) and 4.6 % (unusual) both read "5 %"
    rounded, 5.4 % reads "5 %" cut down."""
    cuts = [100.0 - cut for cut in (NEAR_EDGE, UNUSUAL, UNLIKE)]
    for decimals in (0, 1, 2):
        shown = cut_down(more, decimals)
        if all((shown <= cut) == (more <= cut) for cut in cuts):
            return f"{shown:.{decimals}f}"
    return f"over {max(cut for cut in cuts if cut < more):g}"  # a hair above a cut
