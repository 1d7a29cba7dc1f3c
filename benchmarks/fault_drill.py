"""Fault drill: kill ``sae-desktop train`` (SIGKILL or SIGINT) at random moments, resume, repeat.

Every trial must end with the same final weights and Adam state, bit for bit, as one
uninterrupted run, or with a one-line refusal (exit 1 or 2, no traceback); anything else is a
failure. Each trial is interrupted 1-3 times at a random moment (30%: from the start of the
process, over the reference run's start-up time; 70%: after training began, over its training
time), half of them with slow saves so that kills land inside a save too, then resumed from
the run's checkpoint until it completes (a run killed before its first checkpoint starts over,
as a user would).

    python benchmarks/fault_drill.py --trials 20 [--seed 0]

Prints one line per trial and a summary; exits 1 if any trial failed.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from sae_desktop.checkpoint import load_checkpoint  # noqa: E402
from tests.conftest import make_dataset_dir  # noqa: E402

# 3200 images / 64 = 50 steps an epoch, a report every 7 steps: stops land at odd places.
ARGS = ["--epochs", "4", "--batch-size", "64", "--hidden", "64", "--latent", "16", "--log-every", "7",
        "--seed", "11", "--device", "cpu", "--no-download", "--json"]


def sae(home: Path, data: Path, extra: list[str], slow_saves: bool) -> subprocess.Popen:
    env = dict(os.environ, SAE_DESKTOP_HOME=str(home), PYTHONPATH=str(REPO), SAE_DESKTOP_OFFLINE="1")
    env.pop("SAE_DESKTOP_FAULT_SAVE_DELAY", None)
    if slow_saves:
        env["SAE_DESKTOP_FAULT_SAVE_DELAY"] = "0.15"
    return subprocess.Popen([sys.executable, "-m", "sae_desktop", "train", *ARGS, "--data-dir", str(data), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def latest_checkpoint(home: Path) -> Path | None:
    runs = sorted((home / "runs").glob("*/checkpoint.safetensors")) if (home / "runs").is_dir() else []
    return runs[-1] if runs else None


def same_state(a: Path, b: Path) -> bool:
    x, y = load_checkpoint(a), load_checkpoint(b)
    return (x.weights.keys() == y.weights.keys() and x.optimizer.keys() == y.optimizer.keys()
            and all(np.array_equal(x.weights[k], y.weights[k]) for k in x.weights)
            and all(np.array_equal(x.optimizer[k], y.optimizer[k]) for k in x.optimizer) and x.epoch == y.epoch)


def training_began(proc: subprocess.Popen, home: Path, limit: float = 300.0) -> None:
    """Wait for the run folder's first metrics line (or the process's end)."""
    t0 = time.perf_counter()
    while proc.poll() is None and time.perf_counter() - t0 < limit:
        metrics = list((home / "runs").glob("*/metrics.jsonl")) if (home / "runs").is_dir() else []
        if any(m.stat().st_size for m in metrics):
            return
        time.sleep(0.01)


def interrupt(proc: subprocess.Popen, home: Path, rng: random.Random, timing: tuple[float, float]) -> str:
    """Kill or stop ``proc`` at a random moment of a run that takes ``timing`` = (seconds to the
    first metrics line, seconds of training after it), measured on the reference run."""
    sig = rng.choice([signal.SIGKILL, signal.SIGINT])
    if rng.random() < 0.3:
        wait = rng.uniform(0.0, timing[0])
        time.sleep(wait)
        when = f"{wait:.2f}s after start"
    else:
        training_began(proc, home)
        wait = rng.uniform(0.0, timing[1])
        time.sleep(wait)
        when = f"{wait:.2f}s into training"
    if proc.poll() is None:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    return f"{sig.name} {when} -> exit {proc.returncode}", err


def one_line_refusal(proc_rc: int, err: str) -> bool:
    return proc_rc in (1, 2) and "Traceback" not in err and err.strip().count("\n") == 0


def trial(i: int, rng: random.Random, data: Path, reference: Path, root: Path,
          timing: tuple[float, float]) -> tuple[str, str]:
    home = root / f"trial{i}"
    slow = rng.random() < 0.5
    log = []
    for _ in range(rng.randint(1, 3)):
        ckpt = latest_checkpoint(home)
        proc = sae(home, data, ["--resume", str(ckpt)] if ckpt else [], slow)
        what, err = interrupt(proc, home, rng, timing)
        log.append(what)
        if "Traceback" in err:
            return "FAIL", f"{'; '.join(log)}: traceback: {err.strip().splitlines()[-1]}"
        if proc.returncode not in (0, 130, -signal.SIGKILL, -signal.SIGINT) and not one_line_refusal(
                proc.returncode, err):
            return "FAIL", f"{'; '.join(log)}: unexpected exit: {err.strip()[-300:]}"
    ckpt = latest_checkpoint(home)
    proc = sae(home, data, ["--resume", str(ckpt)] if ckpt else [], slow_saves=False)
    out, err = proc.communicate(timeout=600)
    log.append(f"final {'resume' if ckpt else 'fresh start'} -> exit {proc.returncode}")
    if proc.returncode != 0:
        outcome = "REFUSED" if one_line_refusal(proc.returncode, err) else "FAIL"
        return outcome, f"{'; '.join(log)}: {err.strip()[-300:]}"
    final = latest_checkpoint(home)
    return ("EXACT" if same_state(final, reference) else "FAIL"), "; ".join(log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="sae-fault-drill-"))
    data = make_dataset_dir(root / "data", n_train=3200, n_test=320)
    t0 = time.perf_counter()
    proc = sae(root / "reference", data, [], slow_saves=False)
    training_began(proc, root / "reference")
    t1 = time.perf_counter()
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    timing = (t1 - t0, time.perf_counter() - t1)
    print(f"reference run: {timing[0]:.1f}s to its first metrics line, then {timing[1]:.1f}s", flush=True)
    reference = latest_checkpoint(root / "reference")
    counts: dict[str, int] = {}
    for i in range(args.trials):
        outcome, detail = trial(i, rng, data, reference, root, timing)
        counts[outcome] = counts.get(outcome, 0) + 1
        print(f"trial {i + 1:>3}: {outcome:<7} {detail}", flush=True)
    print(f"fault drill: {args.trials} trials (seed {args.seed}): "
          + ", ".join(f"{k.lower()} {v}" for k, v in sorted(counts.items())))
    return 1 if counts.get("FAIL") else 0


if __name__ == "__main__":
    sys.exit(main())
