"""How well the probe's verdict tells digits from non-digits, and how photos reconstruct.

    python benchmarks/probe_verdict.py [--model FILE] [--data-dir DIR] [--n 100] [--test 10000]

Prints, for the real MNIST test digits (as the window shows them, and as files through the
whole preprocessing), MNIST-like photos and thin brush strokes made from other test digits,
and generated non-digits (benchmarks/synthetic_inputs.py): the median and 90th percentile of
MSE and of the verdict's score, and the share flagged as not a digit (``digit_like`` false)
with the verdicts' kinds. Digits should be flagged rarely; non-digits often.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter

import numpy as np
from synthetic_inputs import KINDS, brush_digit, non_digit, photo_digit

from sae_desktop.data import load_dataset
from sae_desktop.images import ink_on_black
from sae_desktop.probe import probe, probe_image
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path


def summarise(name: str, results) -> None:
    mse = np.array([r.mse for r in results])
    score = np.array([r.verdict.score for r in results], dtype=float)
    flagged = np.mean([r.verdict.digit_like is False for r in results])
    kinds = Counter(r.verdict.kind for r in results).most_common(4)
    print(f"{name:24s} n={len(results):5d}  MSE p50 {np.median(mse):.4f} p90 {np.percentile(mse, 90):.4f}  "
          f"score p50 {np.nanmedian(score):.3f} p90 {np.nanpercentile(score, 90):.3f}  "
          f"flagged {flagged:6.1%}  {', '.join(f'{k} {v}' for k, v in kinds)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(bundled_model_path()))
    parser.add_argument("--data-dir", default=os.environ.get("SAE_DESKTOP_DATA"))
    parser.add_argument("--n", type=int, default=100, help="generated images per kind")
    parser.add_argument("--test", type=int, default=10000, help="real test digits for the false-positive rate")
    args = parser.parse_args()
    model = ModelSnapshot.load(args.model)
    test = load_dataset("mnist", args.data_dir).test_images
    rng = np.random.default_rng(0)
    print(f"model: {model.name}")
    digits = test[:args.test]
    summarise("test digits, as shown", [probe(model, d / 255.0) for d in digits])
    summarise("test digits, as files", [probe_image(model, ink_on_black(d / 255.0))[1] for d in digits])
    others = test[rng.choice(len(test), args.n, replace=False)]
    summarise("photos of test digits", [probe_image(model, ink_on_black(photo_digit(d, rng) / 255.0))[1]
                                        for d in others])
    summarise("thin brush test digits", [probe_image(model, brush_digit(d, rng))[1] for d in others])
    for kind in KINDS:
        results = [probe_image(model, non_digit(kind, rng))[1] for _ in range(args.n)]
        summarise(kind, [r for r in results if r is not None])


if __name__ == "__main__":
    main()
