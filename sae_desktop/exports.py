"""Files for the outside world: PNG images, latent codes as .npy, run metrics as CSV.

(Plots export through pyqtgraph's own exporters, in the window.)
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from sae_desktop.colour import diverging_rgb

EPOCH_COLUMNS = ("epoch", "at", "step", "losses/train_total", "metrics/test_mse", "metrics/fvu", "metrics/l0",
                 "metrics/dead_latents", "metrics/frac_alive", "metrics/frac_dense", "metrics/rho_hat_mean",
                 "epoch_seconds", "eval_seconds")
STEP_COLUMNS = ("step", "epoch", "losses/recon", "losses/sparsity", "losses/total", "metrics/samples_per_s", "lr")
STEM_BYTES = 200  # an output's stem at most (a file name is 255 bytes, and "_reconstruction.png" follows)


def cut_stem(stem: str, most: int = STEM_BYTES) -> str:
    """``stem`` cut to ``most`` bytes of UTF-8, never inside a character (a phone's long file
    names made names the file system refused: "File name too long")."""
    return stem.encode("utf-8", "surrogateescape")[:most].decode("utf-8", "ignore")


def save_grey_png(image: np.ndarray, path: str | os.PathLike, scale: int = 1) -> Path:
    """Values in [0, 1] (NaN = background) → an 8-bit grey PNG, each pixel ``scale``×``scale``."""
    from PIL import Image

    a = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0)
    a = np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)
    if scale > 1:
        a = np.kron(a, np.ones((scale, scale), np.uint8))
    Image.fromarray(a, mode="L").save(path)
    return Path(path)


def diverging_image(values: np.ndarray, limit: float = 1.0, scale: int = 1):
    """Values in [-limit, limit] → a blue-white-red PIL image (NaN = light grey background), each
    value ``scale``×``scale`` pixels (to draw on before saving: the atlas's frames)."""
    from PIL import Image

    rgb = diverging_rgb(np.asarray(values, dtype=np.float32), limit)
    if scale > 1:
        rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    return Image.fromarray(rgb, mode="RGB")


def save_diverging_png(values: np.ndarray, path: str | os.PathLike, limit: float = 1.0, scale: int = 1) -> Path:
    """Values in [-limit, limit] → blue-white-red PNG (NaN = light grey background)."""
    diverging_image(values, limit, scale).save(path)
    return Path(path)


def save_latent_codes(latents: np.ndarray, path: str | os.PathLike) -> Path:
    """The test set's latent codes, ``[N, d_latent]`` float32, as a NumPy .npy file."""
    path = Path(path)
    np.save(path, np.asarray(latents, dtype=np.float32))
    return path if path.suffix == ".npy" else path.with_suffix(path.suffix + ".npy")


def save_metrics_csv(records: list[dict], path: str | os.PathLike, kind: str = "epoch") -> Path:
    """A run's ``metrics.jsonl`` records of one kind ("epoch" or "step") as CSV rows.

    Epoch rows also get one column per latent, ``rho_hat_<j>``, for the test-set ρ̂. A run that
    ended inside an epoch (stopped, diverged) gets a last row for its final weights, at their step,
    its ``epoch`` column the one it ended in and ``at`` its status (the window shows those figures:
    the CSV ended at the last epoch, its test MSE and dead latents differing from the screen's).
    """
    rows = [r for r in records if r.get("type") == kind]
    if kind == "epoch":
        rows = [dict(r, at="epoch end") for r in rows] + _final_row(records, rows)
    columns = list(EPOCH_COLUMNS if kind == "epoch" else STEP_COLUMNS)
    n_latent = max((len(r.get("metrics/rho_hat", [])) for r in rows), default=0) if kind == "epoch" else 0
    header = columns + [f"rho_hat_{j}" for j in range(n_latent)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for r in rows:
            writer.writerow([r.get(c, "") for c in columns] + list(r.get("metrics/rho_hat", []))[:n_latent])
    return Path(path)


def _final_row(records: list[dict], epochs: list[dict]) -> list[dict]:
    """The summary of a run that ended after its last epoch row's step, as an epoch row ([] if none)."""
    summary = next((r for r in reversed(records) if r.get("type") == "summary"), None)
    last = epochs[-1]["step"] if epochs else 0
    if summary is None or not isinstance(summary.get("step"), int) or summary["step"] <= last \
            or summary.get("test_mse") is None:
        return []
    rho_hat = summary.get("rho_hat") or []
    row = {f"metrics/{key}": summary.get(key) for key in ("test_mse", "fvu", "l0", "dead_latents", "frac_alive",
                                                          "frac_dense", "rho_hat")}  # (Evaluation.summary's keys)
    return [row | {"epoch": int(summary.get("epochs_done") or 0) + 1, "at": str(summary.get("status", "ended")),
                   "step": summary["step"], "metrics/rho_hat_mean": sum(rho_hat) / len(rho_hat) if rho_hat else None,
                   "epoch_seconds": summary.get("unfinished_epoch_seconds")}]
