"""Shrinkage: does a penalty on activation sizes (L1, KL) leave reconstructions too faint here?

    python benchmarks/shrinkage.py [--data-dir D] [--epochs 5] [--seed 0] [CHECKPOINT ...]

In the sparse autoencoders of language-model interpretability (one linear map each side), an L1
penalty shrinks the latents that fire, and with them the reconstruction: the Gated SAE paper
(Rajamanoharan et al., 2024) measures it as the relative reconstruction bias
γ = argmin_γ E‖x̂/γ − x‖² = E‖x̂‖² / E⟨x̂, x⟩ (1: unbiased; below 1: too small), which TopK and
JumpReLU, charging the count of active latents, not their size, bring back to 1. This app's decoder
is not linear (128 ReLU units, then a sigmoid), and it can learn to undo the shrinkage: this
measures whether it does. For each model, on the MNIST test set: L0, MSE, γ, the ink of the
reconstruction over the input's, and the MSE with every latent scaled by s (the best of 0.8-1.5:
an s above 1 that lowers it is shrinkage the decoder left in).

With no CHECKPOINT, trains one model per mechanism first (the tutorial's settings, --epochs each).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

SCALES = (0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5)
TRAINED = (("kl", {}), ("l1", {"l1": 0.01}), ("l1", {"l1": 0.03}), ("topk", {"k": 4}), ("jumprelu", {}))


def measure(name: str, model, x: np.ndarray) -> None:
    z = model.encode(x)
    xh = model.decode(z)
    gamma = float((xh * xh).sum() / (xh * x).sum())
    ink = float(xh.sum() / x.sum())
    best_mse, best_scale = min((float(np.square(model.decode(z * s) - x).mean()), s) for s in SCALES)
    l0 = float((z > model.config.active_threshold).sum(axis=1).mean())
    print(f"{name:34s} L0 {l0:5.2f}  MSE {float(np.square(xh - x).mean()):.4f}  γ {gamma:.3f}  ink {ink:.3f}  "
          f"best latent scale {best_scale:g} (MSE {best_mse:.4f})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*")
    parser.add_argument("--data-dir", help="MNIST folder (default: $SAE_DESKTOP_DATA)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("SAE_DESKTOP_HOME", tempfile.mkdtemp(prefix="sae-bench-"))
    from sae_desktop.config import TrainConfig
    from sae_desktop.data import load_dataset
    from sae_desktop.engine import train
    from sae_desktop.events import RunEnd
    from sae_desktop.snapshot import ModelSnapshot

    dataset = load_dataset("mnist", args.data_dir)
    x = (dataset.test_images.reshape(len(dataset.test_images), -1) / 255.0).astype(np.float32)
    for path in args.checkpoints:
        measure(os.path.basename(path), ModelSnapshot.load(path), x)
    if args.checkpoints:
        return 0
    for penalty, settings in TRAINED:
        cfg = TrainConfig(penalty=penalty, epochs=args.epochs, seed=args.seed, device="cpu", **settings)
        end = next(e for e in train(cfg, dataset) if isinstance(e, RunEnd))
        label = f"{penalty} {' '.join(f'{k}={v:g}' for k, v in settings.items())}".strip()
        measure(f"{label} ({args.epochs} epochs)", ModelSnapshot(cfg.model_config(), end.weights, label, cfg), x)
    return 0


if __name__ == "__main__":
    sys.exit(main())
