"""Probe a model with one image: its sparse code, its reconstruction, how unusual it is.

The canvas in the window and ``sae-desktop probe`` both call :func:`probe`, so a drawing
and a file go through exactly the same preprocessing and model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_desktop.architecture import active, clamped_code
from sae_desktop.evaluation import error_percentile
from sae_desktop.preprocess import Preprocessed, preprocess
from sae_desktop.snapshot import ModelSnapshot


@dataclass(frozen=True)
class ProbeResult:
    input: np.ndarray  # 28×28 float32 in [0, 1]: what the model sees
    latents: np.ndarray  # the encoder's code
    code: np.ndarray  # the code actually decoded (the encoder's, with any clamps applied)
    reconstruction: np.ndarray  # 28×28
    mse: float  # reconstruction vs input, mean over pixels
    percentile: float  # share of test images reconstructed better (%), NaN if unknown
    threshold: float  # the model's activity threshold (ModelConfig.active_threshold)

    @property
    def residual(self) -> np.ndarray:
        return self.reconstruction - self.input

    @property
    def active(self) -> np.ndarray:
        return active(self.latents, self.threshold)


def probe(model: ModelSnapshot, image28: np.ndarray, clamps: dict[int, float] | None = None) -> ProbeResult:
    """Encode a 28×28 image, apply ``clamps`` {latent: value}, decode, and compare."""
    x = np.asarray(image28, dtype=np.float32).reshape(1, -1)
    latents = model.encode(x)[0]
    code = clamped_code(latents, clamps or {}, model.config)
    reconstruction = model.decode(code[None, :])[0].reshape(28, 28)
    mse = float(np.mean(np.square(reconstruction - x.reshape(28, 28))))
    quantiles = model.test_error_quantiles
    percentile = error_percentile(mse, quantiles) if quantiles else float("nan")
    return ProbeResult(x.reshape(28, 28), latents, code, reconstruction, mse, percentile,
                       model.config.active_threshold)


def probe_image(model: ModelSnapshot, grey: np.ndarray) -> tuple[Preprocessed, ProbeResult | None]:
    """Any grey image (white ink on black) → its preprocessing stages and probe result."""
    stages = preprocess(grey)
    return stages, (None if stages.empty else probe(model, stages.image))


def describe_percentile(percentile: float) -> str:
    """A sentence for the out-of-distribution hint."""
    if not np.isfinite(percentile):
        return "no test-set statistics for this model"
    if percentile >= 99:
        return f"worse than {percentile:.0f}% of test digits: unlike MNIST"
    if percentile >= 90:
        return f"worse than {percentile:.0f}% of test digits: unusual"
    return f"worse than {percentile:.0f}% of test digits: typical"
