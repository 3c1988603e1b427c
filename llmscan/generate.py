"""Batched sampling with a KV cache that records each chosen token's log-probability on the way.

The model's raw next-token distribution is read once per step, before the sampling processors change it:
the log-prob of the chosen token and the mean/std of log p over the vocabulary (for Min-K%++) come
from the same forward pass that produced the token, so no scoring pass over the target model is needed.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from llmscan.kv_cache import preallocated_cache
from llmscan.models import LoadedModel, start_token_id
from llmscan.sampling import SamplingConfig, build_processors, per_sample_uniforms, sample_from_scores


@dataclass
class Generation:
    """One continuation: its tokens (EOS excluded), text and per-token statistics."""

    token_ids: list[int]
    text: str
    token_logprobs: list[float]
    token_mu: list[float]
    token_sigma: list[float]


class Generator(Protocol):
    """A generation backend. HFGenerator is the built-in one; a serving engine (e.g. vLLM with
    `SamplingParams(logprobs=...)` and one seed per request) fits the same call. A backend that cannot give
    the vocabulary mean/std per step leaves `token_mu`/`token_sigma` empty: Min-K%++ is then unscorable."""

    def generate(self, rows: Sequence[list[int]], seeds: Sequence[int], cfg: SamplingConfig) -> list[Generation]:
        """Continue each row of prompt token ids; row i's randomness comes from seeds[i] alone."""
        ...


@dataclass(frozen=True)
class HFGenerator:
    """transformers models through llmscan's own decode loop (preallocated KV cache, fused statistics)."""

    lm: LoadedModel

    def generate(self, rows: Sequence[list[int]], seeds: Sequence[int], cfg: SamplingConfig) -> list[Generation]:
        return generate_ids(self.lm, rows, seeds, cfg)


def encode_prompt(lm: LoadedModel, prompt: str) -> list[int]:
    """Prompt ids, always starting with the start token so the empty prompt and documents begin alike.

    A chat model (lm.chat) gets a non-empty prompt as a user turn of its chat template, with the assistant
    turn opened, the way it is used; the empty prompt stays the bare start token.
    """
    if lm.chat and prompt:
        ids = lm.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                               tokenize=True)
        ids = ids["input_ids"] if not isinstance(ids, list) else ids
        return [int(i) for i in ids]
    start = start_token_id(lm.tokenizer)
    ids = lm.tokenizer(prompt, add_special_tokens=False)["input_ids"] if prompt else []
    return [start, *ids]


def _left_pad(rows: Sequence[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
        mask[i, width - len(r):] = 1
    return ids.to(device), mask.to(device)


def _cache_kwarg(model: torch.nn.Module) -> str:
    """transformers 5 names the KV cache argument `cache`; 4.x called it `past_key_values`."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _distribution_stats(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """log-softmax, and mean and std of log p under p (Min-K%++ normalisers)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    p = logp.exp()
    plogp = p * logp.nan_to_num(neginf=0.0)
    mu = plogp.sum(-1)
    var = (plogp * logp.nan_to_num(neginf=0.0)).sum(-1) - mu * mu
    return logp, mu, var.clamp_(min=0.0).sqrt_()


def generate_batch(
    lm: LoadedModel, prompts: Sequence[str], seeds: Sequence[int], cfg: SamplingConfig
) -> list[Generation]:
    """Sample one continuation per prompt; each row's randomness comes from its own seed."""
    return generate_ids(lm, [encode_prompt(lm, p) for p in prompts], seeds, cfg)


@torch.inference_mode()
def generate_ids(
    lm: LoadedModel, rows: Sequence[list[int]], seeds: Sequence[int], cfg: SamplingConfig
) -> list[Generation]:
    """Continue each row of prompt token ids; each row's randomness comes from its own seed."""
    if len(seeds) != len(rows):
        raise ValueError(f"generate_ids: {len(rows)} rows but {len(seeds)} seeds")
    model, tok, device = lm.model, lm.tokenizer, lm.device
    ids, mask = _left_pad(rows, tok.pad_token_id, device)
    positions = (mask.cumsum(-1) - 1).clamp_(min=0)
    processors = build_processors(cfg, prompt_length=ids.shape[1])
    uniforms = per_sample_uniforms(list(seeds), cfg.max_new_tokens, device)
    eos = tok.eos_token_id
    batch = len(rows)
    finished = torch.zeros(batch, dtype=torch.bool, device=device)
    steps: list[tuple[torch.Tensor, ...]] = []
    width = ids.shape[1]
    cache = {_cache_kwarg(model): preallocated_cache(width + cfg.max_new_tokens)}  # filled in place by each call
    # Buffers for the whole run (no per-step concatenation); without padding the mask is left out entirely,
    # which lets attention take its unmasked path.
    seq = torch.cat([ids, ids.new_zeros((batch, cfg.max_new_tokens))], dim=1)
    full_mask = torch.cat([mask, mask.new_ones((batch, cfg.max_new_tokens))], dim=1) if bool((mask == 0).any()) \
        else None
    out = model(input_ids=ids, attention_mask=mask if full_mask is not None else None, position_ids=positions,
                use_cache=True, logits_to_keep=1, **cache)
    for t in range(cfg.max_new_tokens):
        logits = out.logits[:, -1, :]
        logp, mu, sigma = _distribution_stats(logits)
        nxt = sample_from_scores(processors(seq[:, :width + t], logits.float()), uniforms[:, t])
        chosen_lp = logp.gather(1, nxt.unsqueeze(1)).squeeze(1)
        alive = ~finished
        if eos is not None:
            finished = finished | (nxt == eos)
        steps.append((nxt, chosen_lp, mu, sigma, alive & ~finished))
        if t + 1 == cfg.max_new_tokens or (t % 4 == 3 and bool(finished.all())):
            break
        seq[:, width + t] = nxt
        positions = positions[:, -1:] + 1
        out = model(input_ids=nxt.unsqueeze(1), position_ids=positions, use_cache=True,
                    attention_mask=None if full_mask is None else full_mask[:, :width + t + 1], **cache)
    return _collect(tok, steps, batch)


def _collect(tok, steps: list[tuple[torch.Tensor, ...]], batch: int) -> list[Generation]:
    tokens, lps, mus, sigmas, keep = (torch.stack(x, dim=1).cpu() for x in zip(*steps))
    result = []
    for i in range(batch):
        k = keep[i]
        ids = tokens[i][k].tolist()
        result.append(Generation(
            token_ids=ids,
            text=tok.decode(ids, skip_special_tokens=True),
            token_logprobs=[round(x, 5) for x in lps[i][k].tolist()],
            token_mu=[round(x, 5) for x in mus[i][k].tolist()],
            token_sigma=[round(x, 5) for x in sigmas[i][k].tolist()],
        ))
    return result
