"""Output defenses simulated around any target: what the attacker sees instead of full probabilities.

Names: `round:D` (probabilities rounded to D decimals), `top1` (only the top class keeps its probability),
`topk:K`, `label` (one-hot of the predicted class), `noise:S` (Gaussian noise of std S, renormalised),
`none`. A defended target has no gradients: only black-box attacks apply.
"""

from __future__ import annotations

import torch

from llmscan.errors import ConfigError
from llmscan.vision.targets import Target


def _round(p: torch.Tensor, decimals: int) -> torch.Tensor:
    return torch.round(p * 10**decimals) / 10**decimals


def _topk(p: torch.Tensor, k: int) -> torch.Tensor:
    vals, idx = p.topk(k, dim=-1)
    return torch.zeros_like(p).scatter_(-1, idx, vals)


def _label(p: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(p).scatter_(-1, p.argmax(-1, keepdim=True), 1.0)


def _noise(p: torch.Tensor, std: float, gen: torch.Generator) -> torch.Tensor:
    noisy = (p + std * torch.randn(p.shape, generator=gen)).clamp_(min=0)
    return noisy / noisy.sum(-1, keepdim=True).clamp_(min=1e-12)


def parse_defense(spec: str) -> tuple[str, float]:
    name, _, arg = spec.partition(":")
    needs = {"round": True, "topk": True, "noise": True, "top1": False, "label": False, "none": False}
    if name not in needs or needs[name] != bool(arg):
        raise ConfigError("--defense", f"unknown defense {spec!r} (round:D, top1, topk:K, label, noise:S, none)")
    try:
        return name, float(arg) if arg else 0.0
    except ValueError:
        raise ConfigError("--defense", f"{spec!r}: the argument must be a number") from None


def defended(target: Target, spec: str, seed: int = 0) -> Target:
    """`target` seen through defense `spec` (a black-box target with its own query counter)."""
    name, arg = parse_defense(spec)
    if name == "none":
        return target
    gen = torch.Generator().manual_seed(seed)
    transform = {"round": lambda p: _round(p, int(arg)), "top1": lambda p: _topk(p, 1),
                 "topk": lambda p: _topk(p, int(arg)), "label": _label,
                 "noise": lambda p: _noise(p, arg, gen)}[name]
    return Target(f"{target.name}[{spec}]", lambda x: transform(target.probs(x)), outputs="probs")
