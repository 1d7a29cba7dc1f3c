#!/usr/bin/env bash
# Here, before benchmarks/device_check.sh runs on a device machine (which has torch but no
# network, no Qt and no MNIST): put MNIST (gzipped, ~11 MB) and a safetensors wheel into
# .device-data/, which git ignores and the device tool's `carry` takes along.
set -euo pipefail
src=${SAE_DESKTOP_DATA:-../shared/datasets}/MNIST/raw
mkdir -p .device-data/wheels
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f ".device-data/$f.gz" ] || gzip -c "$src/$f" > ".device-data/$f.gz"
done
ls .device-data/wheels/safetensors-*.whl >/dev/null 2>&1 ||
  .venv/bin/pip download --quiet --no-deps --only-binary=:all: -d .device-data/wheels safetensors
du -sh .device-data
