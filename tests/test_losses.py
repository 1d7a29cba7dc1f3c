"""Losses against hand computations, and the engine's hand-written gradients against autograd."""

import math

import pytest
import torch

from sae_desktop import fast_trainer
from sae_desktop.config import TrainConfig
from sae_desktop.fast_trainer import FastSAETrainer
from sae_desktop.losses import KLPenalty, L1Penalty, Objective, TopKPenalty, kl_divergence, recon_loss
from sae_desktop.model import SparseAutoencoder, model_from_state
from sae_desktop.step_grads import kl_rho_grad_
from tests.conftest import stroke_digits


def test_kl_matches_hand_computation():
    rho = 0.05
    z = torch.tensor([[0.1, 0.0], [0.3, 0.2]])  # ρ̂ = [0.2, 0.1]
    expected = sum(rho * math.log(rho / r) + (1 - rho) * math.log((1 - rho) / (1 - r)) for r in (0.2, 0.1))
    assert KLPenalty(rho, beta=1.0).raw(z).item() == pytest.approx(expected, rel=1e-6)
    assert KLPenalty(rho, beta=0.5).loss(z).item() == pytest.approx(0.5 * expected, rel=1e-6)


def test_kl_is_zero_at_target_and_clamps_extremes():
    assert kl_divergence(0.05, torch.full((3,), 0.05)).item() == pytest.approx(0.0, abs=1e-7)
    value = kl_divergence(0.05, torch.tensor([0.0, 1.0]))  # clamped to 1e-6 and 1-1e-6: finite
    r0, r1 = 1e-6, float(torch.tensor(1 - 1e-6, dtype=torch.float32))  # the clamp happens in float32
    expected = sum(0.05 * math.log(0.05 / r) + 0.95 * math.log(0.95 / (1 - r)) for r in (r0, r1))
    assert math.isfinite(value.item()) and value.item() == pytest.approx(expected, rel=1e-4)


def test_l1_and_topk_hand_values():
    z = torch.tensor([[0.0, 2.0], [1.0, 1.0]])
    assert L1Penalty(0.1).raw(z).item() == pytest.approx(1.0)
    assert L1Penalty(0.1).loss(z).item() == pytest.approx(0.1)
    assert TopKPenalty().loss(z).item() == 0.0


def test_penalty_value_from_rho_hat_rows_matches_raw():
    z = torch.rand(16, 5)
    for penalty in (KLPenalty(0.05, 1.0), L1Penalty(1.0), TopKPenalty()):
        rows = torch.stack([z.mean(0), z[:8].mean(0)])
        values = penalty.value(rows.numpy())
        assert values.shape == (2,)
        assert values[0] == pytest.approx(penalty.raw(z).item(), rel=1e-5, abs=1e-7)


def test_kl_rho_grad_matches_autograd_and_is_zero_where_clamped():
    rho_hat = torch.tensor([0.0, 5e-7, 0.02, 0.05, 0.3, 0.9, 1.0])
    out, scratch = torch.empty(7), torch.empty(7)
    kl_rho_grad_(rho_hat, torch.tensor(0.05), out, scratch)
    leaf = rho_hat.clone().requires_grad_(True)
    kl_divergence(0.05, leaf).backward()
    torch.testing.assert_close(out, leaf.grad, rtol=1e-5, atol=1e-6)
    assert out[[0, 1, 6]].eq(0).all() and out[[2, 4, 5]].ne(0).all()  # clamped: no gradient


def test_reconstruction_losses_hand_values():
    y = torch.tensor([[0.5, 0.25]])
    logits = torch.logit(y)
    x = torch.tensor([[1.0, 0.0]])
    assert recon_loss("mse", logits, x).item() == pytest.approx((0.25 + 0.0625) / 2)
    assert recon_loss("bce", logits, x).item() == pytest.approx(-(math.log(0.5) + math.log(0.75)) / 2, rel=1e-6)


def _model_with(cfg: TrainConfig, weights) -> SparseAutoencoder:
    model = SparseAutoencoder(cfg.model_config())
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(weights[name])
    return model


def _reference_terms(cfg: TrainConfig, weights, images_since_fired, images):
    """The autograd model with ``weights``, its Objective with that firing count, and its loss terms."""
    model, objective = _model_with(cfg, weights), Objective(cfg)
    objective.images_since_fired = images_since_fired.clone()
    return model, objective, objective(model, images.float() / 255)


def _autograd_grads(cfg: TrainConfig, weights, x):
    model = _model_with(cfg, weights)
    loss = Objective(cfg)(model, x).total
    loss.backward()
    return {n: p.grad for n, p in model.named_parameters()}, loss.item()


@pytest.fixture(params=["every pixel used", "blank pixels"])
def images(request):
    """32 images: uniform noise, where the step's first layer runs on all pixels, or MNIST-like
    strokes with blank borders, where it runs on the pixels each batch uses (train_step.py)."""
    if request.param == "blank pixels":
        return torch.from_numpy(stroke_digits(32, seed=5)[0].reshape(32, -1))
    return (torch.rand(32, 784, generator=torch.Generator().manual_seed(5)) * 255).to(torch.uint8)


@pytest.mark.parametrize("penalty,recon", [("kl", "mse"), ("kl", "bce"), ("l1", "mse"), ("topk", "mse"),
                                           ("topk", "bce"), ("l1", "bce")])
def test_engine_gradients_match_autograd(penalty, recon, step_kind, images):
    torch.manual_seed(0)
    cfg = TrainConfig(penalty=penalty, recon=recon, d_hidden=16, d_latent=6, k=3, batch_size=8, beta=0.3,
                      l1=0.2, log_every=1)
    images = images[:8]
    trainer = FastSAETrainer(cfg, torch.device("cpu"), images)
    assert trainer.scripted == (step_kind == "scripted")
    weights = trainer.weights()
    x = images.float() / 255
    expected, expected_loss = _autograd_grads(cfg, weights, x)
    for _ in range(4):  # lr 0: weights unchanged; TorchScript optimises its graph after the first calls
        trainer.step(torch.arange(8), lr=0.0)
    for name, grad in expected.items():
        torch.testing.assert_close(trainer.grads[name], grad, rtol=2e-4, atol=2e-7, msg=name)
    report = trainer.report()
    assert report.total == pytest.approx(expected_loss, rel=1e-4)


def test_engine_adam_matches_torch_optim_adam(step_kind, images):
    torch.manual_seed(1)
    cfg = TrainConfig(d_hidden=16, d_latent=6, batch_size=8, lr=1e-2)
    trainer = FastSAETrainer(cfg, torch.device("cpu"), images)
    reference = model_from_state(cfg.model_config(), trainer.weights()).requires_grad_(True).train()
    optim = torch.optim.Adam(reference.parameters(), lr=cfg.lr)
    objective = Objective(cfg)
    for step in range(5):
        idx = torch.arange(step * 6, step * 6 + 8) % 32
        x = images[idx].float() / 255
        optim.zero_grad()
        objective(reference, x).total.backward()
        optim.step()
        trainer.step(idx, cfg.lr)
        trainer.report()
    # Adam divides by sqrt(v), which magnifies float rounding in tiny gradients: most weights
    # agree to ~1e-8, a rare one (a weight whose gradient is ~0) to ~3e-5 after five steps;
    # a real mistake (bias correction, betas, step count) moves weights by ~lr = 1e-2.
    for name, p in reference.named_parameters():
        torch.testing.assert_close(trainer.params[name], p.detach(), rtol=1e-4, atol=1e-4, msg=name)
    # The saved moments are flattened parameter by parameter in [out, in] order, whatever the
    # layout in memory (W_enc1 is stored transposed there): checkpoints do not depend on it.
    state = trainer.optimizer_state()
    for key, moment in (("optimizer.exp_avg", "exp_avg"), ("optimizer.exp_avg_sq", "exp_avg_sq")):
        expected = torch.cat([optim.state[p][moment].reshape(-1) for p in reference.parameters()])
        torch.testing.assert_close(state[key], expected, rtol=1e-3, atol=1e-7, msg=key)
    assert state["optimizer.step"].item() == 5


def test_optimizer_state_round_trips_through_the_memory_layout():
    cfg = TrainConfig(d_hidden=16, d_latent=6, batch_size=8)
    trainer = FastSAETrainer(cfg, torch.device("cpu"), torch.zeros(8, 784, dtype=torch.uint8))
    assert fast_trainer.STORED_TRANSPOSED and not trainer.params["W_enc1"].is_contiguous()
    n = trainer.flat.numel()
    state = {"optimizer.exp_avg": torch.arange(n, dtype=torch.float32), "optimizer.exp_avg_sq": torch.rand(n),
             "optimizer.step": torch.tensor([7.0])}
    trainer.load_optimizer(state)
    first = trainer._views(trainer.exp_avg)["W_enc1"]  # canonical order: row 0 of [out, in] first
    torch.testing.assert_close(first, torch.arange(first.numel(), dtype=torch.float32).view(first.shape))
    for key, value in trainer.optimizer_state().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0, msg=key)
    assert all(w.is_contiguous() for w in trainer.weights().values())  # safetensors needs contiguous


@pytest.mark.parametrize("recon,auxk,few_positive", [("mse", 0.0, False), ("bce", 0.0, False), ("mse", 0.5, False),
                                                     ("mse", 0.0, True)])
def test_wide_topk_step_on_the_kept_latents_matches_autograd(recon, auxk, few_positive, step_kind, images):
    """A wide top-k dictionary (1024 latents, k = 4): the step's products on the kept latents
    (train_step_sparse.py), its decoder stored transposed, give autograd's gradients, AuxK's
    included (half the latents dead), and the checkpoint's usual [out, in] weights. With
    ``few_positive``, fewer than k latents can be positive: kept zeros pass no gradient."""
    torch.manual_seed(4)
    cfg = TrainConfig(penalty="topk", recon=recon, d_hidden=16, d_latent=1024, k=4, batch_size=8, auxk=auxk,
                      log_every=1)
    images = images[:8]
    trainer = FastSAETrainer(cfg, torch.device("cpu"), images)
    assert trainer.scripted == (step_kind == "scripted") and trainer.step_modules[8].sparse_on
    assert not trainer.params["W_dec1"].is_contiguous() and trainer.params["W_dec1"].t().is_contiguous()
    silent = torch.zeros(1024)
    silent[::2] = 1e9  # dead unless they fire in this batch
    trainer.objective.images_since_fired.copy_(silent)
    if few_positive:
        trainer.params["b_enc2"][2:] = -100.0
    weights = trainer.weights()
    assert all(w.is_contiguous() for w in weights.values()) and weights["W_dec1"].shape == (16, 1024)
    model, objective, terms = _reference_terms(cfg, weights, silent, images)
    assert (terms.aux is not None) == (auxk > 0)
    terms.total.backward()
    for _ in range(4):  # lr 0: the same weights
        trainer.step(torch.arange(8), lr=0.0)
    for name, p in model.named_parameters():
        torch.testing.assert_close(trainer.grads[name], p.grad, rtol=2e-4, atol=2e-7, msg=name)
    assert trainer.report().total == pytest.approx(terms.total.item(), rel=1e-4)  # what is minimised, AuxK's too


@pytest.mark.parametrize("recon,silent_count", [("mse", 30), ("bce", 30), ("mse", 8)])
def test_fast_step_auxk_gradients_match_autograd(recon, silent_count, step_kind, images):
    """AuxK in the hand-written step: the same dead latents, code, normalised term and
    gradients (encoder rows, biases and decoder columns of the dead latents) as the Objective,
    with more dead latents than the code's width (k_aux = 16 here) and with fewer."""
    torch.manual_seed(3)
    cfg = TrainConfig(penalty="topk", recon=recon, d_hidden=16, d_latent=32, k=2, batch_size=8, auxk=0.5,
                      log_every=1)
    images = images[:8]
    trainer = FastSAETrainer(cfg, torch.device("cpu"), images)
    assert trainer.backend == "fast" and trainer.scripted == (step_kind == "scripted")
    silent = torch.zeros(32)
    silent[:silent_count] = 1e9  # not fired for long: dead, unless they fire in this batch
    trainer.objective.images_since_fired.copy_(silent)
    weights = trainer.weights()
    model, objective, terms = _reference_terms(cfg, weights, silent, images)
    assert terms.aux is not None and 0 < objective.dead().sum() <= silent_count
    assert (objective.dead().sum() > objective.k_aux) == (silent_count > 16)  # both cases are tested
    terms.total.backward(retain_graph=True)
    for _ in range(4):  # lr 0: the same weights, the same dead latents (read at the first step)
        trainer.step(torch.arange(8), lr=0.0)
    # four batches: a latent that fired in them is at 0, the others 24 images further than after one
    after_one = objective.images_since_fired
    torch.testing.assert_close(trainer.objective.images_since_fired, torch.where(after_one > 0, after_one + 24, 0.0))
    for name, p in model.named_parameters():
        torch.testing.assert_close(trainer.grads[name], p.grad, rtol=2e-4, atol=2e-7, msg=name)
    dead_rows = trainer.grads["W_enc2"][objective.dead()]
    model.zero_grad()
    terms.recon.backward()  # without the term, those rows would get no gradient: the test sees it
    assert dead_rows.abs().sum() > 0 and not model.W_enc2.grad[objective.dead()].any()


@pytest.mark.parametrize("penalty,backend", [("topk", "fast"), ("topk", "autograd"), ("batchtopk", "autograd"),
                                             ("jumprelu", "autograd")])
def test_the_reported_total_is_what_training_minimises(penalty, backend, images):
    """With AuxK the reported total was the reconstruction loss alone (AuxK's term, as large as
    it, left out): the window drew "total" over "reconstruction" as one line. JumpReLU's
    pre-activation loss was left out too."""
    from sae_desktop.engine import make_trainer

    auxk = 0.5 if penalty != "jumprelu" else 0.0
    cfg = TrainConfig(penalty=penalty, d_hidden=16, d_latent=32, k=2, batch_size=8, auxk=auxk, log_every=1)
    batch = images[:8]
    trainer = make_trainer(cfg, torch.device("cpu"), batch, backend=backend)
    assert trainer.backend == backend
    silent = torch.zeros(32)
    silent[::2] = 1e9  # dead unless they fire in this batch
    trainer.objective.images_since_fired.copy_(silent)
    _, objective, terms = _reference_terms(cfg, trainer.weights(), silent, batch)
    assert terms.extra is not None and terms.extra.item() > 1e-4 * terms.recon.item()  # a term of its own
    trainer.step(torch.arange(8), lr=0.0)
    report = trainer.report()
    assert report.total == pytest.approx(terms.total.item(), rel=1e-4)
    beyond = report.total - report.recon - trainer.penalty.weight * report.sparsity
    assert beyond == pytest.approx(terms.extra.item(), rel=1e-3)  # AuxK's term, or JumpReLU's pre-activation loss
