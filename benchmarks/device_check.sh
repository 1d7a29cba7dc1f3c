#!/usr/bin/env bash
# Issue 2's GPU check, for a session lent a device machine (torch there, no Qt, no network).
#   here, once:  bash benchmarks/prepare_device_check.sh
#   there:       device run, command "bash benchmarks/device_check.sh", carry [".device-data"],
#                timeout_s 480 (about 2 minutes of work)
# Runs the headless core from the source tree: `train --seed 0` (the faithfulness target) and
# `benchmark` on the GPU. Figures land in $OUT: gpu.txt, train_<device>.json,
# benchmark_<device>.txt, log.txt. DEVICE=cpu runs the same steps anywhere (to test the script).
set -euo pipefail
device=${DEVICE:-cuda}
out=${OUT:-/tmp/sae-device-check}
mkdir -p "$out"
exec > >(tee "$out/log.txt") 2>&1
python=$(command -v python3 || command -v python)
data=.device-data/data
mkdir -p "$data/MNIST/raw"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$data/MNIST/raw/$f" ] || gunzip -c ".device-data/$f.gz" > "$data/MNIST/raw/$f"
done
"$python" -c "import safetensors" 2>/dev/null ||
  "$python" -m pip install --quiet --no-index --find-links .device-data/wheels safetensors
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "no nvidia-smi"; } |
  tee "$out/gpu.txt"
"$python" -c "import torch; print('torch', torch.__version__, '| cuda available:', torch.cuda.is_available())"
export PYTHONPATH=$PWD SAE_DESKTOP_HOME=$(mktemp -d) SAE_DESKTOP_OFFLINE=1
"$python" -m sae_desktop train --device "$device" --seed 0 --json --data-dir "$data" | tail -1 > "$out/train_$device.json"
"$python" -c "import json,sys; d=json.load(open(sys.argv[1])); print('train --seed 0:', 'test MSE', round(d['test_mse'], 5),
  'rho_hat in', [round(min(d['rho_hat']), 4), round(max(d['rho_hat']), 4)], 'epochs', [round(s, 3) for s in d['epoch_seconds']])" \
  "$out/train_$device.json"
"$python" -m sae_desktop benchmark --device "$device" --epochs 5 --data-dir "$data" | tee "$out/benchmark_$device.txt"
