"""BatchTopK, JumpReLU, AuxK, resampling, unit-norm decoder columns: their gradients against
references, what they do to the weights, and that each trains, saves and loads."""

import math

import numpy as np
import pytest
import torch

from sae_desktop.checkpoint import load_checkpoint
from sae_desktop.config import JUMPRELU_BANDWIDTH, JUMPRELU_PRE_ACT, ConfigError, TrainConfig
from sae_desktop.engine import make_trainer, train
from sae_desktop.events import EpochOutput, Revival, RunEnd
from sae_desktop.losses import Objective, auxk_latents
from sae_desktop.mechanisms import normalise_decoder, project_decoder_grad
from sae_desktop.model import SparseAutoencoder, batch_topk, jump_bandwidth, jump_step, jumprelu
from sae_desktop.runs import RunFolder, recorded
from sae_desktop.snapshot import ModelSnapshot

SMALL = TrainConfig(epochs=2, batch_size=32, d_hidden=16, d_latent=12, device="cpu")


def test_jumprelu_gradients_match_autograd_of_the_smoothed_step():
    """The straight-through estimator is the gradient of H smoothed by the rectangle kernel:
    a ramp of width ε around θ, for θ and for the pre-activations. Autograd of the ramp gives
    the reference gradients."""
    torch.manual_seed(0)
    eps = 0.05
    pre = torch.randn(64, 6, dtype=torch.float64)
    theta = torch.rand(6, dtype=torch.float64) * 0.5
    pre.data[:6] = theta + torch.tensor([-0.02, -0.01, 0.0049, 0.01, 0.02, 0.2], dtype=torch.float64)  # in the window
    weights = torch.randn(64, 6, dtype=torch.float64)

    def ramp(p, t):  # the smoothed step, whose gradient the estimator stands in for
        return torch.clamp((p - t) / eps + 0.5, 0.0, 1.0)

    p1, t1 = pre.clone().requires_grad_(True), theta.clone().requires_grad_(True)
    (jump_step(p1, t1, eps) * weights).sum().backward()
    p2, t2 = pre.clone().requires_grad_(True), theta.clone().requires_grad_(True)
    (ramp(p2, t2) * weights).sum().backward()
    torch.testing.assert_close(t1.grad, t2.grad)
    torch.testing.assert_close(p1.grad, p2.grad)
    assert t1.grad.abs().sum() > 0
    # JumpReLU = pre·H(pre − θ): the exact gradient for pre (1 above θ) plus pre times the step's estimator
    p1, t3 = pre.clone().requires_grad_(True), theta.clone().requires_grad_(True)
    (jumprelu(p1, t3, eps) * weights).sum().backward()
    p2, t4 = pre.clone().requires_grad_(True), theta.clone().requires_grad_(True)
    (p2 * (ramp(p2, t4) - ramp(p2, t4).detach() + (pre > theta)) * weights).sum().backward()
    torch.testing.assert_close(t3.grad, t4.grad)
    torch.testing.assert_close(p1.grad, p2.grad)
    assert torch.equal(jumprelu(pre, theta, eps), torch.where(pre > theta, pre, torch.zeros_like(pre)))


def test_jump_bandwidth_follows_the_pre_activations_spread():
    """The default ε is JUMPRELU_BANDWIDTH × each latent's std over the batch: pre-activations
    ~30× the threshold (as the encoder makes them within 50 steps) still train θ and pre, and
    scaling pre and θ together scales the gradients inversely (a fixed ε = 0.05 saw none)."""
    torch.manual_seed(3)
    pre = 3.0 * torch.randn(256, 5, dtype=torch.float64)
    theta = torch.full((5,), 0.1, dtype=torch.float64)
    torch.testing.assert_close(jump_bandwidth(pre), JUMPRELU_BANDWIDTH * pre.std(dim=0, correction=0))
    weights = torch.randn(256, 5, dtype=torch.float64)
    grads = []
    for scale in (1.0, 100.0):
        p, t = (scale * pre).requires_grad_(True), (scale * theta).requires_grad_(True)
        (jump_step(p, t) * weights).sum().backward()
        grads.append((p.grad * scale, t.grad * scale))
    assert (grads[0][1] != 0).all() and (grads[0][0] != 0).any()
    torch.testing.assert_close(grads[0][0], grads[1][0])
    torch.testing.assert_close(grads[0][1], grads[1][1])


def test_jumprelu_l0_reaches_the_encoder_and_the_pre_activation_loss_pulls_latents_up():
    cfg = SMALL.replace(penalty="jumprelu", l0_coeff=1.0)
    torch.manual_seed(0)
    model = SparseAutoencoder(cfg.model_config()).double()
    x = torch.rand(64, 784, dtype=torch.float64)
    pre, theta = model.encode_pre(x), model.thresholds
    penalty = Objective(cfg).penalty
    model.zero_grad()
    penalty.of_pre(pre, theta).backward(retain_graph=True)
    assert model.W_enc2.grad.abs().sum() > 0 and model.log_threshold.grad.abs().sum() > 0
    norms = model.W_dec1.norm(dim=0)
    expected = JUMPRELU_PRE_ACT * (torch.relu(theta - pre) * norms).sum(dim=1).mean()
    torch.testing.assert_close(penalty.pre_act(pre, theta, norms), expected)
    p = pre.detach().requires_grad_(True)
    penalty.pre_act(p, theta.detach(), norms.detach()).backward()
    assert (p.grad[p.detach() < theta.detach()] < 0).all() and (p.grad[p.detach() > theta.detach()] == 0).all()


def test_batch_topk_keeps_k_per_image_on_average_and_its_gradient_is_the_mask():
    torch.manual_seed(1)
    z = torch.relu(torch.randn(16, 10, dtype=torch.float64)).requires_grad_(True)
    out = batch_topk(z, 3)
    assert int((out > 0).sum()) == 48 and (out.detach() > 0).sum(dim=1).float().std() > 0  # varies per image
    kept = out.detach() > 0
    assert out.detach()[kept].min() >= z.detach()[~kept].max()  # the largest 48 of the batch
    torch.autograd.gradcheck(lambda t: batch_topk(t, 3), (z,))  # finite differences agree


def test_auxk_reconstructs_the_residual_from_the_top_dead_latents_only():
    pre = torch.tensor([[3.0, -1.0, 2.0, 0.5, 4.0], [0.1, 2.0, -3.0, 1.0, 0.2]])
    dead = torch.tensor([False, True, True, True, False])
    z = auxk_latents(pre, dead, 2)
    sp = torch.nn.functional.softplus
    assert torch.equal(z, torch.tensor([[0.0, 0.0, sp(torch.tensor(2.0)), sp(torch.tensor(0.5)), 0.0],
                                        [0.0, sp(torch.tensor(2.0)), 0.0, sp(torch.tensor(1.0)), 0.0]]))
    cfg = SMALL.replace(penalty="topk", k=2, auxk=0.5)
    torch.manual_seed(0)
    model = SparseAutoencoder(cfg.model_config()).double()
    objective = Objective(cfg, dead_after=1)
    x = torch.rand(8, 784, dtype=torch.float64)
    objective.images_since_fired = torch.zeros(12, dtype=torch.float64)
    objective(model, x)  # counts which latents fired; the others are now dead
    dead = objective.dead().clone()
    assert dead.any() and not dead.all()
    terms = objective(model, x)
    assert terms.aux is not None and terms.total.item() == pytest.approx(terms.recon.item() + 0.5 * terms.aux.item())
    # its value: the decoder on the live code plus the top-k_aux dead latents' softplus, its error
    # divided by the live code's
    with torch.no_grad():
        z_live = model.encode(x, batch=True)
        dense = auxk_latents(model.encode_pre(x), dead, objective.k_aux)
        with_dead = torch.nn.functional.mse_loss(model.decode(z_live + dense), x)
        live = torch.nn.functional.mse_loss(model.decode(z_live), x)
    assert terms.recon.item() == pytest.approx(live.item(), rel=1e-9)
    assert terms.aux.item() == pytest.approx(with_dead.item() / live.item(), rel=1e-9)
    assert terms.aux.item() != pytest.approx(1.0)  # the dead latents change the reconstruction
    model.zero_grad()
    (0.5 * terms.aux).backward()
    # the aux term's gradient reaches only the dead latents' encoder rows and decoder columns:
    # the live code, the shared layers and the live latents' columns are held fixed
    grad_rows = model.W_enc2.grad.abs().sum(dim=1) > 0
    assert grad_rows.any() and not (grad_rows & ~dead).any()
    grad_columns = model.W_dec1.grad.abs().sum(dim=0) > 0
    assert grad_columns.any() and not (grad_columns & ~dead).any()
    for shared in (model.W_enc1, model.b_enc1, model.b_dec1, model.W_dec2, model.b_dec2):
        assert shared.grad is None or not shared.grad.any()


def test_auxk_leaves_out_a_latent_revived_since_the_last_reading():
    cfg = SMALL.replace(penalty="topk", k=2, auxk=0.5)
    torch.manual_seed(0)
    model = SparseAutoencoder(cfg.model_config()).double()
    objective = Objective(cfg, dead_after=1)
    x = torch.rand(8, 784, dtype=torch.float64)
    objective(model, x)  # reads the dead latents
    revived = int(objective.dead_index[0])
    objective.images_since_fired[revived] = 0  # it fired meanwhile…
    objective.dead_after = 10  # …and stays live through the next batch of 8 (the others: 16 images)
    terms = objective(model, x)  # (no new reading yet)
    assert revived in objective.dead_index.tolist()
    model.zero_grad()
    terms.aux.backward()
    assert not model.W_enc2.grad[revived].any() and not model.W_dec1.grad[:, revived].any()


def test_auxk_code_width_is_the_decoder_hidden_layer_at_most_half_the_dictionary():
    """As wide as the layer the dead latents write into, the decoder's hidden layer, and never
    more than half the dictionary."""
    assert Objective(TrainConfig(penalty="topk", d_latent=1024, auxk=1 / 32)).k_aux == 128
    assert Objective(TrainConfig(penalty="topk", d_latent=32, auxk=1 / 32)).k_aux == 16
    assert Objective(TrainConfig(penalty="topk", d_latent=1024, d_hidden=64, auxk=1 / 32)).k_aux == 64


def test_auxk_reaches_dead_latents_whose_pre_activations_are_all_negative():
    """A latent dies with its pre-activation below 0 on every input: AuxK takes the softplus of
    the dead latents' largest pre-activations, positive like the code the latent will write
    once it fires, and with a gradient that never vanishes (with a ReLU it did, and 11 of
    TopK's 32 latents stayed dead)."""
    pre = torch.tensor([[3.0, -1.0, -2.0, -0.5, 4.0], [0.1, -2.0, -3.0, -1.0, 0.2]], requires_grad=True)
    dead = torch.tensor([False, True, True, True, False])
    z = auxk_latents(pre, dead, 2)
    picked = torch.tensor([[0.0, 1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0, 0.0]])
    torch.testing.assert_close(z.detach(), picked * torch.nn.functional.softplus(pre.detach()))
    assert (z.detach()[picked > 0] > 0).all()
    z.sum().backward()
    torch.testing.assert_close(pre.grad, picked * torch.sigmoid(pre.detach()))
    more = auxk_latents(pre, dead, 4).detach()  # k_aux above the dead count: every dead latent, no live one
    torch.testing.assert_close(more[0], torch.nn.functional.softplus(torch.tensor([-9e9, -1.0, -2.0, -0.5, -9e9])))
    torch.autograd.gradcheck(lambda t: auxk_latents(t, dead, 2), (pre.detach().double().requires_grad_(),))


def test_unit_norm_decoder_projection_keeps_columns_on_the_sphere():
    torch.manual_seed(2)
    model = SparseAutoencoder(SMALL.model_config())
    normalise_decoder(model)
    torch.testing.assert_close(model.W_dec1.norm(dim=0), torch.ones(12))
    model.W_dec1.grad = torch.randn_like(model.W_dec1)
    project_decoder_grad(model)
    radial = (model.W_dec1 * model.W_dec1.grad).sum(dim=0)
    assert radial.abs().max() < 1e-5  # no component along the columns is left


def _train(cfg, dataset):
    return list(train(cfg, dataset, backend="autograd"))


@pytest.mark.parametrize("penalty,extra", [("batchtopk", {"k": 3}), ("jumprelu", {"l0_coeff": 1e-3}),
                                           ("topk", {"k": 3, "auxk": 1 / 32}), ("l1", {"resample": True}),
                                           ("kl", {"resample": True}), ("l1", {"unit_norm_decoder": True})])
def test_each_mechanism_trains_saves_and_loads(tiny_dataset, tmp_path, penalty, extra):
    cfg = SMALL.replace(penalty=penalty, **extra)
    run = RunFolder.create(cfg, tmp_path)
    events = list(recorded(train(cfg, tiny_dataset, backend="autograd"), run))
    end = events[-1]
    assert isinstance(end, RunEnd) and end.status == "completed"
    epochs = [e for e in events if isinstance(e, EpochOutput)]
    assert epochs[-1].test_mse < epochs[0].test_mse * 1.5 and math.isfinite(epochs[-1].test_mse)
    ckpt = load_checkpoint(run.checkpoint_path)
    snap = ModelSnapshot.from_checkpoint(ckpt, "m")
    ev = snap.evaluate(tiny_dataset.test_images)  # NumPy inference: the same latents as torch's
    np.testing.assert_allclose(ev.latents, end.evaluation.latents, atol=1e-4)
    if cfg.unit_norm_decoder:
        np.testing.assert_allclose(np.linalg.norm(snap.arrays["W_dec1"], axis=0), 1.0, rtol=1e-5)
    if penalty == "batchtopk":
        assert np.asarray(ckpt.weights["threshold"]).item() > 0  # estimated in training, saved in the checkpoint
    if penalty == "jumprelu":
        assert not np.allclose(snap.arrays["log_threshold"], math.log(0.1))  # the thresholds learned


def test_batchtopk_threshold_gives_about_k_active_at_inference(tiny_dataset):
    cfg = SMALL.replace(penalty="batchtopk", k=3, epochs=4)
    end = _train(cfg, tiny_dataset)[-1]
    assert abs(end.evaluation.l0 - 3) <= 0.1 * 3 * 2  # tiny data: within 20 % (the 10 % is for real MNIST)


def test_resampling_revives_dead_latents_and_resets_adam(tiny_dataset):
    cfg = SMALL.replace(penalty="l1", l1=0.05, resample=True, epochs=4, d_latent=24)
    device = torch.device("cpu")
    train_u8 = torch.from_numpy(tiny_dataset.train_images.reshape(len(tiny_dataset.train_images), -1))
    trainer = make_trainer(cfg, device, train_u8, backend="autograd")
    spe = trainer.steps_per_epoch
    for epoch in range(cfg.epochs):
        perm = torch.randperm(trainer.n, generator=torch.Generator().manual_seed(epoch))
        for s in range(spe):
            trainer.run_steps(perm[s * 32:(s + 1) * 32], [1e-3])
            if s % 8 == 7:
                trainer.report()
    revived = [(step, count) for step, count in trainer.revivals if count]  # (checks that found none: count 0)
    assert revived, "a strong L1 leaves latents dead; resampling should have revived some"
    step, count = revived[0]
    assert step % trainer.resample_every == 0 and 0 < count < 24
    assert all(step % trainer.resample_every == 0 for step, _ in trainer.revivals)


def test_with_kl_a_latent_never_above_the_active_threshold_is_dead_and_resampled(tiny_dataset):
    """"Resample dead" did nothing with KL: a latent fired for resampling where it was above 0, which a
    sigmoid latent always is. It fires where it is active (above 0.1), as L0 and the test set count."""
    objective = Objective(SMALL.replace(resample=True), dead_after=8)
    z = torch.full((8, SMALL.d_latent), float(torch.sigmoid(torch.tensor(-30.0))))
    z[3, 0] = 0.5
    objective.count_firing(z)
    assert objective.dead().tolist() == [False] + [True] * (SMALL.d_latent - 1)
    cfg = SMALL.replace(resample=True, epochs=2)
    train_u8 = torch.from_numpy(tiny_dataset.train_images.reshape(len(tiny_dataset.train_images), -1))
    trainer = make_trainer(cfg, torch.device("cpu"), train_u8, backend="autograd")
    with torch.no_grad():
        trainer.model.params["b_enc2"][5] = -60.0  # latent 5 silent: sigmoid(-60) on every image
    perm = torch.randperm(trainer.n, generator=torch.Generator().manual_seed(0))
    for s in range(trainer.steps_per_epoch):
        trainer.run_steps(perm[s * 32:(s + 1) * 32], [1e-3])
    assert any(count for _, count in trainer.revivals), "latent 5 never fired: resampling should have revived it"


def test_resampling_never_applies_to_a_top_k_run_nor_a_hidden_penalty_setting(tiny_dataset):
    """"Resample dead" ticked under KL, then BatchTopK chosen (the box hidden): the run resampled, its AuxK
    starved of dead latents, and config.json, the Runs table and the model card said nothing of it."""
    from sae_desktop.config import TrainConfig

    cfg = SMALL.replace(penalty="batchtopk", k=4, resample=True)
    train_u8 = torch.from_numpy(tiny_dataset.train_images.reshape(len(tiny_dataset.train_images), -1))
    assert make_trainer(cfg, torch.device("cpu"), train_u8, backend="autograd").resample_every == 0
    assert make_trainer(cfg.replace(penalty="l1"), torch.device("cpu"), train_u8, backend="autograd").resample_every
    own = cfg.replace(rho=0.2, auxk=0.5).applicable()  # a run's own settings: the hidden ones at their defaults
    assert (own.resample, own.rho, own.k, own.auxk) == (False, TrainConfig().rho, 4, 0.5)
    kl = TrainConfig(k=8, auxk=0.03125, resample=True).applicable()
    assert (kl.k, kl.auxk, kl.resample) == (TrainConfig().k, TrainConfig().auxk, True)


def test_new_settings_are_validated():
    with pytest.raises(ConfigError, match="auxk"):
        SMALL.replace(penalty="topk", auxk=-1.0).check()
    with pytest.raises(ConfigError, match="l0"):
        SMALL.replace(penalty="jumprelu", l0_coeff=float("nan")).check()
    with pytest.raises(ConfigError, match="--k"):
        SMALL.replace(penalty="batchtopk", k=13).check()
    assert TrainConfig.from_dict(SMALL.replace(resample=True).to_dict()).resample is True


def test_revivals_are_events_recorded_in_the_run_and_drawn_in_the_sparsity_plot(tiny_dataset, tmp_path, qtbot):
    from sae_desktop.events import Revival
    from sae_desktop.qt.sparsity_plot import SparsityPlot

    cfg = SMALL.replace(penalty="l1", l1=0.05, resample=True, epochs=3, d_latent=24)
    run = RunFolder.create(cfg, tmp_path)
    events = list(recorded(train(cfg, tiny_dataset, backend="autograd"), run))
    revivals = [e for e in events if isinstance(e, Revival)]
    assert any(e.count > 0 for e in revivals) and all(0 < e.epoch_position <= 3 * 0.7 + 1e-9 for e in revivals)
    assert [e.epoch_position for e in revivals] == [0.5, 1.0, 1.5, 2.0]  # every check, those that found none too
    lines = [r for r in run.read_metrics() if r["type"] == "revival"]
    assert [(r["step"], r["metrics/revived"]) for r in lines] == [(e.step, e.count) for e in revivals]
    plot = SparsityPlot()
    qtbot.addWidget(plot)
    for e in revivals:
        plot.add_revival(e.epoch_position, e.count)
    plot.add_epoch(1, 3.0, 2)
    plot.refresh()
    assert len(plot._revival_items) == len(revivals)
    for e, line in zip(revivals, plot._revival_items):  # dashed with how many; dotted, unlabelled, where none
        assert (line.label.format == f"{e.count} revived") if e.count else (
            getattr(line, "label", None) is None and "resampled none" in line.toolTip())
    assert "dotted where it found no latent silent" in plot.toolTip()
    first, last = min(e.epoch_position for e in revivals), max(e.epoch_position for e in revivals)
    plot.show()
    qtbot.waitExposed(plot)
    view = plot.getViewBox()  # auto-range frames the marks once the plot is shown and painted
    qtbot.waitUntil(lambda: view.viewRange()[0][0] < first and last < view.viewRange()[0][1], timeout=3000)
    plot.clear_data()
    assert not plot._revival_items and not plot.revivals


def test_auxk_comebacks_are_a_curve_per_ended_epoch_in_the_sparsity_plot(qtbot):
    from sae_desktop.qt.sparsity_plot import BACK_LABEL, SparsityPlot

    plot = SparsityPlot()
    qtbot.addWidget(plot)
    assert not plot.legend.items[2:]  # L0 and dead only, until AuxK brings one back
    for position, count in ((0.25, 5), (0.5, 3), (1.0, 2), (1.5, 4), (2.25, 7)):  # epoch 1's last report at 1.0
        plot.add_revival(position, count, "auxk")
    plot.add_epoch(1, 4.0, 20)
    plot.add_epoch(2, 4.0, 12)
    plot.refresh()
    x, y = plot.back.getData()
    assert list(x) == [1, 2] and list(y) == [10, 4]  # epoch 3 has not ended: not drawn yet
    assert BACK_LABEL in [label.text for _, label in plot.legend.items]
    assert not plot._revival_items  # no resampling lines for AuxK
    plot.add_epoch(3, 4.0, 6)
    plot.add_epoch(4, 4.0, 6)  # none came back in epoch 4: a 0, not a gap
    plot.refresh()
    assert list(plot.back.getData()[0]) == [1, 2, 3, 4] and list(plot.back.getData()[1]) == [10, 4, 7, 0]
    plot.clear_data()
    assert plot.back.getData()[0] is None or len(plot.back.getData()[0]) == 0
    assert BACK_LABEL not in [label.text for _, label in plot.legend.items]


def test_resampling_waits_for_the_epochs_evaluation(tiny_dataset):
    """Every half epoch (234 steps of MNIST's 469) resampled 1-2 steps before an epoch's end: its test
    figures measured latents revived a step ago (FVU 0.68 against training's 0.46). Resampled mid-epoch
    and at the next epoch's start, the evaluation comes first."""
    cfg = SMALL.replace(penalty="l1", l1=0.05, resample=True, epochs=4, d_latent=24, batch_size=45)
    events = _train(cfg, tiny_dataset)
    spe = events[0].steps_per_epoch
    assert spe % 2 == 1  # (an odd count: half epochs do not add up to the epoch)
    revivals = [(i, e) for i, e in enumerate(events) if isinstance(e, Revival)]
    assert revivals, "a strong L1 leaves latents dead; resampling should have revived some"
    assert {e.step % spe for _, e in revivals} <= {0, spe // 2}
    ends = {e.step: i for i, e in enumerate(events) if isinstance(e, EpochOutput)}
    assert all(i > ends[e.step] for i, e in revivals if e.step in ends)  # an epoch's end: after its evaluation
    assert any(e.step in ends for _, e in revivals)


def test_resampling_a_jumprelu_latent_resets_its_threshold(tiny_dataset):
    """A JumpReLU latent dead because its threshold grew above every pre-activation kept that threshold
    when resampled (its encoder row, bias and decoder column were new): it starts from the initial
    threshold again, its Adam moments reset with the rest."""
    from sae_desktop.config import JUMPRELU_THRESHOLD_INIT
    from sae_desktop.mechanisms import resample_dead

    cfg = SMALL.replace(penalty="jumprelu", resample=True)
    train_u8 = torch.from_numpy(tiny_dataset.train_images.reshape(len(tiny_dataset.train_images), -1))
    trainer = make_trainer(cfg, torch.device("cpu"), train_u8, backend="autograd")
    trainer.run_steps(torch.arange(32), [1e-3])  # (Adam's moments exist)
    model, state = trainer.model, trainer.optimizer.state[trainer.model.log_threshold]
    with torch.no_grad():
        model.log_threshold[[3, 7]] = math.log(50.0)  # far above any pre-activation: dead
    dead = torch.zeros(cfg.d_latent, dtype=torch.bool)
    dead[3] = True
    assert resample_dead(model, trainer.optimizer, dead, train_u8, torch.Generator().manual_seed(0)) == 1
    assert model.log_threshold[3].item() == pytest.approx(math.log(JUMPRELU_THRESHOLD_INIT))
    assert model.log_threshold[7].item() == pytest.approx(math.log(50.0))  # (only the dead one)
    assert state["exp_avg"][3] == 0 and state["exp_avg_sq"][3] == 0 and state["exp_avg_sq"].abs().sum() > 0


def test_a_resampling_check_that_finds_none_silent_is_an_event_and_a_dotted_line(tiny_dataset, qtbot, monkeypatch):
    """"Resample dead" on, 19 latents dead on the test set, and no line, record or word: its checks had found no
    latent silent for a whole half epoch. Each check is an event now (its count 0 where it found none), recorded,
    and drawn dotted with what it found in its tooltip."""
    import pyqtgraph as pg

    from sae_desktop.events import Revival
    from sae_desktop.qt.sparsity_plot import SparsityPlot

    import sae_desktop.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "resample_dead", lambda *args: 0)  # every check finds every latent fired
    cfg = SMALL.replace(penalty="l1", resample=True, epochs=2)
    revivals = [e for e in train(cfg, tiny_dataset, backend="autograd") if isinstance(e, Revival)]
    assert [(e.epoch_position, e.count) for e in revivals] == [(0.5, 0), (1.0, 0)]
    assert Revival.from_json(revivals[0].to_json()).count == 0  # (as metrics.jsonl holds it)
    plot = SparsityPlot()
    qtbot.addWidget(plot)
    plot.add_revival(0.5, 0)
    plot.refresh()
    line = plot._revival_items[0]
    assert getattr(line, "label", None) is None and line.pen.style() == pg.QtCore.Qt.PenStyle.DotLine
    assert line.toolTip().startswith("Resampling checked at 0.50 epochs and resampled none")
