"""Discoverable extraction (Carlini et al. 2023, "Quantifying Memorization").

Take the first P tokens of a training document as the prompt and ask whether the model continues it with
the true next S tokens: greedily (k-extractable, k = P), in any of n sampled tries, and with what exact
probability under the sampling distribution (one teacher-forced forward pass: the product of the
processed next-token probabilities of the true suffix), from which P(extracted in n tries) = 1-(1-p)^n.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from llmscan.corpus import Document
from llmscan.generate import Generator, HFGenerator
from llmscan.models import LoadedModel, context_length, start_token_id
from llmscan.prompts import derive_seed
from llmscan.records import EXTRACTION_SOURCE, Sample
from llmscan.sampling import SamplingConfig, build_processors


@dataclass(frozen=True)
class ExtractionConfig:
    """Prefix/suffix lengths in tokens, sampled tries per prefix and how many documents to test."""

    prefix_tokens: int = 32
    suffix_tokens: int = 32
    tries: int = 8
    documents: int = 256


@dataclass(frozen=True)
class ExtractionTarget:
    """A training-document prefix (with the start token) and the true suffix that follows it."""

    id: str
    doc: str
    prefix_ids: tuple[int, ...]
    suffix_ids: tuple[int, ...]


EncodedDocument = tuple[Document, list[int]]  # a document and its first token ids


def encode_documents(lm: LoadedModel, docs: Sequence[Document], max_tokens: int) -> list[EncodedDocument]:
    """Each distinct document once, with (at most) its first `max_tokens` token ids."""
    seen: set[str] = set()
    encoded: list[EncodedDocument] = []
    for d in docs:
        if d.text not in seen:
            seen.add(d.text)
            encoded.append((d, lm.tokenizer(d.text, add_special_tokens=False)["input_ids"][:max_tokens]))
    return encoded


def plan_targets(lm: LoadedModel, docs: Sequence[Document], cfg: ExtractionConfig, seed: int,
                 encoded: Sequence[EncodedDocument] | None = None) -> list[ExtractionTarget]:
    """Up to `cfg.documents` distinct documents long enough for prefix + suffix, chosen by `seed`.

    `encoded` (from encode_documents, long enough for this prefix + suffix) saves tokenizing `docs` again.
    """
    need = cfg.prefix_tokens + cfg.suffix_tokens
    if encoded is None:
        encoded = encode_documents(lm, docs, need)
    eligible = [(d, ids[:need]) for d, ids in encoded if len(ids) >= need]
    random.Random(derive_seed(seed, EXTRACTION_SOURCE)).shuffle(eligible)
    start = start_token_id(lm.tokenizer)
    return [ExtractionTarget(f"x{i:07d}", d.id, (start, *ids[:cfg.prefix_tokens]), tuple(ids[cfg.prefix_tokens:]))
            for i, (d, ids) in enumerate(eligible[:cfg.documents])]


@torch.inference_mode()
def suffix_statistics(lm: LoadedModel, targets: Sequence[ExtractionTarget],
                      sampling: SamplingConfig) -> tuple[list[int], list[float]]:
    """Per target: how many leading suffix tokens greedy decoding reproduces, and log P(suffix) under sampling.

    Teacher forcing equals greedy decoding up to the first mismatch, so one forward pass gives both.
    """
    rows = torch.tensor([t.prefix_ids + t.suffix_ids for t in targets], device=lm.device)
    p = len(targets[0].prefix_ids)
    logits = lm.model(input_ids=rows, use_cache=False).logits[:, p - 1:-1, :].float()
    suffix = rows[:, p:]
    agree = (logits.argmax(-1) == suffix).long()
    greedy_len = agree.cumprod(-1).sum(-1)
    processors = build_processors(sampling, prompt_length=p)
    logp_total = torch.zeros(len(targets), device=lm.device)
    for t in range(suffix.shape[1]):
        scores = torch.log_softmax(processors(rows[:, :p + t], logits[:, t, :].clone()), dim=-1)
        logp_total += scores.gather(1, suffix[:, t:t + 1]).squeeze(1)
    return greedy_len.tolist(), logp_total.tolist()


def extract_batch(lm: LoadedModel, targets: Sequence[ExtractionTarget], sampling: SamplingConfig,
                  tries: int, seed: int, generator: Generator | None = None) -> list[Sample]:
    """Greedy continuation, `tries` sampled ones and the exact extraction probability of each target.

    The probability needs the target's full next-token distribution, so it always uses `lm` itself.
    """
    generator = generator or HFGenerator(lm)
    s_len = len(targets[0].suffix_ids)
    greedy_cfg = replace(sampling, max_new_tokens=s_len, top_k=1, top_p=1.0, temperature=1.0,
                         temperature_decay=False)
    sample_cfg = replace(sampling, max_new_tokens=s_len)
    rows = [list(t.prefix_ids) for t in targets]
    greedy = generator.generate(rows, [0] * len(rows), greedy_cfg)
    hits = [0] * len(targets)
    if tries:
        tried = generator.generate([r for r in rows for _ in range(tries)],
                             [derive_seed(seed, t.id, k) for t in targets for k in range(tries)], sample_cfg)
        for i, g in enumerate(tried):
            hits[i // tries] += tuple(g.token_ids[:s_len]) == targets[i // tries].suffix_ids
    greedy_len, logp = suffix_statistics(lm, targets, sampling)
    samples = []
    for t, g, n_hit, glen, lp in zip(targets, greedy, hits, greedy_len, logp):
        p_extract = math.exp(lp)
        samples.append(Sample.from_generation(
            t.id, lm.tokenizer.decode(t.prefix_ids, skip_special_tokens=True), EXTRACTION_SOURCE, g,
            extra={"extraction": {
                "doc": t.doc, "prefix_tokens": len(t.prefix_ids) - 1, "suffix_tokens": s_len,
                "greedy_extracted": tuple(g.token_ids[:s_len]) == t.suffix_ids,
                "greedy_match_tokens": int(glen), "sampled_extracted": n_hit, "tries": tries,
                "log_p_extract": round(lp, 4) if math.isfinite(lp) else None, "p_extract": p_extract,
                "p_extract_in_tries": -math.expm1(tries * math.log1p(-p_extract)) if p_extract < 1 else 1.0,
            }}))
    return samples


def summarize(samples: Sequence[Sample], thresholds: Sequence[float] = (0.01, 0.1, 0.5)) -> dict[str, Any] | None:
    """Rates over the extraction samples: greedy (k-extractable), any-of-n sampled, and (n, p) at thresholds."""
    rows = [s.extra["extraction"] for s in samples if "extraction" in s.extra]
    if not rows:
        return None
    n = len(rows)
    return {
        "targets": n,
        "prefix_tokens": rows[0]["prefix_tokens"],
        "suffix_tokens": rows[0]["suffix_tokens"],
        "tries": rows[0]["tries"],
        "greedy_extractable_rate": sum(r["greedy_extracted"] for r in rows) / n,
        "sampled_extracted_rate": sum(r["sampled_extracted"] > 0 for r in rows) / n,
        "mean_p_extract": sum(r["p_extract"] for r in rows) / n,
        "mean_p_extract_in_tries": sum(r["p_extract_in_tries"] for r in rows) / n,
        "p_extract_in_tries_at_least": {str(th): sum(r["p_extract_in_tries"] >= th for r in rows) / n
                                        for th in thresholds},
        "mean_greedy_match_tokens": sum(r["greedy_match_tokens"] for r in rows) / n,
    }


PREFIX_LENGTHS = (4, 8, 16, 32, 64, 128)


def rate_by_prefix_length(lm: LoadedModel, docs: Sequence[Document], cfg: ExtractionConfig, seed: int,
                          batch_size: int = 32, lengths: Sequence[int] = PREFIX_LENGTHS,
                          encoded: Sequence[EncodedDocument] | None = None) -> dict[str, dict[str, Any]]:
    """Greedy extraction rate of the same suffix length for several prefix lengths (Carlini et al. 2023 show
    it grows with the prefix). Teacher-forced: one forward pass per batch of targets, no generation.
    The documents are tokenized once for all lengths (or `encoded` is used, as for plan_targets)."""
    limit = context_length(lm)
    if encoded is None:
        encoded = encode_documents(lm, docs, max(lengths) + cfg.suffix_tokens)
    out: dict[str, dict[str, Any]] = {}
    for p in lengths:
        if limit and p + cfg.suffix_tokens + 1 > limit:
            break
        targets = plan_targets(lm, docs, replace(cfg, prefix_tokens=p), seed, encoded)
        if not targets:
            break
        match: list[int] = []
        for i in range(0, len(targets), batch_size):
            match += suffix_statistics(lm, targets[i:i + batch_size], SamplingConfig(top_k=1))[0]
        out[str(p)] = {"targets": len(targets),
                       "greedy_extractable_rate": sum(m == cfg.suffix_tokens for m in match) / len(match)}
    return out
