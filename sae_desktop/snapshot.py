"""The model a user is looking at: a frozen copy of weights plus what is known about it.

Views (probe, atlas, exports) only ever see a :class:`ModelSnapshot`: the bundled model, a
loaded file, or a copy taken from a training run after an epoch, never live weights.
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
from sae_desktop.model import SparseAutoencoder, model_from_state

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
    def model(self) -> SparseAutoencoder:
        """A CPU inference copy (no gradients), built on first use."""
        return model_from_state(self.config, self.weights)

    @property
    def dataset(self) -> str:
        return self.train_config.dataset if self.train_config else "mnist"

    @property
    def quantiles(self) -> list[float] | None:
        if self.evaluation is not None:
            return self.evaluation.error_quantiles()
        return self.error_quantiles

    def with_evaluation(self, evaluation: Evaluation) -> ModelSnapshot:
        return replace(self, evaluation=evaluation, error_quantiles=evaluation.error_quantiles())

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> np.ndarray:
        """Images ``[N, 784]`` or ``[784]`` in [0, 1] → latents (float32 NumPy)."""
        x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, self.config.d_in)
        return self.model.encode(x).numpy()

    @torch.no_grad()
    def decode(self, latents: np.ndarray) -> np.ndarray:
        z = torch.as_tensor(np.asarray(latents, dtype=np.float32)).reshape(-1, self.config.d_latent)
        return self.model.decode(z).numpy()

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
