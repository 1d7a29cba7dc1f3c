"""Count the stroke patterns (ends, junctions, loops) of MNIST's digits: strokes.DIGIT_SHAPES.

    python benchmarks/digit_shapes.py [--data-dir DIR] [--rare 2000]

Every training digit goes through ``preprocess`` (as the probe sees it) and ``strokes.shape``;
the patterns at least 1 in ``--rare`` of them show are printed as the constant to paste into
sae_desktop/strokes.py, with the share of the training and the test digits they cover.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter

from sae_desktop.data import load_dataset
from sae_desktop.preprocess import preprocess
from sae_desktop.strokes import shape


def keys(images) -> Counter:
    return Counter(shape(preprocess(d).image).key for d in images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("SAE_DESKTOP_DATA"))
    parser.add_argument("--rare", type=int, default=2000, help="patterns fewer than 1 in this many show are rare")
    args = parser.parse_args()
    data = load_dataset("mnist", args.data_dir)
    train = keys(data.train_images)
    n = sum(train.values())
    common = sorted(k for k, c in train.items() if c * args.rare >= n)
    test = keys(data.test_images)
    covered = sum(c for k, c in train.items() if k in common) / n
    test_covered = sum(c for k, c in test.items() if k in common) / sum(test.values())
    print(f"{len(train)} patterns in {n} training digits; {len(common)} shown by at least 1 in {args.rare}, "
          f"covering {covered:.2%} of the training digits and {test_covered:.2%} of the test digits")
    for k, c in sorted(train.items(), key=lambda kc: -kc[1]):
        print(f"  {k}: {c}{'' if k in common else '  (rare)'}  test {test.get(k, 0)}")
    print("DIGIT_SHAPES = frozenset({" + ", ".join(f"({e}, {j}, {lo})" for e, j, lo in common) + "})")


if __name__ == "__main__":
    main()
