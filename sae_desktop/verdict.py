"""What the probe says about an input: is it the kind of image the model was trained on?

The verdict scores the *input*, never a steered output, and never the raw error (a faint,
thin or tiny input has little ink, so little error). Two kinds of evidence:

* **plain checks** on what preprocessing found, each with its own message: nothing drawn,
  too faint (the marks barely stand out from the paper's noise), too small (too few
  pixels to show strokes), filled (no strokes: a blob), more strokes than any digit. Their
  limits come from MNIST itself (test-set percentiles, measured again by the tests);
* **the model's score**: the share of the input's own variance that the *unsteered*
  reconstruction leaves unexplained, ``‖x̂ − x‖² / ‖x − x̄‖²`` (an FVU of one image;
  scale-free, so faint or small inputs get no credit for having little ink), as a
  percentile of the same score over the test set. The test set's scores are summarised
  once per model (``Evaluation.test_score_quantiles``) and stored in its checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sae_desktop.evaluation import error_percentile
from sae_desktop.preprocess import FILLED, Preprocessed

UNUSUAL, UNLIKE = 95.0, 99.0  # score percentiles: worse than this share of test digits
UNTRAINED = 0.6  # a model whose median test digit leaves this much unexplained explains nothing yet
# Plain checks (limits from the MNIST test set, see tests/test_verdict.py::test_limits_come_from_mnist):
MIN_CONTRAST = 0.03  # the stroke core must stand this far above the paper (0-1)…
MIN_SNR = 3.0  # …and this many times the paper's noise
MIN_BOX = 12  # px: an ink box smaller than this (in the input's pixels) cannot show strokes
MAX_LENGTH = 75.0  # px of stroke in the 20-px box: MNIST's longest ink (99.9th percentile)


@dataclass(frozen=True)
class Verdict:
    kind: str  # typical | unusual | unlike | nothing | faint | small | filled | tangled | untrained | unknown
    digit_like: bool | None  # False: flagged as not a digit like MNIST's; None: no verdict possible
    score: float  # unexplained share of the input's variance (unsteered), NaN if nothing drawn
    percentile: float  # share of test digits the model explains better (%), NaN if unknown
    message: str  # one sentence for people

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in asdict(self).items()}


def stroke_length(stages: Preprocessed) -> float:
    """Length of all strokes in px of the 20-px box: the ink's mass over its width."""
    if stages.empty or not np.isfinite(stages.width_after) or stages.width_after <= 0:
        return float("nan")
    return float(stages.scaled.sum() / stages.width_after)


NOTHING_DRAWN = Verdict("nothing", False, float("nan"), float("nan"), "Nothing drawn")


def plain_check(stages: Preprocessed) -> Verdict | None:
    """The first plain check the input fails (score and percentile NaN: see :func:`judge`), or None."""
    if stages.empty:
        return NOTHING_DRAWN
    nan = float("nan")
    if stages.contrast < MIN_CONTRAST or (stages.noise > 0 and stages.contrast < MIN_SNR * stages.noise):
        snr = f", {stages.contrast / stages.noise:.1f}× its noise" if stages.noise > 0 else ""
        return Verdict("faint", False, nan, nan, f"Too faint: the marks barely stand out from the paper "
                                                  f"(contrast {stages.contrast:.0%}{snr})")
    if stages.box_side < MIN_BOX:
        return Verdict("small", False, nan, nan, f"Too small: the ink spans {stages.box_side} px "
                                                  f"(at least {MIN_BOX} are needed to show strokes)")
    if not np.isfinite(stages.width) or stages.width > FILLED:
        return Verdict("filled", False, nan, nan, "A filled shape, not pen strokes "
                                                   f"(strokes {stages.width:.1f} px wide; MNIST's ≤ {FILLED:g})")
    length = stroke_length(stages)
    if length > MAX_LENGTH:
        return Verdict("tangled", False, nan, nan, f"More strokes than any digit ({length:.0f} px of stroke; "
                                                    f"MNIST's ≤ {MAX_LENGTH:g})")
    return None


def judge(stages: Preprocessed, score: float, quantiles: list[float] | None) -> Verdict:
    """The verdict on one input from its preprocessing and its unsteered ``score``;
    ``quantiles``: the test set's scores (``Evaluation.test_score_quantiles``), if known.
    A failed plain check decides the kind and message; score and percentile are still given."""
    if stages.empty:
        return NOTHING_DRAWN
    median = float(np.interp(0.5, np.linspace(0, 1, len(quantiles)), quantiles)) if quantiles else float("nan")
    p = error_percentile(score, quantiles) if quantiles and median <= UNTRAINED else float("nan")
    failed = plain_check(stages)
    if failed is not None:
        return Verdict(failed.kind, failed.digit_like, score, p, failed.message)
    if not quantiles:
        return Verdict("unknown", None, score, p, f"{score:.0%} of the input unexplained "
                                                  "(no test-set statistics for this model)")
    if median > UNTRAINED:
        return Verdict("untrained", None, score, p,
                       f"No verdict: this model leaves {median:.0%} of a typical test digit unexplained")
    unexplained = f"{score:.0%} unexplained, worse than {p:.0f}% of test digits"
    if p >= UNLIKE:
        return Verdict("unlike", False, score, p, f"{unexplained}: unlike MNIST")
    if p >= UNUSUAL:
        return Verdict("unusual", True, score, p, f"{unexplained}: unusual")
    return Verdict("typical", True, score, p, f"{unexplained}: typical")
