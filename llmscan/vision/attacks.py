"""Inversion attacks, batched over classes x restarts (one optimisation for all of them).

- whitebox: MI-Face (Fredrikson et al. 2015): gradient descent on 1 - p(class) with total-variation and
  L2 priors and a periodic denoising (blur) step.
- ensemble: the same over the mean probability of several targets (Wang & Kurz 2022).
- blackbox: only returned probabilities; NES estimates (antithetic Gaussian directions) of the gradient of
  -log p(class) under a per-class query budget, counted exactly.
- prior: search the latent space of a generator (VAE decoder trained on public data; GMI, Zhang et al. 2020).

Images are optimised in [0, 1] and mapped to the target's value range when queried.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from llmscan.errors import ConfigError
from llmscan.vision.targets import Target, to_range

ATTACKS = ("whitebox", "blackbox", "ensemble", "prior")


@dataclass(frozen=True)
class AttackConfig:
    """Optimisation settings; `queries` is the black-box budget per class (all restarts together)."""

    attack: str = "whitebox"
    steps: int = 300
    lr: float = 0.05
    tv: float = 0.05
    l2: float = 0.05
    denoise_every: int = 50
    jitter: int = 0  # random shift (pixels) of the image at each white-box step, for robust features
    restarts: int = 4
    queries: int = 100_000
    nes_pairs: int = 25
    sigma: float = 0.01
    nes_loss: str = "prob"  # black-box loss: "prob" (1 - p, MI-Face) or "logprob" (-log p)
    seed: int = 0


@dataclass
class InversionResult:
    """Reconstructions in [0, 1]: images[c] is (restarts, *shape), best restart first."""

    images: dict[int, torch.Tensor]
    confidence: dict[int, list[float]]  # the attacked model's p(class) per restart (as the attacker saw it)
    queries: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic TV per image (mean absolute difference of neighbours)."""
    dh = (x[..., 1:, :] - x[..., :-1, :]).abs().flatten(1).mean(1)
    dw = (x[..., :, 1:] - x[..., :, :-1]).abs().flatten(1).mean(1)
    return dh + dw


def denoise(x: torch.Tensor) -> torch.Tensor:
    """A 3x3 Gaussian blur per channel (MI-Face's denoising step)."""
    k = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
    c = x.shape[1]
    return nn.functional.conv2d(nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"),
                                k.expand(c, 1, 3, 3), groups=c)


def _class_prob(targets: Sequence[Target], x01: torch.Tensor, labels: torch.Tensor,
                value_range: tuple[float, float]) -> torch.Tensor:
    p = torch.stack([t.probs(to_range(x01, value_range)) for t in targets]).mean(0)
    return p.gather(1, labels.unsqueeze(1)).squeeze(1)


def _start(n: int, shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    return (0.5 + 0.05 * torch.randn((n, *shape), generator=gen)).clamp_(0, 1)


def _gradient_attack(targets: Sequence[Target], labels: torch.Tensor, shape: tuple[int, ...],
                     value_range: tuple[float, float], cfg: AttackConfig, gen: torch.Generator) -> torch.Tensor:
    x = _start(len(labels), shape, gen).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=cfg.lr)
    for step in range(cfg.steps):
        opt.zero_grad()
        shifted = x
        if cfg.jitter:
            dy, dx = (int(v) for v in torch.randint(-cfg.jitter, cfg.jitter + 1, (2,), generator=gen))
            shifted = torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
        p = _class_prob(targets, shifted, labels, value_range)
        loss = (1 - p) + cfg.tv * total_variation(x) + cfg.l2 * x.pow(2).flatten(1).mean(1)
        loss.sum().backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0, 1)
            if cfg.denoise_every and (step + 1) % cfg.denoise_every == 0 and step + 1 < cfg.steps:
                x.copy_(denoise(x))
    return x.detach()


def _nes_attack(target: Target, labels: torch.Tensor, shape: tuple[int, ...], value_range: tuple[float, float],
                cfg: AttackConfig, gen: torch.Generator) -> torch.Tensor:
    n, pairs = len(labels), cfg.nes_pairs
    per_step = 2 * pairs  # queries per image per step
    restarts = n // len(set(labels.tolist()))
    steps = max(1, cfg.queries // (restarts * per_step) - 1)
    x = _start(n, shape, gen)
    m, v = torch.zeros_like(x), torch.zeros_like(x)
    for step in range(steps):
        u = torch.randn((n, pairs, *shape), generator=gen)
        probes = torch.cat([x.unsqueeze(1) + cfg.sigma * u, x.unsqueeze(1) - cfg.sigma * u], 1).clamp(0, 1)
        p = _class_prob([target], probes.flatten(0, 1), labels.repeat_interleave(2 * pairs), value_range)
        p = p.view(n, 2 * pairs)
        loss = -torch.log(p + 1e-6) if cfg.nes_loss == "logprob" else 1 - p
        diff = (loss[:, :pairs] - loss[:, pairs:]).view(n, pairs, *([1] * len(shape)))
        grad = (diff * u).mean(1) / (2 * cfg.sigma)  # NES estimate of the loss gradient
        xr = x.clone().requires_grad_(True)
        prior = (cfg.tv * total_variation(xr) + cfg.l2 * xr.pow(2).flatten(1).mean(1)).sum()
        grad = grad + torch.autograd.grad(prior, xr)[0]
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad.pow(2)
        x = (x - cfg.lr * (m / (1 - 0.9 ** (step + 1))) / ((v / (1 - 0.999 ** (step + 1))).sqrt() + 1e-8)).clamp(0, 1)
        if cfg.denoise_every and (step + 1) % cfg.denoise_every == 0:
            x = denoise(x)
    _class_prob([target], x, labels, value_range)  # the final read-out is a query too
    return x


def _prior_attack(targets: Sequence[Target], labels: torch.Tensor, value_range: tuple[float, float],
                  cfg: AttackConfig, gen: torch.Generator, generator: nn.Module) -> torch.Tensor:
    latent = generator.latent
    z = torch.randn((len(labels), latent), generator=gen).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=cfg.lr)
    for _ in range(cfg.steps):
        opt.zero_grad()
        p = _class_prob(targets, generator.decode(z), labels, value_range)
        ((1 - p) + cfg.l2 * z.pow(2).mean(1)).sum().backward()
        opt.step()
    return generator.decode(z).detach()


def invert(targets: Sequence[Target], classes: Sequence[int], shape: tuple[int, ...],
           value_range: tuple[float, float] = (0.0, 1.0), cfg: AttackConfig = AttackConfig(),
           generator: nn.Module | None = None) -> InversionResult:
    """Reconstruct one image per class and restart from the target(s)."""
    if cfg.attack not in ATTACKS:
        raise ConfigError("--attack", f"unknown attack {cfg.attack!r} (choose from {', '.join(ATTACKS)})")
    if cfg.attack in ("whitebox", "prior") and len(targets) != 1:
        raise ConfigError("--attack", f"{cfg.attack} takes one target; use 'ensemble' for several")
    if cfg.attack in ("whitebox", "ensemble", "prior") and not all(t.white_box for t in targets):
        raise ConfigError("--attack", f"{cfg.attack} needs gradients (a local model); use 'blackbox' for "
                                      "endpoints and defended outputs")
    if cfg.attack == "blackbox" and len(targets) != 1:
        raise ConfigError("--attack", "blackbox takes one target")
    if cfg.attack == "prior" and generator is None:
        raise ConfigError("--attack", "prior needs a generator (train one with --public-data)")
    started = time.time()
    gen = torch.Generator().manual_seed(cfg.seed)
    labels = torch.tensor([c for c in classes for _ in range(cfg.restarts)])
    before = [t.queries for t in targets]
    if cfg.attack == "blackbox":
        x = _nes_attack(targets[0], labels, shape, value_range, cfg, gen)
    elif cfg.attack == "prior":
        x = _prior_attack(targets, labels, value_range, cfg, gen, generator)
    else:
        x = _gradient_attack(targets, labels, shape, value_range, cfg, gen)
    used = sum(t.queries - b for t, b in zip(targets, before))
    with torch.no_grad():
        conf = _class_prob(targets, x, labels, value_range)
    for t in targets:  # the scoring read-out above is ours, not the attack's
        t.queries -= len(x)
    images, confidence = {}, {}
    for i, c in enumerate(classes):
        rows = slice(i * cfg.restarts, (i + 1) * cfg.restarts)
        order = torch.argsort(conf[rows], descending=True)
        images[c] = x[rows][order]
        confidence[c] = [round(float(v), 4) for v in conf[rows][order]]
    per_class = used // max(1, len(classes))
    return InversionResult(images, confidence, {c: per_class for c in classes}, round(time.time() - started, 2))
