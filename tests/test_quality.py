"""Near-duplicate grouping and the score-quality metrics."""

from __future__ import annotations

import numpy as np

from llmscan.dedup import duplicate_groups
from llmscan.metrics import best_score, score_quality


def test_near_duplicates_group_and_unique_stay_alone():
    base = "Grace Whitfield lives at 12 Oak Street, Provo, UT. Her phone is 801-555-0142 and card 4111."
    texts = [base, base.replace("Oak", "oak"), "Something else entirely, nothing alike at all here.", "",
             base + " ", "Another unrelated sentence about the weather in spring and autumn."]
    groups = duplicate_groups(texts)
    assert groups[0] == groups[1] == groups[4] == 0
    assert groups[2] == 2 and groups[3] == 3 and groups[5] == 5


def test_perfect_and_reversed_scores():
    labels = [True] * 20 + [False] * 180
    good = [float(i) for i in range(200)]  # lower perplexity for the memorized ones
    q = score_quality(labels, {"perplexity": good, "zlib_ratio": good}, bootstrap=50)
    assert q["perplexity"]["roc_auc"] == 1.0 and q["perplexity"]["precision_at_10"] == 1.0
    assert q["perplexity"]["tpr_at_1pct_fpr"] == 1.0
    assert q["zlib_ratio"]["roc_auc"] == 0.0 and q["zlib_ratio"]["precision_at_100"] == 0.0
    assert best_score(q) == "perplexity"


def test_unscorable_rank_last_and_ci_brackets_point():
    rng = np.random.default_rng(0)
    labels = list(rng.random(300) < 0.2)
    values = [(-1.0 if y else 0.0) + float(rng.normal()) for y in labels]
    values[:10] = [None] * 10
    q = score_quality(labels, {"perplexity": values}, bootstrap=100)["perplexity"]
    assert q["unscorable"] == 10
    lo, hi = q["ci"]["roc_auc"]
    assert lo <= q["roc_auc"] <= hi and 0.6 < q["roc_auc"] < 0.9
    assert 0.0 <= q["precision_at_10"] <= 1.0 and q["ci"]["precision_at_10"][0] <= q["precision_at_10"]
