"""The reference frontier: real sweeps of every mechanism at 32 latents, as a small JSON.

    python benchmarks/reference_frontier.py [--epochs 10] [--data-dir D]
                                            [--out sae_desktop/resources/reference_frontier.json]

Trains, on MNIST, 4 points per mechanism (kl: β; l1: coefficient; topk and batchtopk: k;
jumprelu: L0 coefficient), each with the tutorial's other settings, and writes one record per
run (mechanism, setting, test MSE, FVU, L0, dead latents, seconds). The window draws these
points faintly under the user's own on the Runs tab's frontier; the README plots them.
Runs go to a throw-away folder (``$SAE_DESKTOP_HOME`` if set).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# Each mechanism as its reference trainers run it: TopK and BatchTopK with AuxK (1/32, as in
# Gao et al.), L1 with resampling of dead latents (as in Anthropic's); KL as the tutorial has it.
GRID = {  # mechanism: (swept setting, values, fixed settings)
    "kl": ("beta", [5e-3, 2e-2, 5e-2, 1e-1], {}),
    "l1": ("l1", [3e-3, 1e-2, 2e-2, 3e-2], {"resample": True}),  # 5e-2 and above: every latent dies
    "topk": ("k", [2, 4, 8, 16], {"auxk": 1 / 32}),
    "batchtopk": ("k", [2, 4, 8, 16], {"auxk": 1 / 32}),
    "jumprelu": ("l0_coeff", [1e-4, 3e-4, 1e-3, 2e-3], {}),  # 2e-3 and above: every latent dies
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data-dir")
    parser.add_argument("--only", help="comma-separated mechanisms (default: all); the file keeps the others' points")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "sae_desktop" / "resources" /
                                             "reference_frontier.json"))
    args = parser.parse_args()
    os.environ.setdefault("SAE_DESKTOP_HOME", tempfile.mkdtemp(prefix="sae-frontier-"))
    from sae_desktop.config import TrainConfig
    from sae_desktop.data import load_dataset
    from sae_desktop.events import RunEnd
    from sae_desktop.sweep import grid_configs, sweep

    dataset = load_dataset("mnist", args.data_dir, allow_download=False)
    chosen = args.only.split(",") if args.only else list(GRID)
    records = []
    for mechanism in chosen:
        name, values, fixed = GRID[mechanism]
        base = TrainConfig(penalty=mechanism, epochs=args.epochs, device="cpu", **fixed)
        configs = grid_configs(base, {name: values})
        start = time.perf_counter()
        for event in sweep(configs, dataset, names=[name]):
            if isinstance(event, RunEnd) and event.evaluation is not None:
                ev, cfg = event.evaluation, configs[len([r for r in records if r["mechanism"] == mechanism])]
                records.append({"mechanism": mechanism, "setting": name, "value": getattr(cfg, name), **fixed,
                                "test_mse": round(ev.test_mse, 6), "fvu": round(ev.fvu, 5), "l0": round(ev.l0, 3),
                                "dead_latents": ev.dead_latents, "seconds": round(time.perf_counter() - start, 1)})
                start = time.perf_counter()
                print(json.dumps(records[-1]), flush=True)
    if args.only and Path(args.out).is_file():  # the other mechanisms' points stay as they were
        kept = [r for r in json.loads(Path(args.out).read_text())["runs"] if r["mechanism"] not in chosen]
        records = sorted(kept + records, key=lambda r: list(GRID).index(r["mechanism"]))
    out = {"about": f"sae-desktop {__import__('sae_desktop').__version__}: MNIST, 32 latents, 128 hidden, "
                    f"{args.epochs} epochs, tutorial settings otherwise (top-k and BatchTopK with AuxK 1/32, L1 "
                    "resampling dead latents: each run's own keys say so); benchmarks/reference_frontier.py",
           "epochs": args.epochs, "latents": TrainConfig().d_latent, "runs": records}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out} ({len(records)} runs)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
