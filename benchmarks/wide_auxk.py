"""A wide dictionary with and without AuxK: dead latents, test MSE and seconds per epoch.

    python benchmarks/wide_auxk.py [--data-dir D] [--epochs 10] [--seeds 0,1] [--latent 1024] [--k 16]

Trains TopK (k = 16, 1024 latents, the tutorial's other settings) on MNIST with AuxK 1/32 and
without, on the engine's backend (the fast step on the CPU, which runs a wide top-k code's
products on the kept latents: train_step_sparse.py), and once more without AuxK with those
products dense (the step before it, the baseline the issue's 1.5 s/epoch was measured on),
alternating per seed so all see the same machine load. Prints one line per run and the ratios
of the median epoch times: compare ratios, not seconds, across machines (the large-GEMM rate
varies).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="MNIST folder (default: $SAE_DESKTOP_DATA)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--latent", type=int, default=1024)
    parser.add_argument("--k", type=int, default=16)
    args = parser.parse_args()
    os.environ.setdefault("SAE_DESKTOP_HOME", tempfile.mkdtemp(prefix="sae-bench-"))
    from sae_desktop.config import TrainConfig
    from sae_desktop.data import load_dataset
    from sae_desktop.engine import train
    from sae_desktop import train_step_sparse
    from sae_desktop.events import EpochOutput, RunStart

    sparse_from = train_step_sparse.SPARSE_FROM_LATENTS

    dataset = load_dataset("mnist", args.data_dir)
    medians: dict[str, list[float]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        for label, auxk, dense in (("with AuxK", 1 / 32, False), ("without", 0.0, False),
                                   ("without, dense products", 0.0, True)):
            train_step_sparse.SPARSE_FROM_LATENTS = 1 << 62 if dense else sparse_from
            cfg = TrainConfig(d_latent=args.latent, penalty="topk", k=args.k, auxk=auxk, epochs=args.epochs,
                              seed=seed, device="cpu")
            seconds, dead, backend, last = [], [], "", None
            for event in train(cfg, dataset):
                if isinstance(event, RunStart):
                    backend = event.backend
                elif isinstance(event, EpochOutput):
                    seconds.append(event.epoch_seconds)
                    dead.append(event.evaluation.dead_latents)
                    last = event
            median = statistics.median(seconds)
            medians.setdefault(label, []).append(median)
            print(f"seed {seed} {label} ({backend}): test MSE {last.test_mse:.5f}, dead {dead[-1]} of "
                  f"{args.latent} (after each epoch: {', '.join(map(str, dead))}), "
                  f"{median:.2f} s/epoch (median)", flush=True)
    with_auxk, without, dense = (statistics.median(v) for v in medians.values())
    print(f"median epoch: {with_auxk:.2f} s with AuxK, {without:.2f} s without, {dense:.2f} s without and with "
          f"dense products; with AuxK / without {with_auxk / without:.2f}, with AuxK / dense without "
          f"{with_auxk / dense:.2f}, without / dense without {without / dense:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
