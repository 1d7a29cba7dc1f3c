"""``sae-desktop benchmark``: three timings of one training epoch, in one run, on one device.

(a) the tutorial's own loop: torchvision MNIST + ToTensor + DataLoader(batch 128, shuffle),
    ``nn.Sequential`` model, plain ``torch.optim.Adam``, ``loss.item()`` every step;
(b) this engine (``engine.train``), same model, batch size and data, with each of its two
    training backends, epochs alternating: the one it picks (the hand-written fast step on
    the CPU) and plain autograd + ``torch.optim.Adam`` (``trainer.py``), and their ratio
    (with ``--each-mechanism``, also for each mechanism the fast step trains: where the ratio
    is not above 1, the fast step would not earn its keep);
(c) the GEMM limit: the matrix-multiply FLOPs one epoch needs, divided by the rate of a
    large float32 product. It counts the dense model's FLOPs, as a plain implementation
    runs them; on the CPU the engine's first layer skips the pixels blank in the whole batch
    and runs fewer, so the benchmark also prints the fraction it runs and the ratio to
    the limit of those FLOPs.

Medians over ``--epochs`` timed epochs (after one warm-up epoch each) are printed. The
matmul rate is measured again just before each timed engine epoch and each epoch is
compared with its own limit: a shared 2-core VM drifts in speed by up to 2× within a
minute, and a limit measured once would compare two different machines.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np
import torch

from sae_desktop import paths
from sae_desktop.config import TrainConfig
from sae_desktop.data import Dataset, load_dataset
from sae_desktop.devices import describe, resolve_device
from sae_desktop.engine import epoch_permutation, make_trainer, train
from sae_desktop.fast_trainer import FAST_PENALTIES
from sae_desktop.events import EpochOutput
from sae_desktop.losses import kl_divergence
from sae_desktop.train_step import runs_on_used_pixels, skips_blank_pixels


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def epoch_matmul_flops(n: int, d_in: int = 784, h: int = 128, latent: int = 32, pixels_used: float = 1.0) -> float:
    """Forward products, weight gradients of all four layers, input gradients of the last three
    (the first layer's input gradient is never needed). ``pixels_used``: the fraction of the
    first layer's inputs its two products run on (1: the dense count, the benchmark's limit)."""
    layer_macs = [d_in * h * pixels_used, h * latent, latent * h, h * d_in]
    per_sample = 2 * (sum(layer_macs) + sum(layer_macs) + sum(layer_macs[1:]))
    return float(per_sample) * n


def first_layer_pixels_used(dataset: Dataset, batch: int = 128, seed: int = 0) -> float:
    """The mean fraction of pixels the engine's first layer runs on over the first epoch's
    batches: the training step leaves out pixels blank in the whole batch (train_step.py),
    where it skips them at all (skips_blank_pixels)."""
    images = dataset.train_images.reshape(len(dataset.train_images), -1)
    perm = epoch_permutation(seed, 0, len(images)).numpy()
    d_in, used = images.shape[1], []
    for start in range(0, len(images), batch):
        n = int(np.count_nonzero(images[perm[start:start + batch]].max(axis=0)))
        used.append(n if runs_on_used_pixels(n, d_in) else d_in)
    return float(np.mean(used)) / d_in


def matmul_rate(device: torch.device, seconds: float = 1.5) -> float:
    """Best median FLOP/s of large square float32 products (several sizes, TF32 off)."""
    sizes = (1024, 2048) if device.type == "cpu" else (4096, 8192)
    old_tf32 = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    best = 0.0
    try:
        for n in sizes:
            a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
            c = torch.empty(n, n, device=device)
            torch.mm(a, b, out=c)
            _sync(device)
            rates, deadline = [], time.perf_counter() + seconds / len(sizes)
            while time.perf_counter() < deadline or len(rates) < 3:
                t = time.perf_counter()
                torch.mm(a, b, out=c)
                _sync(device)
                rates.append(2.0 * n**3 / (time.perf_counter() - t))
            best = max(best, statistics.median(rates))
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old_tf32
    return best


def time_seed_loop(device: torch.device, data_root: str, epochs: int) -> list[float]:
    """The tutorial's training loop, as written there (download=False: we are offline)."""
    from torch import nn
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    train_dataset = datasets.MNIST(root=data_root, train=True, download=False, transform=transforms.ToTensor())
    train_loader = DataLoader(train_dataset, batch_size=128, shuffle=True)
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32), nn.Sigmoid())
    decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
    model = nn.ModuleDict({"encoder": encoder, "decoder": decoder}).to(device)
    criterion = nn.MSELoss()
    optim = torch.optim.Adam(model.parameters(), lr=0.001)
    times = []
    for _ in range(epochs + 1):  # the first epoch is a warm-up
        t = time.perf_counter()
        running_loss = 0.0
        for inputs, _ in train_loader:
            inputs = inputs.to(device)
            optim.zero_grad()
            latent = encoder(inputs.view(inputs.size(0), -1))
            outputs = decoder(latent)
            recon_loss = criterion(outputs, inputs.view(inputs.size(0), -1))
            loss = recon_loss + 5e-3 * kl_divergence(0.05, latent.mean(dim=0))
            loss.backward()
            optim.step()
            running_loss += loss.item()
        _sync(device)
        times.append(time.perf_counter() - t)
    return times[1:]


def picked_backend(cfg: TrainConfig, device: torch.device) -> str:
    """The backend ``engine.train`` picks for ``cfg`` on ``device``."""
    return make_trainer(cfg, device, torch.zeros(1, cfg.model_config().d_in, dtype=torch.uint8)).backend


def time_engine(device: torch.device, dataset: Dataset, epochs: int, backends: tuple[str, ...],
                base: TrainConfig | None = None, rates: bool = True) -> tuple[dict[str, list[float]], list[float]]:
    """Per backend, the wall time of each epoch of the real ``train`` generator (the tutorial's
    settings, or ``base``'s), minus the test evaluation it runs after each epoch (the tutorial's
    loop evaluates only at the end), the backends' epochs alternating; and, with ``rates``, the
    matmul rate measured just before each timed epoch of the first backend (outside the timing)."""
    cfg = (base or TrainConfig()).replace(device=device.type, epochs=epochs + 1)
    runs = {backend: train(cfg, dataset, backend=backend) for backend in backends}
    times: dict[str, list[float]] = {backend: [] for backend in backends}
    measure_rates, rates = rates, []
    for run in runs.values():
        next(run)  # RunStart: the trainer is built
    for epoch in range(cfg.epochs):
        for backend, run in runs.items():
            if measure_rates and epoch >= 1 and backend == backends[0]:  # the rate for the timed epoch about to start
                rates.append(matmul_rate(device, seconds=0.6))
            _sync(device)
            start = time.perf_counter()
            event = next(e for e in run if isinstance(e, EpochOutput))
            times[backend].append(time.perf_counter() - start - event.eval_seconds)
    for run in runs.values():
        run.close()
    return {backend: t[1:] for backend, t in times.items()}, rates


def fast_step_gains(device: torch.device, dataset: Dataset, epochs: int) -> dict[str, float]:
    """For each mechanism the fast step trains (``FAST_PENALTIES``, the rest of the tutorial's
    settings as they are), the autograd backend's epoch over the fast step's, each timed
    ``epochs`` times alternating: where it is not above 1, the fast step does not earn its keep."""
    gains = {}
    for penalty in sorted(FAST_PENALTIES):
        cfg = TrainConfig(penalty=penalty)
        if picked_backend(cfg.replace(device=device.type), device) != "fast":
            continue
        timed, _ = time_engine(device, dataset, epochs, ("fast", "autograd"), cfg, rates=False)
        gains[penalty] = statistics.median(timed["autograd"]) / statistics.median(timed["fast"])
    return gains


def run_benchmark(device_name: str, epochs: int, data_dir: str | None, as_json: bool = False,
                  each_mechanism: bool = False) -> int:
    device = resolve_device(device_name)
    dataset = load_dataset("mnist", data_dir)  # the clear missing-data error, before timing anything
    root = str(paths.data_dir(data_dir))
    say = (lambda *a: None) if as_json else (lambda *a: print(*a, flush=True))
    say(f"benchmark on {describe(device)}, torch {torch.__version__}, {epochs} timed epochs each")
    picked = picked_backend(TrainConfig(device=device.type), device)
    backends = (picked,) if picked == "autograd" else (picked, "autograd")
    timed, rates = time_engine(device, dataset, epochs, backends)
    engine = timed[picked]
    flops = epoch_matmul_flops(len(dataset.train_images))
    limits = [flops / rate for rate in rates]
    rate = statistics.median(rates)
    pixels_used = first_layer_pixels_used(dataset) if skips_blank_pixels(device) else 1.0
    run_flops = epoch_matmul_flops(len(dataset.train_images), pixels_used=pixels_used)
    say(f"  matmul rate {rate / 1e9:.1f} GFLOP/s (median) -> GEMM limit "
        f"{', '.join(f'{t:.3f}' for t in limits)} s/epoch")
    say(f"  the first layer runs on {pixels_used:.0%} of the pixels (blank ones skipped): the engine runs "
        f"{run_flops / flops:.0%} of the limit's FLOPs")
    for backend, t in timed.items():
        say(f"  engine, {backend + ' backend':<17}{', '.join(f'{v:.3f}' for v in t)} s/epoch")
    seed = time_seed_loop(device, root, epochs)
    say(f"  seed loop   {', '.join(f'{t:.3f}' for t in seed)} s/epoch")
    result = {
        "device": describe(device),
        "torch": torch.__version__,
        "epochs_timed": epochs,
        "matmul_gflops": rate / 1e9,
        "seed_loop_epoch_s": statistics.median(seed),
        "engine_backend": picked,
        "engine_epoch_s": statistics.median(engine),
        "autograd_epoch_s": statistics.median(timed["autograd"]),
        "gemm_limit_epoch_s": statistics.median(limits),
    }
    result["speedup_vs_seed_loop"] = result["seed_loop_epoch_s"] / result["engine_epoch_s"]
    # what the fast step earns: the autograd backend's epoch over the picked one's (1 where autograd is picked)
    result["autograd_over_engine"] = result["autograd_epoch_s"] / result["engine_epoch_s"]
    # each epoch against the limit measured just before it (see the module docstring)
    result["ratio_to_gemm_limit"] = statistics.median(t / limit for t, limit in zip(engine, limits))
    # the same against the FLOPs the engine runs: how close its products and the rest come to the rate
    result["first_layer_pixels_used"] = pixels_used
    result["ratio_to_run_flops_limit"] = result["ratio_to_gemm_limit"] * flops / run_flops
    if each_mechanism:
        result["fast_step_gain"] = fast_step_gains(device, dataset, epochs)
        say("  autograd over the fast step, per mechanism: " +
            (", ".join(f"{p} {g:.2f}" for p, g in result["fast_step_gain"].items()) or "none (no fast step here)"))
    if as_json:
        print(json.dumps(result))
    else:
        print(f"engine_backend {picked}")
        for key in ("seed_loop_epoch_s", "engine_epoch_s", "autograd_epoch_s", "autograd_over_engine",
                    "gemm_limit_epoch_s", "speedup_vs_seed_loop",
                    "ratio_to_gemm_limit", "ratio_to_run_flops_limit"):
            print(f"{key} {result[key]:.3f}")
        for penalty, gain in result.get("fast_step_gain", {}).items():
            print(f"fast_step_gain_{penalty} {gain:.3f}")
    return 0
