"""Log-probabilities of given texts under a model, batched: for the lowercase and reference-model scores."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from llmscan.models import LoadedModel, context_length, start_token_id
from llmscan.records import Sample


@torch.inference_mode()
def text_logprobs(lm: LoadedModel, texts: Sequence[str], contexts: Sequence[str] | None = None,
                  batch_tokens: int = 4096) -> list[list[float]]:
    """Per-token log p of each text given its context (e.g. the prompt), under `lm` with its own tokenizer.

    Only the text's tokens are returned ([] for an empty text); rows are sorted by length, cut to the model's
    context size and batched up to `batch_tokens` tokens (on CPU, larger batches only thrash the cache).
    """
    tok = lm.tokenizer
    start = start_token_id(tok)
    limit = context_length(lm) or 1 << 30

    def encode(s: str) -> list[int]:
        return tok(s, add_special_tokens=False)["input_ids"] if s else []

    rows, keep = [], []
    for text, ctx in zip(texts, contexts or [""] * len(texts)):
        body = encode(text)
        row = [start, *encode(ctx), *body][:limit]
        rows.append(row)
        keep.append(min(len(body), len(row) - 1))
    out: list[list[float]] = [[] for _ in texts]
    order = sorted((i for i in range(len(rows)) if keep[i] > 0), key=lambda i: len(rows[i]))
    for idx in _token_batches(order, [len(r) for r in rows], batch_tokens):
        # Right padding needs no attention mask: under causal attention a real token never sees the pad
        # tokens after it, and without a mask attention takes its causal kernel (half the work, no mask).
        width = len(rows[idx[-1]])
        ids = torch.full((len(idx), width), tok.pad_token_id, dtype=torch.long)
        for k, i in enumerate(idx):
            ids[k, :len(rows[i])] = torch.tensor(rows[i])
        ids = ids.to(lm.device)
        logits = lm.model(input_ids=ids, use_cache=False).logits[:, :-1].float()
        lp = torch.log_softmax(logits, -1).gather(2, ids[:, 1:].unsqueeze(2)).squeeze(2).cpu()
        for k, i in enumerate(idx):
            n = len(rows[i]) - 1
            out[i] = [round(x, 5) for x in lp[k, n - keep[i]:n].tolist()]
    return out


def _token_batches(order: list[int], lengths: list[int], budget: int) -> list[list[int]]:
    """Consecutive runs of `order` (ascending lengths) whose padded size stays within `budget` tokens."""
    batches: list[list[int]] = []
    for i in order:
        if batches and lengths[i] * (len(batches[-1]) + 1) <= budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def add_companion_logprobs(samples: Sequence[Sample], target: LoadedModel, reference: LoadedModel | None,
                           lowercase: bool) -> None:
    """Fill `extra["extra_logprobs"]` with what the lowercase and reference-model scores need.

    "lowercase": the target on the lowercased prompt and text (Carlini et al. 2021);
    "reference": the reference model on the same prompt and text, with its own tokenizer.
    """
    texts, prompts = [s.text for s in samples], [s.prompt for s in samples]
    passes: dict[str, list[list[float]]] = {}
    if lowercase:
        passes["lowercase"] = text_logprobs(target, [t.lower() for t in texts], [p.lower() for p in prompts])
    if reference is not None:
        passes["reference"] = text_logprobs(reference, texts, prompts)
    for name, rows in passes.items():
        for s, lp in zip(samples, rows):
            s.extra.setdefault("extra_logprobs", {})[name] = lp
