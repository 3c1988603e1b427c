"""Discoverable extraction and the companion (lowercase / reference) log-prob passes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from llmscan.corpus import Document
from llmscan.extraction import ExtractionConfig, extract_batch, plan_targets, suffix_statistics, summarize
from llmscan.generate import generate_ids
from llmscan.kv_cache import preallocated_cache
from llmscan.models import load_model
from llmscan.records import Sample
from llmscan.sampling import SamplingConfig
from llmscan.teacher_forcing import add_companion_logprobs, text_logprobs

DOCS = [Document(f"d{i}", f"Record {i}: the quick brown fox number {i} jumps over the lazy dog near lake {i * 7}.")
        for i in range(6)]


@pytest.fixture(scope="module")
def lm(random_model_dir: Path):
    return load_model(str(random_model_dir), device="cpu")


def test_targets_are_prefix_and_true_suffix(lm):
    cfg = ExtractionConfig(prefix_tokens=6, suffix_tokens=5, tries=2, documents=4)
    targets = plan_targets(lm, DOCS + DOCS, cfg, seed=0)  # duplicates are tested once
    assert len(targets) == 4 and len({t.doc for t in targets}) == 4
    for t in targets:
        doc = next(d for d in DOCS if d.id == t.doc)
        ids = lm.tokenizer(doc.text, add_special_tokens=False)["input_ids"]
        assert list(t.prefix_ids[1:]) == ids[:6] and list(t.suffix_ids) == ids[6:11]


def test_teacher_forced_greedy_equals_generated_greedy(lm):
    targets = plan_targets(lm, DOCS, ExtractionConfig(6, 8, 0, 6), seed=0)
    greedy = generate_ids(lm, [list(t.prefix_ids) for t in targets], [0] * len(targets),
                          SamplingConfig(max_new_tokens=8, top_k=1))
    match, _ = suffix_statistics(lm, targets, SamplingConfig(max_new_tokens=8))
    for t, g, m in zip(targets, greedy, match):
        agree = 0
        while agree < len(t.suffix_ids) and agree < len(g.token_ids) and g.token_ids[agree] == t.suffix_ids[agree]:
            agree += 1
        assert m == agree


def test_extraction_probability_is_the_product_of_sampling_probabilities(lm):
    cfg = SamplingConfig(max_new_tokens=4, top_k=0, temperature=1.0)
    target = plan_targets(lm, DOCS, ExtractionConfig(6, 4, 0, 1), seed=0)[0]
    _, (logp,) = suffix_statistics(lm, [target], cfg)
    ids = torch.tensor([target.prefix_ids + target.suffix_ids])
    with torch.no_grad():
        lp = torch.log_softmax(lm.model(ids).logits[0].float(), -1)
    by_hand = sum(lp[len(target.prefix_ids) - 1 + i, tok].item() for i, tok in enumerate(target.suffix_ids))
    assert math.isclose(logp, by_hand, abs_tol=1e-3)


def test_top_k_outside_support_gives_probability_zero(lm):
    target = plan_targets(lm, DOCS, ExtractionConfig(6, 6, 0, 1), seed=0)[0]
    greedy_len, (logp,) = suffix_statistics(lm, [target], SamplingConfig(top_k=1))
    assert (logp == 0.0) == (greedy_len[0] == 6)  # greedy: extracted with certainty or never
    assert logp == 0.0 or logp == -math.inf


def test_extract_batch_rows_and_summary(lm):
    targets = plan_targets(lm, DOCS, ExtractionConfig(6, 5, 3, 6), seed=0)
    samples = extract_batch(lm, targets, SamplingConfig(top_k=40), tries=3, seed=0)
    rows = [s.extra["extraction"] for s in samples]
    for r in rows:
        assert 0 <= r["sampled_extracted"] <= 3 and 0.0 <= r["p_extract"] <= 1.0
        assert math.isclose(r["p_extract_in_tries"], 1 - (1 - r["p_extract"]) ** 3, rel_tol=1e-6, abs_tol=1e-12)
        assert r["greedy_extracted"] == (r["greedy_match_tokens"] == 5)
    summary = summarize(samples)
    assert summary["targets"] == 6
    assert summary["greedy_extractable_rate"] == sum(r["greedy_extracted"] for r in rows) / 6


def test_preallocated_cache_matches_dynamic_cache(lm):
    from transformers import DynamicCache

    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        a = lm.model(input_ids=ids, cache=preallocated_cache(8), use_cache=True).logits
        b = lm.model(input_ids=ids, cache=DynamicCache(), use_cache=True).logits
    assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("batch_tokens", [8, 64])  # one row per batch; rows of different lengths padded together
def test_text_logprobs_equal_a_plain_forward_pass(lm, batch_tokens):
    texts, contexts = ["the lazy dog", "", "number 5 jumps", "Contact Maria at home"], ["Record", "x", "", ""]
    out = text_logprobs(lm, texts, contexts, batch_tokens=batch_tokens)
    assert out[1] == []
    tok, start = lm.tokenizer, lm.tokenizer.eos_token_id
    for text, ctx, got in zip(texts, contexts, out):
        if not text:
            continue
        ctx_ids = tok(ctx, add_special_tokens=False)["input_ids"] if ctx else []
        body = tok(text, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([[start, *ctx_ids, *body]])
        with torch.no_grad():
            lp = torch.log_softmax(lm.model(ids).logits[0, :-1].float(), -1)
        want = [lp[len(ctx_ids) + i, t].item() for i, t in enumerate(body)]
        assert len(got) == len(body) and all(abs(a - b) < 1e-3 for a, b in zip(got, want))


def test_companions_feed_lowercase_and_reference_ratios(lm):
    from llmscan.score import score_samples

    s = Sample(id="a", prompt="Record", source="x", text=" The Lazy Dog", token_logprobs=[-1.0, -2.0, -0.5],
               token_mu=[-3.0] * 3, token_sigma=[1.0] * 3)
    add_companion_logprobs([s], lm, lm, lowercase=True)
    assert set(s.extra["extra_logprobs"]) == {"lowercase", "reference"}
    score_samples([s])
    assert s.scores["lowercase_ratio"] is not None and s.scores["reference_ratio"] is not None
