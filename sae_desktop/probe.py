"""Probe a model with one image: its sparse code, its reconstruction, how unusual it is.

The canvas in the window and ``sae-desktop probe`` both call :func:`probe`, so a drawing
and a file go through exactly the same preprocessing and model. The verdict (verdict.py)
scores the input with the *unsteered* model: clamping latents changes the reconstruction
shown, never what is said about the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_desktop.architecture import active, clamped_code, input_score
from sae_desktop.evaluation import error_percentile
from sae_desktop.preprocess import Preprocessed, preprocess
from sae_desktop.snapshot import ModelSnapshot
from sae_desktop.verdict import Verdict, judge


@dataclass(frozen=True)
class ProbeResult:
    input: np.ndarray  # 28×28 float32 in [0, 1]: what the model sees
    latents: np.ndarray  # the encoder's code
    code: np.ndarray  # the code actually decoded (the encoder's, with any clamps applied)
    reconstruction: np.ndarray  # 28×28, from ``code``
    mse: float  # reconstruction vs input, mean over pixels
    mse_percentile: float  # share of test images reconstructed with a smaller MSE (%), NaN if unknown
    threshold: float  # the model's activity threshold (ModelConfig.active_threshold)
    verdict: Verdict  # what the unsteered model says about the input

    @property
    def percentile(self) -> float:
        """The verdict's percentile: share of test digits less unusual than the input (%)."""
        return self.verdict.percentile

    @property
    def residual(self) -> np.ndarray:
        return self.reconstruction - self.input

    @property
    def active(self) -> np.ndarray:
        return active(self.latents, self.threshold)


def probe(model: ModelSnapshot, image28: np.ndarray, clamps: dict[int, float] | None = None,
          stages: Preprocessed | None = None) -> ProbeResult:
    """Encode a 28×28 image, apply ``clamps`` {latent: value}, decode, and compare.

    ``stages``: the preprocessing that made ``image28`` (for the verdict's plain checks);
    without it (a test digit shown as it is) the image is measured as it stands, on black paper.
    """
    x = np.asarray(image28, dtype=np.float32).reshape(1, -1)
    latents = model.encode(x)[0]
    code = clamped_code(latents, clamps or {}, model.config)
    unsteered = model.decode(latents[None, :])
    reconstruction = unsteered if np.array_equal(code, latents) else model.decode(code[None, :])
    reconstruction = reconstruction[0].reshape(28, 28)
    mse = float(np.mean(np.square(reconstruction - x.reshape(28, 28))))
    quantiles = model.test_error_quantiles
    mse_percentile = error_percentile(mse, quantiles) if quantiles else float("nan")
    score = float(input_score(x.astype(np.float64), unsteered.astype(np.float64))[0])
    density = model.test_density
    distance = neighbour = pixel = float("nan")
    if density is not None:
        distance = float(density.distance(model.hidden(x))[0])
        neighbour = float(density.neighbour_distance(latents[None, :])[0])
        pixel = float(density.pixel_distance(x)[0])
    verdict = judge(stages if stages is not None else preprocess(x.reshape(28, 28), black_paper=True), score,
                    model.test_score_quantiles, distance, density, neighbour, pixel)
    return ProbeResult(x.reshape(28, 28), latents, code, reconstruction, mse, mse_percentile,
                       model.config.active_threshold, verdict)


def probe_image(model: ModelSnapshot, grey: np.ndarray) -> tuple[Preprocessed, ProbeResult | None]:
    """Any grey image (ink brighter than the paper) → its preprocessing stages and probe result."""
    stages = preprocess(grey)
    return stages, (None if stages.empty else probe(model, stages.image, stages=stages))
