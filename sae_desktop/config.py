"""Model and training configuration, presets and validation.

Defaults reproduce the tutorial exactly (see ``../shared/reference`` in the dev checkout):
784→128 ReLU→32 sigmoid, KL sparsity ρ=0.05 β=5e-3, MSE, Adam lr 1e-3, batch 128, 10 epochs.
The same ``validate`` is used by the command line and by the window's inline checks.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

PENALTIES = ("kl", "l1", "topk", "batchtopk", "jumprelu")
# One line each, in plain words: the window's penalty tooltip, the CLI's help and the README.
PENALTY_DESCRIPTIONS = {
    "kl": "KL: pushes each latent's average activation towards a small target ρ (the UFLDL tutorial's sparse "
          "autoencoder, which this app follows).",
    "l1": "L1: charges every unit of activation, so latents stay at zero unless they pay their way "
          "(and shrink the ones that fire).",
    "topk": "TopK: each image keeps only its k largest latents, so at most k fire (fewer where fewer than k "
            "are positive); no penalty to tune.",
    "batchtopk": "BatchTopK: the batch keeps its k×batch largest latents, so busy images use more and simple "
                 "ones fewer; k on average, and at inference one threshold, estimated in training.",
    "jumprelu": "JumpReLU: each latent has its own trainable threshold and fires only above it; an L0 penalty "
                "charges each firing, not its size.",
}
RHO_HAT_MIN = 1e-6  # the tutorial clamps ρ̂ to [1e-6, 1 - 1e-6] to keep log finite
TOPK_PENALTIES = ("topk", "batchtopk")  # the ones that keep k latents (k applies; AuxK can revive)
# JumpReLU: thresholds start here and learn through a straight-through estimator whose bandwidth
# is this fraction of each latent's pre-activation spread (std over the batch): see model.jump_step
JUMPRELU_THRESHOLD_INIT = 0.1
JUMPRELU_BANDWIDTH = 0.5
JUMPRELU_PRE_ACT = 1e-3  # weight of the pre-activation loss that keeps latents from dying (losses.L0Penalty)
AUXK_DEAD_AFTER = 10_000  # training images without firing: dead, for AuxK (1/6 of an MNIST epoch)
RECON_LOSSES = ("mse", "bce")
DATASETS = ("mnist", "fashion-mnist")
DEVICES = ("auto", "cpu", "cuda", "mps")
LR_SCHEDULES = ("constant", "cosine")
LATENT_ACTIVATIONS = ("sigmoid", "relu", "topk", "batchtopk", "jumprelu")

# Upper bounds that keep a typo from allocating the machine away (e.g. latent 10^7).
MAX_WIDTH = 8192
MAX_BATCH = 60_000
MAX_EPOCHS = 10_000
IMAGE_PIXELS = 28 * 28  # every model here reads 28×28 images: the canvas, the probe, MNIST

# A sigmoid latent is never exactly zero, so "active" needs a threshold; ReLU latents
# (l1, topk) are exactly zero when off, so any positive value counts.
SIGMOID_ACTIVE_THRESHOLD = 0.1


class ConfigError(ValueError):
    """A configuration value is out of range; the message is one line, fit for a user."""


@dataclass(frozen=True)
class ModelConfig:
    d_in: int = IMAGE_PIXELS  # flattened 28×28 image
    d_hidden: int = 128  # width of the ReLU layer on each side of the latent
    d_latent: int = 32  # number of sparse latents (the "dictionary" size)
    latent: str = "sigmoid"  # latent activation: sigmoid (kl), relu (l1), topk (relu + keep k), batchtopk, jumprelu
    k: int = 0  # latents kept per sample when latent == "topk" (per sample on average for batchtopk)

    @property
    def active_threshold(self) -> float:
        """A latent counts as active (for L0, density, dead latents) when above this."""
        return SIGMOID_ACTIVE_THRESHOLD if self.latent == "sigmoid" else 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ModelConfig:
        """Rebuild from JSON, refusing unknown or ill-typed fields with a clear message."""
        cfg = _from_dict(cls, data, "model config")
        errors = validate_model(cfg)
        if errors:
            raise ConfigError("invalid model config: " + "; ".join(errors.values()))
        return cfg


@dataclass(frozen=True)
class Setting:
    """What the CLI and the window need to know about a training setting: its option, label,
    help text, form group, allowed values, and when it applies. Declared once, on the field
    (:func:`setting`); ``cli_args.py`` builds the ``train`` options and ``qt/training_panel.py`` the
    form from it, and :func:`validate` checks it."""

    flag: str  # the command-line option, e.g. "--hidden"
    label: str  # the form's label
    help: str  # the option's help and the field's tooltip
    group: str = ""  # the form's group (one of GROUPS); "" for a command-line-only setting
    choices: tuple[str, ...] = ()
    low: float | None = None  # allowed range; an int field's bounds are inclusive
    high: float | str | None = None  # a number, or the name of the field that bounds it
    open_low: bool = False  # a float field's bound excluded
    open_high: bool = False
    penalty: str = ""  # applies (is shown and checked) with these penalties only (space-separated)
    resumable: bool = False  # may differ from the checkpoint's when resuming
    symbol: str = ""  # its name beside a value ("β=0.005": the Runs table's settings, a sweep's runs)

    def named(self, value: Any) -> str:
        """``value`` with the setting's symbol: "β=0.005", "k=4"."""
        return f"{self.symbol}={value:g}" if isinstance(value, float) else f"{self.symbol}={value}"

    def applies(self, penalty: str) -> bool:
        """Whether the setting matters with this penalty."""
        return not self.penalty or penalty in self.penalty.split()


GROUPS = ("Data", "Model", "Sparsity", "Optimisation")


def setting(default: Any, flag: str, label: str, help: str, **kwargs: Any) -> Any:
    return dataclasses.field(default=default, metadata={"setting": Setting(flag, label, help, **kwargs)})


@dataclass(frozen=True)
class TrainConfig:
    """Every training setting, with its schema (:class:`Setting`): adding one is adding a field here."""

    dataset: str = setting("mnist", "--dataset", "Dataset", "mnist or fashion-mnist (28×28 grey, torchvision layout)",
                           group="Data", choices=DATASETS)
    epochs: int = setting(10, "--epochs", "Epochs", "passes over the training images", group="Optimisation",
                          low=1, high=MAX_EPOCHS, resumable=True, symbol="epochs")
    batch_size: int = setting(128, "--batch-size", "Batch size", "images per Adam step", group="Optimisation",
                              low=1, high=MAX_BATCH, symbol="batch")
    lr: float = setting(1e-3, "--lr", "Learning rate", "Adam learning rate (the peak, with a schedule)",
                        group="Optimisation", low=0, high=10, open_low=True, symbol="lr")
    lr_schedule: str = setting("constant", "--lr-schedule", "LR schedule",
                               "constant (the tutorial's), or cosine decay to 0 over the run", group="Optimisation",
                               choices=LR_SCHEDULES)
    d_hidden: int = setting(128, "--hidden", "Hidden units", "width of the ReLU layer on each side of the latents",
                            group="Model", low=1, high=MAX_WIDTH, symbol="hidden")
    d_latent: int = setting(32, "--latent", "Latents", "number of latents (the dictionary size)", group="Model",
                            low=1, high=MAX_WIDTH, symbol="latents")
    penalty: str = setting("kl", "--penalty", "Penalty", "sparsity mechanism: kl (the tutorial's), l1, topk, "
                           "batchtopk or jumprelu", group="Sparsity", choices=PENALTIES)
    rho: float = setting(0.05, "--rho", "Target ρ", "desired mean activation of each latent (KL penalty)",
                         group="Sparsity", low=0, high=1, open_low=True, open_high=True, penalty="kl", symbol="ρ")
    beta: float = setting(5e-3, "--beta", "Weight β",
                          "weight of Σⱼ KL(ρ ‖ mean activation of latent j) in the loss", group="Sparsity",
                          low=0, high=1e3, penalty="kl", symbol="β")
    l1: float = setting(3e-3, "--l1", "L1 coefficient", "weight of mean |z| in the loss", group="Sparsity",
                        low=0, high=1e3, penalty="l1", symbol="λ")
    k: int = setting(4, "--k", "k (kept)", "latents kept per image (the others are set to 0; batchtopk: on "
                     "average over the batch)", group="Sparsity", low=1, high="d_latent", penalty="topk batchtopk",
                     symbol="k")
    l0_coeff: float = setting(1e-3, "--l0-coeff", "L0 coefficient", "weight of the number of active latents in "
                              "the loss (JumpReLU)", group="Sparsity", low=0, high=10, penalty="jumprelu",
                              symbol="λ₀")
    auxk: float = setting(0.0, "--auxk", "AuxK weight", "weight of the AuxK loss, in which dead latents (no firing in "
                          f"{AUXK_DEAD_AFTER:,} images) learn to reconstruct what the live ones miss (0: off; 1/32 is "
                          "typical)", group="Sparsity", low=0, high=10, penalty="topk batchtopk",
                          symbol="AuxK")
    resample: bool = setting(False, "--resample", "Resample dead", "every half epoch of the first 70% of training, "
                             "re-initialise latents not active in that half epoch towards badly reconstructed images "
                             "(and reset their Adam state)",
                             group="Sparsity", penalty="kl l1 jumprelu")
    unit_norm_decoder: bool = setting(False, "--unit-norm-decoder", "Unit-norm decoder", "keep each latent's "
                                      "decoder column at length 1 (normalised after every step, gradient "
                                      "projected), so a penalty cannot be dodged by rescaling", group="Sparsity")
    recon: str = setting("mse", "--recon", "Reconstruction", "reconstruction loss: mse (the tutorial's code) or bce",
                         group="Optimisation", choices=RECON_LOSSES)
    device: str = setting("auto", "--device", "Device", "auto picks cuda, then mps, then cpu", group="Data",
                          choices=DEVICES, resumable=True)
    seed: int = setting(0, "--seed", "Seed", "same seed and device, same numbers", group="Optimisation",
                        low=0, high=2**63 - 1, symbol="seed")
    # Steps between progress reports (and non-finite checks): ~30 a second on a 2-core CPU,
    # more than the window draws (5 Hz) and ~15 points per epoch on the loss curve. Each
    # costs ~0.4 ms (loss records to the host, a copy of the last good weights): every 10
    # steps that was 3% of training time, every 20 steps 1.2% more than every 32 (paired chunks).
    log_every: int = setting(32, "--log-every", "Report every", "steps between progress reports",
                             low=1, high=100_000, resumable=True, symbol="report every")

    def model_config(self) -> ModelConfig:
        latent = {"kl": "sigmoid", "l1": "relu"}.get(self.penalty, self.penalty)
        return ModelConfig(
            d_hidden=self.d_hidden,
            d_latent=self.d_latent,
            latent=latent,
            k=self.k if self.penalty in TOPK_PENALTIES else 0,
        )

    @property
    def kl_target(self) -> float | None:
        """ρ, where a KL penalty pulls each latent's mean towards it; None for another penalty, or at β = 0
        (a β = 0 run's plots showed "target ρ = 0.05", a target nothing pulled towards)."""
        return self.rho if self.penalty == "kl" and self.beta > 0 else None

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def applicable(self) -> TrainConfig:
        """The settings that do not apply to its penalty at their defaults: a run's own (the window's form
        keeps a hidden penalty's values: a BatchTopK run resampled, "Resample dead" ticked under KL, and a KL
        run's config.json said "auxk": 0.03125)."""
        defaults = TrainConfig()
        return self.replace(**{name: getattr(defaults, name) for name, spec in SETTINGS.items()
                               if not spec.applies(self.penalty)})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> TrainConfig:
        return _from_dict(cls, data, "training config")

    def check(self) -> TrainConfig:
        """Raise :class:`ConfigError` naming the first bad field's option; return self when valid."""
        errors = validate(self)
        if errors:
            name, message = next(iter(errors.items()))
            value = getattr(self, name)  # named with its value, as a sweep's errors are ("--epochs 0: …")
            raise ConfigError(f"{SETTINGS[name].flag} {f'{value:g}' if isinstance(value, float) else value}: {message}")
        return self


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in dataclasses.fields(TrainConfig)}


PRESETS: dict[str, TrainConfig] = {
    # The tutorial's settings, unchanged.
    "tutorial": TrainConfig(),
    # Better reconstructions *and* sparser codes in ~12 s of training on a 2-core CPU
    # (measured: test MSE 0.0106-0.0108, mean ρ̂ 0.052, L0 ≈ 3.4 for seeds 0-2, against
    # the tutorial's 0.0174 / 0.070 / 7.2): an 8× higher peak learning rate made safe by
    # cosine decay to 0, 15 epochs, and a 4× stronger β so ρ̂ actually reaches ρ.
    "quality": TrainConfig(epochs=15, lr=8e-3, lr_schedule="cosine", beta=2e-2),
}


def _from_dict(cls: type, data: Any, what: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"invalid {what}: expected an object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"invalid {what}: unknown field(s) {', '.join(repr(u)[:40] for u in unknown[:5])}")
    values = {}
    for name, value in data.items():
        default = fields[name].default  # every field has a default; its type is the schema
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
            raise ConfigError(f"invalid {what}: {name} should be {expected.__name__}, got {value!r}")
        values[name] = value
    return cls(**values)


def validate_model(cfg: ModelConfig) -> dict[str, str]:
    errors: dict[str, str] = {}
    if cfg.d_in != IMAGE_PIXELS:
        errors["d_in"] = f"d_in must be {IMAGE_PIXELS} (28×28 images), got {cfg.d_in}"
    for name in ("d_hidden", "d_latent"):
        value = getattr(cfg, name)
        if not 1 <= value <= MAX_WIDTH:
            errors[name] = f"{name} must be between 1 and {MAX_WIDTH}, got {value}"
    if cfg.latent not in LATENT_ACTIVATIONS:
        errors["latent"] = f"unknown latent activation {cfg.latent!r}"
    elif cfg.latent in TOPK_PENALTIES and not 1 <= cfg.k <= cfg.d_latent:
        errors["k"] = f"k must be between 1 and d_latent ({cfg.d_latent}), got {cfg.k}"
    return errors


def _range_problem(value: Any, spec: Setting, cfg: TrainConfig) -> str | None:
    """The message for a value outside its setting's range, or None."""
    low, high = spec.low, spec.high
    bound = f"{getattr(cfg, high)} (the {SETTINGS[high].label.lower()} setting)" if isinstance(high, str) else None
    if isinstance(high, str):
        high = getattr(cfg, high)
    if isinstance(value, float) or spec.open_low or spec.open_high:
        if not (isinstance(value, (int, float)) and math.isfinite(value)):
            return "enter a finite number"
        ok = (value > low if spec.open_low else value >= low) and (value < high if spec.open_high else value <= high)
        left, right = "(" if spec.open_low else "[", ")" if spec.open_high else "]"
        return None if ok else f"must be a number in {left}{low:g}, {high:g}{right}"
    return None if low <= value <= high else f"must be between {low} and {bound or high}"


def validate(cfg: TrainConfig) -> dict[str, str]:
    """Every problem with ``cfg``, keyed by field name, each a short sentence for the user
    (from the fields' :class:`Setting`: choices and ranges; penalty-specific settings are
    checked only with their penalty)."""
    errors: dict[str, str] = {}
    for name, spec in SETTINGS.items():
        value = getattr(cfg, name)
        if not spec.applies(cfg.penalty):
            continue
        if spec.choices:
            if value not in spec.choices:
                errors[name] = f"must be one of {', '.join(spec.choices)}"
        elif spec.low is not None:
            problem = _range_problem(value, spec, cfg)
            if problem:
                errors[name] = problem
    return errors
