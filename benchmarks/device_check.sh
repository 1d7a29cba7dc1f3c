#!/usr/bin/env bash
# Issue 2's GPU check, for a session lent a device machine (torch there, no Qt, no network).
#   here, once:  bash benchmarks/prepare_device_check.sh
#   there:       device run, command "bash benchmarks/device_check.sh", carry [".device-data"],
#                timeout_s 480 (about 4 minutes of work)
# Runs the headless core from the source tree: the GPU tests (tests/test_cuda.py), `train --seed 0`
# (the faithfulness target) and `benchmark` on the GPU, then the core's CPU tests against the torch
# installed there (another version than ours). Figures land in $OUT: gpu.txt, pytest_<device>.txt,
# train_<device>.json, benchmark_<device>.txt, pytest_core.txt, log.txt. A failing step is logged
# and the next one still runs. DEVICE=cpu runs the same steps anywhere (to test the script).
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
export PYTHONPATH=$PWD SAE_DESKTOP_HOME=$(mktemp -d) SAE_DESKTOP_OFFLINE=1 SAE_DESKTOP_DATA_REAL=$PWD/$data
failed=0
SAE_DESKTOP_TEST_DEVICE=$device "$python" -m pytest -q -p no:cacheprovider -rA tests/test_cuda.py \
  > "$out/pytest_$device.txt" 2>&1 || { echo "tests/test_cuda.py failed"; failed=1; }
tail -3 "$out/pytest_$device.txt"
{ "$python" -m sae_desktop train --device "$device" --seed 0 --json --data-dir "$data" | tail -1 > "$out/train_$device.json" &&
  "$python" -c "import json,sys; d=json.load(open(sys.argv[1])); print('train --seed 0:', 'test MSE', round(d['test_mse'], 5),
  'rho_hat in', [round(min(d['rho_hat']), 4), round(max(d['rho_hat']), 4)], 'epochs', [round(s, 3) for s in d['epoch_seconds']])" \
  "$out/train_$device.json"; } || { echo "train failed"; failed=1; }
"$python" -m sae_desktop benchmark --device "$device" --epochs ${BENCH_EPOCHS:-5} --data-dir "$data" | tee "$out/benchmark_$device.txt" ||
  { echo "benchmark failed"; failed=1; }
# The core's tests that need no Qt, on this machine's CPU and torch ("slow" ones left out).
core=$(ls tests/test_*.py | grep -v -e test_gui_ -e test_cuda -e test_desktop -e test_startup -e test_state \
  -e test_window_survives -e test_hardening -e test_wheel -e test_int_spin_box -e test_background -e test_mnist_targets)
# Left out too: the tests that need pytest-qt's qtbot or import-linter, which the device lacks.
timeout 280 "$python" -m pytest -q -p no:cacheprovider -m "not slow" $core \
  -k "not import_linter_contract and not revivals_are_events and not auxk_comebacks" > "$out/pytest_core.txt" 2>&1 ||
  { echo "core tests failed"; failed=1; }
tail -3 "$out/pytest_core.txt"
exit $failed
