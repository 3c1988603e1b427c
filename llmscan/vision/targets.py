"""Inversion targets: anything that maps a batch of images to class probabilities, counting its queries.

Loaders: a TorchScript file (`.pt`/`.ts`; TorchScript code, never a pickle), `package.module:factory`
returning an nn.Module (optional safetensors weights), or an HTTP endpoint (POST JSON {"inputs": [...]},
answer {"probabilities": [...]}). Outputs are probabilities when every row is non-negative and sums to 1,
else logits (softmax applied); `outputs="logits"|"probs"` declares it instead.
"""

from __future__ import annotations

import importlib
import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from llmscan.errors import InputFileError, LlmscanError

OUTPUT_KINDS = ("auto", "logits", "probs")


@dataclass
class Target:
    """A classifier seen through its outputs. `module` is set when gradients are available (white-box)."""

    name: str
    forward: Callable[[torch.Tensor], torch.Tensor]  # images -> raw outputs
    outputs: str = "auto"
    module: torch.nn.Module | None = None
    queries: int = field(default=0)  # images sent so far

    def probs(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities of a batch (counts len(x) queries)."""
        self.queries += len(x)
        out = self.forward(x).float()
        return to_probabilities(out, self.outputs)

    @property
    def white_box(self) -> bool:
        return self.module is not None


def to_range(x01: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """Images from [0, 1] (where attacks work) to the target's input range."""
    lo, hi = value_range
    return lo + (hi - lo) * x01


def to_unit(x: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """Images from the target's input range to [0, 1], clamped."""
    lo, hi = value_range
    return ((x - lo) / (hi - lo)).clamp(0, 1)


def to_probabilities(out: torch.Tensor, kind: str = "auto") -> torch.Tensor:
    """Softmax of logits; probabilities as they are. 'auto': rows >= 0 summing to 1 are probabilities."""
    if kind == "probs" or (kind == "auto" and bool((out >= 0).all())
                           and torch.allclose(out.sum(-1), torch.ones(len(out)), atol=1e-4)):
        return out
    return torch.softmax(out, dim=-1)


def module_target(name: str, module: torch.nn.Module, outputs: str = "auto") -> Target:
    module.eval()
    return Target(name, module, outputs, module=module)


def load_target(spec: str, weights: str | None = None, outputs: str = "auto", timeout: float = 30.0) -> Target:
    """A target from a TorchScript path, `package.module:factory`, or an http(s) URL."""
    if outputs not in OUTPUT_KINDS:
        raise LlmscanError(f"--outputs: unknown value {outputs!r} (choose from {', '.join(OUTPUT_KINDS)})")
    if spec.startswith(("http://", "https://")):
        return Target(spec, lambda x: _post(spec, x, timeout), outputs)
    if ":" in spec and not Path(spec).exists():
        return module_target(spec, _from_factory(spec, weights), outputs)
    path = Path(spec)
    if not path.is_file():
        raise InputFileError(spec, "target is not a file, a package.module:factory or an http(s) URL")
    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError) as e:
        raise InputFileError(spec, f"not a TorchScript model ({str(e).splitlines()[0][:120]})") from None
    return module_target(path.name, module, outputs)


def _from_factory(spec: str, weights: str | None) -> torch.nn.Module:
    mod_name, _, fn_name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(mod_name), fn_name)
    except (ImportError, AttributeError) as e:
        raise InputFileError(spec, f"cannot import the factory ({e})") from None
    module = factory()
    if not isinstance(module, torch.nn.Module):
        raise InputFileError(spec, "the factory did not return a torch.nn.Module")
    if weights:
        from safetensors.torch import load_file

        try:
            module.load_state_dict(load_file(weights))
        except (OSError, RuntimeError) as e:
            raise InputFileError(weights, f"cannot load these weights: {str(e).splitlines()[0][:160]}") from None
    return module


def _post(url: str, x: torch.Tensor, timeout: float) -> torch.Tensor:
    body = json.dumps({"inputs": x.detach().cpu().tolist()}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            answer = json.loads(resp.read())
    except (OSError, ValueError) as e:
        raise LlmscanError(f"target {url}: request failed ({e})") from None
    if "probabilities" not in answer:
        raise LlmscanError(f"target {url}: answer has no 'probabilities' field")
    return torch.tensor(answer["probabilities"], dtype=torch.float32)
