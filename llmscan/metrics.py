"""How well each membership score ranked the verified-memorized samples: precision@k, ROC-AUC and TPR at
1% FPR, each with a bootstrap 95% confidence interval. Unscorable samples rank last (never dropped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from llmscan.records import EXTRACTION_SOURCE
from llmscan.score import SCORES

KS = (10, 100)


def _rank_values(name: str, values: Sequence[float | None]) -> np.ndarray:
    """Larger = more likely memorized; unscorable get the lowest value."""
    sign = 1.0 if SCORES[name].higher_is_memorized else -1.0
    scored = np.array([sign * v for v in values if v is not None], dtype=float)
    floor = (scored.min() - 1.0) if scored.size else 0.0
    return np.array([floor if v is None else sign * v for v in values], dtype=float)


def _point(y: np.ndarray, s: np.ndarray) -> dict[str, float]:
    order = np.argsort(-s, kind="stable")
    out = {f"precision_at_{k}": float(y[order[:k]].mean()) for k in KS if len(y) >= k}
    if 0 < y.sum() < len(y):
        out["roc_auc"] = float(roc_auc_score(y, s))
        fpr, tpr, _ = roc_curve(y, s)
        out["tpr_at_1pct_fpr"] = float(np.interp(0.01, fpr, tpr))
    return out


def score_quality(labels: Sequence[bool], scores: dict[str, Sequence[float | None]], bootstrap: int = 200,
                  seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per score: point metrics and `ci` ([low, high] per metric) from `bootstrap` resamples."""
    y = np.asarray(labels, dtype=int)
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(y), len(y)) for _ in range(bootstrap)]
    out: dict[str, dict[str, Any]] = {}
    for name, values in scores.items():
        if all(v is None for v in values):
            continue
        s = _rank_values(name, values)
        point = _point(y, s)
        boot: dict[str, list[float]] = {k: [] for k in point}
        for idx in draws:
            for k, v in _point(y[idx], s[idx]).items():
                if k in boot:
                    boot[k].append(v)
        point["ci"] = {k: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
                       for k, v in boot.items() if v}
        point["unscorable"] = sum(v is None for v in values)
        out[name] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in point.items()}
    return out


def best_score(quality: dict[str, dict[str, Any]]) -> str | None:
    """The score with the highest ROC-AUC (precision@10 breaks ties)."""
    ranked = [(q.get("roc_auc", 0.0), q.get("precision_at_10", 0.0), n) for n, q in quality.items()]
    return max(ranked)[2] if ranked else None


def quality_of_samples(samples: Sequence) -> dict[str, Any] | None:
    """Score quality against the verification labels over generated samples (extraction targets, whose
    prompts are training prefixes, are left out); None without labels or with one class only."""
    labeled = [s for s in samples if s.memorized is not None and s.source != EXTRACTION_SOURCE]
    labels = [bool(s.memorized["is_memorized"]) for s in labeled]
    if not labeled or all(labels) or not any(labels):
        return None
    names = sorted({k for s in labeled for k in s.scores})
    quality = score_quality(labels, {n: [s.scores.get(n) for s in labeled] for n in names})
    return {"labeled_samples": len(labeled), "memorized": sum(labels), "scores": quality,
            "best": best_score(quality)}
