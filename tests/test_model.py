"""The model: tutorial architecture and init, hand-set weights, activations."""

import torch
from torch import nn

from sae_desktop.config import ModelConfig
from sae_desktop.architecture import latent_activation
from sae_desktop.model import PARAM_NAMES, TORCH, SparseAutoencoder, model_from_state


def test_default_architecture_and_init_match_the_tutorial():
    torch.manual_seed(0)
    tutorial_encoder = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32), nn.Sigmoid())
    tutorial_decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
    torch.manual_seed(0)
    model = SparseAutoencoder()
    expected = [t for m in (tutorial_encoder[0], tutorial_encoder[2], tutorial_decoder[0], tutorial_decoder[2])
                for t in (m.weight, m.bias)]
    for name, tensor in zip(PARAM_NAMES, expected):
        torch.testing.assert_close(getattr(model, name), tensor, rtol=0, atol=0, msg=name)
    x = torch.rand(5, 1, 28, 28)
    recon, z = model(x)
    latent = tutorial_encoder(x.view(5, -1))
    torch.testing.assert_close(z, latent)
    torch.testing.assert_close(recon, tutorial_decoder(latent))
    assert recon.shape == (5, 784) and z.shape == (5, 32)


def tiny_model(latent="sigmoid", k=0):
    """d_in=2, d_hidden=2, d_latent=2 with identity-like hand-set weights."""
    cfg = ModelConfig(d_in=2, d_hidden=2, d_latent=2, latent=latent, k=k)
    eye = torch.eye(2)
    state = {"W_enc1": eye, "b_enc1": torch.zeros(2), "W_enc2": 2 * eye, "b_enc2": torch.tensor([0.0, -1.0]),
             "W_dec1": eye, "b_dec1": torch.zeros(2), "W_dec2": eye, "b_dec2": torch.zeros(2)}
    return model_from_state(cfg, state)


def test_hand_set_weights_give_hand_computed_outputs():
    model = tiny_model()
    x = torch.tensor([[1.0, 0.5]])
    z = model.encode(x)  # relu(x) then 2x + b → [2, 0] → sigmoid
    torch.testing.assert_close(z, torch.sigmoid(torch.tensor([[2.0, 0.0]])))
    torch.testing.assert_close(model.decode(z), torch.sigmoid(z))


def test_relu_and_topk_latents():
    x = torch.tensor([[1.0, 0.25]])
    torch.testing.assert_close(tiny_model("relu").encode(x), torch.tensor([[2.0, 0.0]]))
    z = latent_activation(torch.tensor([[3.0, -1.0, 2.0, 1.0]]), ModelConfig(d_latent=4, latent="topk", k=2), TORCH)
    torch.testing.assert_close(z, torch.tensor([[3.0, 0.0, 2.0, 0.0]]))


def test_snapshot_is_a_detached_copy():
    model = SparseAutoencoder(ModelConfig(d_hidden=4, d_latent=2))
    snap = model.snapshot()
    with torch.no_grad():
        model.W_enc1.add_(1.0)
    assert not torch.equal(snap["W_enc1"], model.W_enc1)
    assert not snap["W_enc1"].requires_grad
