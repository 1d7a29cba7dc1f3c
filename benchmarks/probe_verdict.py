"""How well the probe's verdict tells digits from non-digits, and how photos reconstruct.

    python benchmarks/probe_verdict.py [--model FILE] [--data-dir DIR] [--n 100] [--test 10000] [--held-out]

Prints, for the real MNIST test digits (as the window shows them, and as files through the
whole preprocessing), test digits as users give them (synthetic_inputs.DIGIT_VARIANTS: pencil
photos, thin brush strokes, small drawings off the canvas's centre, other writers' hands) and
generated non-digits (benchmarks/synthetic_inputs.py): the median and 90th percentile of
MSE and of the verdict's score, and the share flagged as not a digit (``digit_like`` false)
with the verdicts' kinds. Digits should be flagged rarely; non-digits often.

``--held-out``: the model's test-set statistics are recomputed from the even-numbered test digits
only, and every figure is measured on the odd-numbered ones (the digits and the variants made from
them): false alarms on digits the statistics never saw. Last, the same digits as pencil photos
the way phones take them (synthetic_inputs.PHOTO_SCENES: the table beyond the sheet, a hard
shadow, ruled lines, out of focus), and framed by what lies round them (window_scenes.py: a paint
program's screenshot, a sheet on a checked or striped tablecloth): they should read as the plain
photos do. ``blank``: inputs
read as nothing drawn (left out of the row's other figures).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter

import numpy as np
from synthetic_inputs import DIGIT_VARIANTS, KINDS, PHOTO_SCENES, digit_variant, non_digit, photo_scene
from window_scenes import SCENES, window_scene

from sae_desktop.data import load_dataset
from sae_desktop.images import ink_on_black
from sae_desktop.pixels import PixelReference
from sae_desktop.probe import probe, probe_image
from sae_desktop.snapshot import ModelSnapshot, bundled_model_path


def summarise(name: str, results) -> None:
    blank = sum(r is None for r in results)
    results = [r for r in results if r is not None]
    mse = np.array([r.mse for r in results])
    score = np.array([r.verdict.score for r in results], dtype=float)
    flagged = np.mean([r.verdict.digit_like is False for r in results])
    kinds = Counter(r.verdict.kind for r in results).most_common(4)
    print(f"{name:24s} n={len(results):5d}  MSE p50 {np.median(mse):.4f} p90 {np.percentile(mse, 90):.4f}  "
          f"score p50 {np.nanmedian(score):.3f} p90 {np.nanpercentile(score, 90):.3f}  "
          f"flagged {flagged:6.1%}  {', '.join(f'{k} {v}' for k, v in kinds)}{f'  blank {blank}' if blank else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(bundled_model_path()))
    parser.add_argument("--data-dir", default=os.environ.get("SAE_DESKTOP_DATA"))
    parser.add_argument("--n", type=int, default=100, help="generated images per kind")
    parser.add_argument("--test", type=int, default=10000, help="real test digits for the false-positive rate")
    parser.add_argument("--held-out", action="store_true", help="statistics from even test digits, figures on odd")
    parser.add_argument("--train-reference", action="store_true",
                        help="with --held-out: the nearest neighbours among the training digits' codes, as the "
                             "bundled model's (benchmarks/bundled_stats.py)")
    args = parser.parse_args()
    model = ModelSnapshot.load(args.model)
    mnist = load_dataset("mnist", args.data_dir)
    test = mnist.test_images
    if args.held_out:  # (the nearest digits' pixels among the training digits', as a run's and the bundled model's)
        pixels = PixelReference.fit(mnist.train_images, test[0::2])
        model = model.with_evaluation(model.evaluate(test[0::2], mnist.train_images if args.train_reference else None,
                                                     pixels))
        test = test[1::2]
    rng = np.random.default_rng(0)
    held = ' (statistics from the even test digits, figures on the odd)' if args.held_out else ''
    print(f"model: {model.name}{held}{', neighbours among the training digits' if args.train_reference else ''}")
    digits = test[:args.test]
    summarise("test digits, as shown", [probe(model, d / 255.0) for d in digits])
    summarise("test digits, as files", [probe_image(model, ink_on_black(d / 255.0))[1] for d in digits])
    others = test[rng.choice(len(test), args.n, replace=False)]
    for kind in DIGIT_VARIANTS:
        summarise(f"digits: {kind}", [probe_image(model, digit_variant(kind, d, rng))[1] for d in others])
    for kind in KINDS:
        summarise(kind, [probe_image(model, non_digit(kind, rng))[1] for _ in range(args.n)])
    scenes = np.random.default_rng(1)  # (their own draws: the figures above stay comparable with earlier runs)
    for kind in PHOTO_SCENES:
        summarise(f"photo: {kind}", [probe_image(model, ink_on_black(photo_scene(kind, d, scenes) / 255.0))[1]
                                     for d in others])
    framed = np.random.default_rng(2)  # (a paint program's window round the canvas, a tablecloth round the sheet)
    for kind in SCENES:
        summarise(f"framed: {kind}", [probe_image(model, ink_on_black(window_scene(kind, d, framed) / 255.0))[1]
                                      for d in others])


if __name__ == "__main__":
    main()
