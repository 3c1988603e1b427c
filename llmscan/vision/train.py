"""Small models the inversion tools train on CPU: classifiers (targets, evaluators) and a VAE prior."""

from __future__ import annotations

import torch
from torch import nn


def mlp_classifier(in_features: int, classes: int, hidden: int = 64) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def train_classifier(x: torch.Tensor, y: torch.Tensor, classes: int, hidden: int = 64, epochs: int = 150,
                     seed: int = 0, lr: float = 1e-2, weight_decay: float = 1e-4) -> nn.Module:
    """Full-batch Adam on (x, y); returns the model in eval mode (outputs logits)."""
    torch.manual_seed(seed)
    model = mlp_classifier(x[0].numel(), classes, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval()


class VAE(nn.Module):
    """A tiny fully-connected VAE over images scaled to [0, 1]; its decoder is the inversion prior."""

    def __init__(self, shape: tuple[int, ...], latent: int = 8, hidden: int = 128) -> None:
        super().__init__()
        self.shape, self.latent = tuple(shape), latent
        d = int(torch.tensor(shape).prod())
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, d), nn.Sigmoid())

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.dec(z).view(len(z), *self.shape)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.enc(x).chunk(2, dim=-1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decode(z), mu, logvar


def train_vae(x01: torch.Tensor, latent: int = 8, epochs: int = 400, seed: int = 0) -> VAE:
    """Train the prior on public images in [0, 1] (full batch)."""
    torch.manual_seed(seed)
    vae = VAE(tuple(x01.shape[1:]), latent)
    opt = torch.optim.Adam(vae.parameters(), lr=3e-3)
    for _ in range(epochs):
        opt.zero_grad()
        recon, mu, logvar = vae(x01)
        rec = nn.functional.binary_cross_entropy(recon, x01, reduction="sum") / len(x01)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / len(x01)
        (rec + kl).backward()
        opt.step()
    return vae.eval()
