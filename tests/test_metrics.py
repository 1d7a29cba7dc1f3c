"""FVU, fraction alive and fraction dense: their definitions, and where they are recorded."""

import csv
import json

import numpy as np
import pytest
import torch

from sae_desktop.config import TrainConfig
from sae_desktop.engine import train
from sae_desktop.events import EpochOutput
from sae_desktop.evaluation import Evaluation, VarianceAccumulator
from sae_desktop.exports import save_metrics_csv
from sae_desktop.model import SparseAutoencoder
from sae_desktop.run_list import list_runs
from sae_desktop.runs import RunFolder, recorded
from sae_desktop.snapshot import ModelSnapshot

SMALL = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")


def test_variance_is_about_the_mean_image_not_zero():
    x = np.random.default_rng(0).random((300, 5)) * 0.2 + 0.7  # far from 0: about 0 it would be ~0.5
    acc = VarianceAccumulator()
    for start in range(0, 300, 128):
        acc.add(x[start:start + 128].astype(np.float32))
    assert acc.variance == pytest.approx(x.var(axis=0).mean(), rel=1e-5)
    assert acc.variance < 0.01


def test_fvu_alive_and_dense_on_a_constructed_case():
    latents = np.zeros((20, 5), np.float32)
    latents[:3, 0] = 1.0  # 15 %: dense
    latents[:2, 1] = 1.0  # 10 %: not dense (more than 10 % is)
    latents[0, 2] = 1.0  # 5 %
    ev = Evaluation(np.full(20, 0.02), latents, 0.0, variance=0.08)
    assert ev.fvu == pytest.approx(0.25)
    assert ev.frac_alive == pytest.approx(3 / 5) and ev.frac_dense == pytest.approx(1 / 5)
    assert np.isnan(Evaluation(np.zeros(3), latents[:3], 0.0).fvu)  # variance unknown: no FVU, not 0 or inf


def test_fvu_is_one_minus_explained_variance_for_a_real_model(tiny_dataset):
    model = SparseAutoencoder(SMALL.model_config()).eval()
    images = torch.from_numpy(tiny_dataset.test_images.reshape(len(tiny_dataset.test_images), -1))
    ev = model.evaluate(images)
    x = images.numpy().astype(np.float64) / 255.0
    with torch.no_grad():
        recon = model(images.float() / 255.0)[0].numpy().astype(np.float64)
    explained = 1 - np.square(x - recon).sum() / np.square(x - x.mean(axis=0)).sum()
    assert ev.fvu == pytest.approx(1 - explained, rel=1e-4)
    snap = ModelSnapshot(SMALL.model_config(), model.snapshot(), "m")  # NumPy path: same numbers
    assert snap.evaluate(tiny_dataset.test_images).fvu == pytest.approx(ev.fvu, rel=1e-4)


def test_epoch_records_summaries_runs_table_and_csv_carry_the_metrics(tiny_dataset, tmp_path):
    run = RunFolder.create(SMALL)
    events = list(recorded(train(SMALL, tiny_dataset), run))
    ev = [e for e in events if isinstance(e, EpochOutput)][-1].evaluation
    records = run.read_metrics()
    epoch = [r for r in records if r["type"] == "epoch"][-1]
    assert epoch["metrics/fvu"] == pytest.approx(ev.fvu) == pytest.approx(ev.test_mse / ev.variance)
    assert epoch["metrics/frac_alive"] == pytest.approx(1 - ev.dead_latents / 8)
    assert epoch["metrics/frac_dense"] == pytest.approx(float((ev.density > 0.1).mean()))
    summary = json.loads(run.metrics_path.read_text().splitlines()[-1])
    assert summary["fvu"] == pytest.approx(ev.fvu) and summary["frac_dense"] == pytest.approx(ev.frac_dense)
    row = list_runs()[0]
    assert (row.fvu, row.frac_alive, row.frac_dense) == pytest.approx((ev.fvu, ev.frac_alive, ev.frac_dense))
    with open(save_metrics_csv(records, tmp_path / "m.csv")) as f:
        rows = list(csv.DictReader(f))
    assert float(rows[0]["metrics/fvu"]) == pytest.approx(ev.fvu)
    assert float(rows[0]["metrics/frac_alive"]) == pytest.approx(ev.frac_alive)
