import math
import zlib

import pytest

from llmscan.score import SCORES, TokenStats, compute_scores, memorization_order

LPS = [-0.5, -2.0, -0.1, -4.0, -1.0]


def stats(**kw) -> TokenStats:
    base = dict(text="hello hello hello", logprobs=LPS, mu=[-1.0] * 5, sigma=[0.5, 1.0, 2.0, 1.0, 0.5])
    base.update(kw)
    return TokenStats(**base)


def test_perplexity_by_hand():
    assert compute_scores(stats())["perplexity"] == pytest.approx(math.exp(7.6 / 5), rel=1e-5)


def test_zlib_ratio_by_hand():
    expected = len(zlib.compress(b"hello hello hello")) / (7.6 / 5)
    assert compute_scores(stats())["zlib_ratio"] == pytest.approx(expected, rel=1e-5)


def test_min_k_takes_lowest_fifth():
    assert compute_scores(stats())["min_k"] == pytest.approx(-4.0)  # 20% of 5 tokens = 1 token


def test_min_k_plus_plus_normalises_by_mu_sigma():
    # z = (lp - mu) / sigma = [1.0, -1.0, 0.45, -3.0, 0.0]; the lowest one
    assert compute_scores(stats())["min_k_plus_plus"] == pytest.approx(-3.0)


def test_window_perplexity_picks_best_window():
    s = stats(logprobs=[-5.0] * 10 + [-0.1] * 50 + [-5.0] * 10)
    assert compute_scores(s)["window_perplexity"] == pytest.approx(math.exp(0.1), rel=1e-5)
    short = compute_scores(stats())["window_perplexity"]
    assert short == pytest.approx(compute_scores(stats())["perplexity"], rel=1e-5)


def test_ratio_scores_need_their_inputs():
    s = stats(extra_logprobs={"reference": [-3.0] * 5, "lowercase": [-1.52] * 5})
    out = compute_scores(s)
    assert out["reference_ratio"] == pytest.approx(3.0 / 1.52, rel=1e-5)
    assert out["lowercase_ratio"] == pytest.approx(1.0, rel=1e-5)
    assert compute_scores(stats())["reference_ratio"] is None


def test_empty_sample_is_unscorable_not_dropped():
    out = compute_scores(TokenStats(text="", logprobs=[]))
    assert set(out) == set(SCORES)
    assert all(v is None for v in out.values())


def test_order_puts_memorized_first_and_unscorable_last():
    assert memorization_order("perplexity", [5.0, None, 1.5, 3.0]) == [2, 3, 0, 1]
    assert memorization_order("zlib_ratio", [5.0, None, 1.5, 3.0]) == [0, 3, 2, 1]


def test_scores_of_a_generated_sample_match_a_separate_forward_pass(random_model_dir):
    """On a tiny model: scores from the fused generation statistics equal those computed by hand from an
    independent forward pass over prompt + continuation."""
    import torch

    from llmscan.generate import generate_batch
    from llmscan.models import load_model
    from llmscan.records import Sample
    from llmscan.sampling import SamplingConfig
    from llmscan.score import score_samples

    lm = load_model(str(random_model_dir), device="cpu")
    g = generate_batch(lm, ["Record for"], [3], SamplingConfig(max_new_tokens=20, top_k=0))[0]
    s = Sample.from_generation("a", "Record for", "x", g)
    score_samples([s])
    prompt = [lm.tokenizer.eos_token_id, *lm.tokenizer("Record for", add_special_tokens=False)["input_ids"]]
    with torch.no_grad():
        logp = torch.log_softmax(lm.model(torch.tensor([prompt + g.token_ids])).logits[0].double(), -1)
    rows = logp[len(prompt) - 1:len(prompt) - 1 + len(g.token_ids)]
    lps = [rows[i, t].item() for i, t in enumerate(g.token_ids)]
    p = rows.exp()
    mu = (p * rows).sum(-1)
    sigma = ((p * rows * rows).sum(-1) - mu * mu).sqrt()
    nll = -sum(lps) / len(lps)
    k = max(1, int(len(lps) * 0.2))
    z = sorted(((lp - m) / sd).item() for lp, m, sd in zip(lps, mu, sigma))
    assert abs(s.scores["perplexity"] - math.exp(nll)) < 1e-3 * math.exp(nll)
    assert abs(s.scores["zlib_ratio"] - len(zlib.compress(g.text.encode())) / nll) < 1e-2
    assert abs(s.scores["min_k"] - sum(sorted(lps)[:k]) / k) < 1e-3
    assert abs(s.scores["min_k_plus_plus"] - sum(z[:k]) / k) < 1e-2
