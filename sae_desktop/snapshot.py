"""The model a user is looking at: a frozen copy of weights plus what is known about it.

Views (probe, atlas, exports) only ever see a :class:`ModelSnapshot`: the bundled model, a
loaded file, or a copy taken from a training run after an epoch, never live weights.

Its inference is NumPy, on purpose: it runs on the window's main thread while training
runs in another, and a torch op on a second thread starts a second OpenMP team that
competes with training's for the same cores. The forward pass is four small products;
tests check it against the torch model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from sae_desktop import paths
from sae_desktop.checkpoint import Checkpoint, load_checkpoint
from sae_desktop.config import ModelConfig, TrainConfig
from sae_desktop.evaluation import Evaluation

BUNDLED_MODEL = "pretrained_mnist_kl.safetensors"


def bundled_model_path() -> Path:
    return paths.resources_dir() / BUNDLED_MODEL


@dataclass(frozen=True, eq=False)
class ModelSnapshot:
    config: ModelConfig
    weights: dict[str, torch.Tensor]  # CPU float32, never modified
    name: str  # what the UI calls it, e.g. "bundled MNIST model" or "run …, epoch 3"
    train_config: TrainConfig | None = None
    epoch: int = 0
    history: list[dict] = field(default_factory=list)
    error_quantiles: list[float] | None = None  # test-set reconstruction errors (OOD hint)
    evaluation: Evaluation | None = None  # test-set latents and errors, when computed
    path: Path | None = None  # the file it came from or was last saved to
    optimizer: dict[str, torch.Tensor] | None = None  # present for full checkpoints (resumable)

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """The weights as float32 NumPy arrays (views of the CPU tensors, no copy)."""
        return {name: t.detach().cpu().numpy() for name, t in self.weights.items()}

    @property
    def dataset(self) -> str:
        return self.train_config.dataset if self.train_config else "mnist"

    @cached_property
    def quantiles(self) -> list[float] | None:
        """Test-error quantiles for the OOD percentile: stored ones, else from the evaluation
        (computed once: the probe asks on every stroke)."""
        if self.error_quantiles is not None:
            return self.error_quantiles
        return self.evaluation.error_quantiles() if self.evaluation is not None else None

    def with_evaluation(self, evaluation: Evaluation) -> ModelSnapshot:
        return replace(self, evaluation=evaluation, error_quantiles=evaluation.error_quantiles())

    def encode(self, images: np.ndarray) -> np.ndarray:
        """Images ``[N, 784]`` (or ``[784]``, ``[N, 28, 28]``) in [0, 1] → latents ``[N, d_latent]``."""
        a = self.arrays
        x = np.asarray(images, dtype=np.float32).reshape(-1, self.config.d_in)
        h = np.maximum(x @ a["W_enc1"].T + a["b_enc1"], 0.0)
        pre = h @ a["W_enc2"].T + a["b_enc2"]
        if self.config.latent == "sigmoid":
            return _sigmoid(pre)
        z = np.maximum(pre, 0.0)
        if self.config.latent == "topk" and self.config.k < self.config.d_latent:
            drop = np.argpartition(-z, self.config.k, axis=1)[:, self.config.k:]
            np.put_along_axis(z, drop, 0.0, axis=1)
        return z

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """Latents ``[N, d_latent]`` → images ``[N, 784]`` in (0, 1)."""
        a = self.arrays
        z = np.asarray(latents, dtype=np.float32).reshape(-1, self.config.d_latent)
        h = np.maximum(z @ a["W_dec1"].T + a["b_dec1"], 0.0)
        return _sigmoid(h @ a["W_dec2"].T + a["b_dec2"])

    def evaluate(self, images: np.ndarray, chunk: int = 2000) -> Evaluation:
        """Test-set metrics, like :func:`evaluation.evaluate` but in NumPy (any thread)."""
        x_all = np.asarray(images).reshape(len(images), -1)
        errors, latents = [], []
        for start in range(0, len(x_all), chunk):
            x = x_all[start:start + chunk].astype(np.float32) / 255.0
            z = self.encode(x)
            errors.append(np.square(self.decode(z) - x).mean(axis=1))
            latents.append(z)
        return Evaluation(np.concatenate(errors).astype(np.float64), np.concatenate(latents),
                          self.config.active_threshold)

    def to_checkpoint(self) -> Checkpoint:
        return Checkpoint(self.config, self.weights, self.train_config, self.optimizer, self.epoch,
                          list(self.history), self.quantiles, {"name": self.name})

    @classmethod
    def from_checkpoint(cls, ckpt: Checkpoint, name: str, path: Path | None = None) -> ModelSnapshot:
        return cls(ckpt.model_config, ckpt.weights, name, ckpt.train_config, ckpt.epoch, list(ckpt.history),
                   ckpt.test_error_quantiles, None, path, ckpt.optimizer)

    @classmethod
    def load(cls, path: str | Path) -> ModelSnapshot:
        """Load a checkpoint file (raises :class:`CheckpointError` with a one-line reason)."""
        path = Path(path)
        ckpt = load_checkpoint(path)
        if path.resolve() == bundled_model_path().resolve():
            name = "bundled MNIST model"
        elif path.name == "checkpoint.safetensors":
            name = f"{path.parent.name} (epoch {ckpt.epoch})"
        else:
            name = path.name
        return cls.from_checkpoint(ckpt, name, path)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # clipped so exp never overflows float32; sigmoid(±40) is 0 or 1 to float precision anyway
    return (1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))).astype(np.float32, copy=False)
