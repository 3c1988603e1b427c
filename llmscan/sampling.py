"""Sampling policy: transformers' logits processors plus the temperature-decay schedule of Carlini et al. 2021."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import (
    LogitsProcessor,
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)


@dataclass(frozen=True)
class SamplingConfig:
    """How continuations are sampled."""

    max_new_tokens: int = 64
    top_k: int = 40
    top_p: float = 1.0
    temperature: float = 1.0
    temperature_decay: bool = False
    decay_start: float = 10.0
    decay_steps: int = 20


class TemperatureDecayLogitsProcessor(LogitsProcessor):
    """Divide logits by a temperature falling linearly from `start` to `end` over the first `steps` new tokens.

    The step is read from the sequence length, so the processor needs the prompt length of the batch
    (left-padded: every row has the same prompt length).
    """

    def __init__(self, prompt_length: int, start: float = 10.0, end: float = 1.0, steps: int = 20) -> None:
        if steps < 1 or start <= 0 or end <= 0:
            raise ValueError("temperature decay needs steps >= 1 and positive temperatures")
        self.prompt_length, self.start, self.end, self.steps = prompt_length, start, end, steps

    def temperature_at(self, step: int) -> float:
        """Temperature used for the `step`-th generated token (0-based)."""
        frac = min(step, self.steps) / self.steps
        return self.start + (self.end - self.start) * frac

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return scores / self.temperature_at(input_ids.shape[1] - self.prompt_length)


def build_processors(cfg: SamplingConfig, prompt_length: int) -> LogitsProcessorList:
    """Temperature (fixed or decaying), then top-k, then top-p — the order `generate` applies them."""
    procs = LogitsProcessorList()
    if cfg.temperature_decay:
        procs.append(TemperatureDecayLogitsProcessor(prompt_length, cfg.decay_start, cfg.temperature,
                                                     cfg.decay_steps))
    elif cfg.temperature != 1.0:
        procs.append(TemperatureLogitsWarper(cfg.temperature))
    if cfg.top_k > 0:
        procs.append(TopKLogitsWarper(top_k=cfg.top_k))
    if cfg.top_p < 1.0:
        procs.append(TopPLogitsWarper(top_p=cfg.top_p))
    return procs


def per_sample_uniforms(seeds: list[int], steps: int, device: torch.device) -> torch.Tensor:
    """(batch, steps) uniforms in (0, 1], one private stream per sample.

    A sample's draws depend only on its own seed, so its text does not change with the batch it lands in,
    the batch size or the number of processes.
    """
    rows = [1.0 - torch.rand(steps, generator=torch.Generator().manual_seed(s)) for s in seeds]
    return torch.stack(rows).to(device)


def sample_from_scores(scores: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """Inverse-CDF sampling over the vocabulary in index order; scores of -inf get no mass."""
    probs = torch.softmax(scores.float(), dim=-1)
    cdf = probs.cumsum(dim=-1)
    target = (uniforms * cdf[:, -1]).unsqueeze(1)
    return torch.searchsorted(cdf, target).squeeze(1).clamp_(max=scores.shape[-1] - 1)
