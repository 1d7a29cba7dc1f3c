"""The model a user is looking at: a frozen copy of weights plus what is known about it.

Views (probe, atlas, exports) only ever see a :class:`ModelSnapshot`: the bundled model, a
loaded file, or a copy taken from a training run after an epoch, never live weights.

It never imports torch (the window draws with the bundled model before torch is loaded).
Its inference is NumPy, on purpose: it runs on the window's main thread while training
runs in another, and a torch op on a second thread starts a second OpenMP team that
competes with training's for the same cores. It is the torch model's own definition
(``architecture.py``) run on NumPy arrays; tests check the two against each other.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from sae_desktop import architecture, paths
from sae_desktop.checkpoint import Array, Checkpoint, as_numpy, load_checkpoint
from sae_desktop.config import ModelConfig, TrainConfig
from sae_desktop.data import TRAIN_IMAGES
from sae_desktop.density import Density
from sae_desktop.evaluation import Evaluation
from sae_desktop.json_values import is_int
from sae_desktop.events import Position, ResumeState, where_in_run
from sae_desktop.pixels import PixelReference
from sae_desktop.run_list import stopped_at
from sae_desktop.runs import CHECKPOINT
from sae_desktop.words import counted

BUNDLED_MODEL = "pretrained_mnist_kl.safetensors"


def checkpoint_story(ckpt: Checkpoint, stop: tuple[int, int] | None = None) -> str:
    """Where a run's checkpoint stands, in the words the window used for the same model while
    it trained (run_state.py): "completed (10 epochs)", "stopped at step 533 (during epoch 2)"
    (a stop inside an epoch, the only checkpoint with a position), "stopped at step 7035 (after
    epoch 15)" where its run's summary says it was stopped there (``stop``: run_list.stopped_at;
    it read "epoch 15" after a restart, as a run still training), else "epoch 3" (a run killed
    after, or still training past, its third epoch; a loaded run read "(epoch 10)" for one that
    had read "completed (10 epochs)")."""
    if ckpt.position is not None:
        return f"stopped at step {ckpt.position.step} ({where_in_run(ckpt.epoch, inside=True)})"
    if ckpt.train_config is not None and ckpt.epoch >= ckpt.train_config.epochs > 0:
        return f"completed ({counted(ckpt.epoch, 'epoch')})"
    if stop is not None and stop[1] == ckpt.epoch:  # (continued since and killed: not of these weights)
        return f"stopped at step {stop[0]} ({where_in_run(ckpt.epoch, inside=False)})"
    return f"epoch {ckpt.epoch}"


def bundled_model_path() -> Path:
    return paths.resources_dir() / BUNDLED_MODEL


def undated(name: str) -> str:
    """A run's name without its date: "…161515-mnist-kl" (elided in its middle, "20261204…mnist-kl"
    lost the time, all that tells a day's runs apart); another name as it is."""
    stamped = re.fullmatch(r"\d{8}-(\d{6}-.+)", name)  # (RunFolder.create's names)
    return f"…{stamped.group(1)}" if stamped else name


@dataclass(frozen=True, eq=False)
class ModelSnapshot:
    config: ModelConfig
    weights: dict[str, Array]  # CPU float32 (NumPy arrays or tensors), never modified
    name: str  # what the UI calls it, e.g. "bundled MNIST model" or "run …, epoch 3"
    train_config: TrainConfig | None = None
    epoch: int = 0
    history: list[dict] = field(default_factory=list)
    test_error_quantiles: list[float] | None = None  # of the test set's reconstruction errors (OOD hint)
    evaluation: Evaluation | None = None  # test-set latents and errors, when computed
    path: Path | None = None  # the file it came from or was last saved to
    optimizer: dict[str, Array] | None = None  # present for full checkpoints (resumable)
    test_score_quantiles: list[float] | None = None  # of the test set's input scores (the probe's verdict)
    position: Position | None = None  # stopped inside an epoch: where training resumes
    test_density: Density | None = None  # the test set's hidden-layer Gaussian (the probe's verdict)
    run_name: str | None = None  # the run alone, where ``name`` adds its status ("…, epoch 3")

    @property
    def steps_per_epoch(self) -> int | None:
        """Optimizer steps in one of its run's epochs: as its epochs' records count them (its data's), else
        MNIST's 60 000 images in batches; None without its training settings."""
        if self.train_config is None:
            return None
        return next((r["step"] // r["epoch"] for r in reversed(self.history) if is_int(r.get("step"))
                     and is_int(r.get("epoch")) and r["epoch"] > 0 and r["step"] > 0),
                    math.ceil(TRAIN_IMAGES / self.train_config.batch_size))

    @property
    def short_name(self) -> str:
        """``name`` without the status it adds, for a narrow label."""
        return self.run_name or self.name

    @property
    def undated_name(self) -> str:
        """``short_name`` without a run's date, for the narrowest label (see :func:`undated`)."""
        return undated(self.short_name)

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """The weights as float32 NumPy arrays (views of CPU tensors, no copy)."""
        return {name: as_numpy(t, np.float32) for name, t in self.weights.items()}

    @property
    def dataset(self) -> str:
        return self.train_config.dataset if self.train_config else "mnist"

    def __post_init__(self) -> None:
        if self.test_error_quantiles is None and self.evaluation is not None:  # stored ones, else the evaluation's
            object.__setattr__(self, "test_error_quantiles", self.evaluation.test_error_quantiles)
        if self.test_score_quantiles is None and self.evaluation is not None:
            object.__setattr__(self, "test_score_quantiles", self.evaluation.test_score_quantiles)
        if self.test_density is None and self.evaluation is not None:
            object.__setattr__(self, "test_density", self.evaluation.test_density)

    def with_evaluation(self, evaluation: Evaluation) -> ModelSnapshot:
        return replace(self, evaluation=evaluation, test_error_quantiles=evaluation.test_error_quantiles,
                       test_score_quantiles=evaluation.test_score_quantiles, test_density=evaluation.test_density)

    def encode(self, images: np.ndarray) -> np.ndarray:
        """Images ``[N, 784]`` (or ``[784]``, ``[N, 28, 28]``) in [0, 1] → latents ``[N, d_latent]``."""
        x = np.asarray(images, dtype=np.float32).reshape(-1, self.config.d_in)
        return architecture.encode(self.arrays, x, self.config, architecture.NUMPY)

    def hidden(self, images: np.ndarray) -> np.ndarray:
        """Images ``[N, 784]`` in [0, 1] → the encoder's hidden layer ``[N, d_hidden]`` (density.py's)."""
        x = np.asarray(images, dtype=np.float32).reshape(-1, self.config.d_in)
        return architecture.hidden(self.arrays, x, architecture.NUMPY)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """Latents ``[N, d_latent]`` → images ``[N, 784]`` in (0, 1)."""
        z = np.asarray(latents, dtype=np.float32).reshape(-1, self.config.d_latent)
        return architecture.decode(self.arrays, z, architecture.NUMPY)

    def evaluate(self, images: np.ndarray, reference_images: np.ndarray | None = None,
                 pixels: PixelReference | None = None) -> Evaluation:
        """Test-set metrics on uint8 ``images``, as the torch model's ``evaluate``, in NumPy (any thread);
        ``reference_images`` (uint8, the training set's): the verdict's nearest neighbours among
        their codes instead of the test digits', and among their pixels (benchmarks/bundled_stats.py);
        ``pixels``: the nearest digits' pixels fitted already, with these ``images``. Without
        either, no pixels: what the window evaluates (the atlas, a comparison) never needs them,
        and fitting them takes ~0.5 s."""
        x = np.asarray(images).reshape(len(images), -1)
        reference = None
        if reference_images is not None:
            reference = self.encode(np.asarray(reference_images).reshape(len(reference_images), -1) / np.float32(255))
        if pixels is None and reference_images is not None:
            pixels = PixelReference.fit(reference_images, x)
        return Evaluation.of(*architecture.errors_and_latents(self.arrays, x, self.config, architecture.NUMPY),
                             self.config, x, reference, pixels)

    def saved_as(self, path: str | Path) -> ModelSnapshot:
        """The same model as the file it was just saved to: named after that file, as :meth:`load`
        names it (a run's model saved elsewhere is that file's now: Save writes there)."""
        return replace(self, name=Path(path).name, path=Path(path), run_name=None)

    def moved(self, old: str | Path, new: str | Path) -> ModelSnapshot:
        """The same model where its run's folder ``old`` was renamed ``new``: its file there, named after the
        new folder; itself where its file is not in ``old``."""
        if self.path is None or Path(self.path).parent.resolve() != Path(old).resolve():
            return self
        run_name = Path(new).name if self.run_name is not None else None
        name = run_name + self.name[len(self.run_name):] if run_name and self.name.startswith(self.run_name) \
            else self.name
        return replace(self, path=Path(new) / Path(self.path).name, run_name=run_name, name=name)

    def to_checkpoint(self) -> Checkpoint:
        return Checkpoint(self.config, self.weights, self.train_config, self.optimizer, self.epoch,
                          list(self.history), self.test_error_quantiles, {"name": self.name}, self.position,
                          test_score_quantiles=self.test_score_quantiles, test_density=self.test_density)

    def resume_state(self) -> ResumeState:
        """Where training continues from this model (exactly where it stopped)."""
        return ResumeState(self.weights, self.optimizer, self.epoch, list(self.history), self.position)

    @classmethod
    def from_checkpoint(cls, ckpt: Checkpoint, name: str, path: Path | None = None,
                        run_name: str | None = None) -> ModelSnapshot:
        return cls(ckpt.model_config, ckpt.weights, name, ckpt.train_config, ckpt.epoch, list(ckpt.history),
                   ckpt.test_error_quantiles, None, path, ckpt.optimizer, ckpt.test_score_quantiles, ckpt.position,
                   ckpt.test_density, run_name)

    @classmethod
    def load(cls, path: str | Path) -> ModelSnapshot:
        """Load a checkpoint file (raises :class:`CheckpointError` with a one-line reason)."""
        path = Path(path)
        ckpt = load_checkpoint(path)
        run_name = None
        if path.resolve() == bundled_model_path().resolve():
            name = "bundled MNIST model"
        elif path.name == CHECKPOINT:
            run_name = path.parent.name
            name = f"{run_name}, {checkpoint_story(ckpt, stopped_at(path.parent))}"
        else:
            name = path.name
        return cls.from_checkpoint(ckpt, name, path, run_name)

