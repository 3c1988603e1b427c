"""Membership scores: a registry of functions over the per-token statistics collected during generation.

A score returns None when it cannot be computed for a sample (too few tokens, a missing reference);
such samples are kept and marked unscorable for that score, never dropped.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class TokenStats:
    """What a score may look at for one sample."""

    text: str
    logprobs: Sequence[float]
    mu: Sequence[float] = ()
    sigma: Sequence[float] = ()
    extra_logprobs: dict[str, Sequence[float]] = field(default_factory=dict)  # e.g. "reference", "lowercase"
    duplicates: int | None = None  # size of the sample's near-duplicate group (dedup stage)


@dataclass(frozen=True)
class ScoreSpec:
    """A registered score: its function and which direction means 'more likely memorized'."""

    name: str
    fn: Callable[[TokenStats], float | None]
    higher_is_memorized: bool
    doc: str


SCORES: dict[str, ScoreSpec] = {}


def register(name: str, higher_is_memorized: bool) -> Callable:
    """Decorator adding a score function to the registry."""

    def wrap(fn: Callable[[TokenStats], float | None]) -> Callable[[TokenStats], float | None]:
        SCORES[name] = ScoreSpec(name, fn, higher_is_memorized, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return wrap


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def log_perplexity(logprobs: Sequence[float]) -> float | None:
    """Mean negative log-likelihood (natural log) of a token sequence."""
    return -_mean(logprobs) if logprobs else None


@register("perplexity", higher_is_memorized=False)
def perplexity(s: TokenStats) -> float | None:
    """exp of the mean negative log-likelihood of the generated tokens (Carlini et al. 2021)."""
    lp = log_perplexity(s.logprobs)
    return None if lp is None else math.exp(min(lp, 700.0))


@register("zlib_ratio", higher_is_memorized=True)
def zlib_ratio(s: TokenStats) -> float | None:
    """zlib-compressed length in bytes / log-perplexity (Carlini et al. 2021; high = suspicious)."""
    lp = log_perplexity(s.logprobs)
    if lp is None or not s.text:
        return None
    return len(zlib.compress(s.text.encode("utf-8"))) / max(lp, 1e-6)


@register("window_perplexity", higher_is_memorized=False)
def window_perplexity(s: TokenStats, window: int = 50) -> float | None:
    """Lowest perplexity of any window of 50 tokens (whole sample when shorter) (Carlini et al. 2021)."""
    lps = list(s.logprobs)
    if not lps:
        return None
    w = min(window, len(lps))
    run = sum(lps[:w])
    best = run
    for i in range(w, len(lps)):
        run += lps[i] - lps[i - w]
        best = max(best, run)
    return math.exp(min(-best / w, 700.0))


def _lowest_fraction_mean(values: Sequence[float], k: float) -> float | None:
    if not values:
        return None
    n = max(1, int(len(values) * k))
    return _mean(sorted(values)[:n])


@register("min_k", higher_is_memorized=True)
def min_k(s: TokenStats, k: float = 0.2) -> float | None:
    """Mean log-prob of the 20% least likely tokens (Min-K% Prob, Shi et al. 2023)."""
    return _lowest_fraction_mean(s.logprobs, k)


@register("min_k_plus_plus", higher_is_memorized=True)
def min_k_plus_plus(s: TokenStats, k: float = 0.2) -> float | None:
    """Min-K% of (log p - mu) / sigma, mu and sigma of log p under the model's distribution (Zhang et al. 2024)."""
    if not s.logprobs or len(s.mu) != len(s.logprobs) or len(s.sigma) != len(s.logprobs):
        return None
    z = [(lp - m) / max(sd, 1e-6) for lp, m, sd in zip(s.logprobs, s.mu, s.sigma)]
    return _lowest_fraction_mean(z, k)


def _ratio_to(s: TokenStats, key: str) -> float | None:
    other = s.extra_logprobs.get(key)
    mine = log_perplexity(s.logprobs)
    theirs = log_perplexity(other) if other else None
    if mine is None or theirs is None or mine <= 1e-6:
        return None
    return theirs / mine


@register("reference_ratio", higher_is_memorized=True)
def reference_ratio(s: TokenStats) -> float | None:
    """log-perplexity under a reference model / under the target (Carlini et al. 2021 'Small/XL')."""
    return _ratio_to(s, "reference")


@register("lowercase_ratio", higher_is_memorized=True)
def lowercase_ratio(s: TokenStats) -> float | None:
    """log-perplexity of the lowercased text / of the text, both under the target (Carlini et al. 2021)."""
    return _ratio_to(s, "lowercase")


@register("duplicates", higher_is_memorized=True)
def duplicates(s: TokenStats) -> float | None:
    """How many samples are near-duplicates of this one, itself included (MinHash, Jaccard >= 0.8)."""
    return None if s.duplicates is None else float(s.duplicates)


def compute_scores(stats: TokenStats, names: Sequence[str] | None = None) -> dict[str, float | None]:
    """Every registered score (or those named) for one sample; None marks unscorable."""
    chosen = names if names is not None else list(SCORES)
    out: dict[str, float | None] = {}
    for name in chosen:
        value = SCORES[name].fn(stats)
        out[name] = None if value is None or not math.isfinite(value) else round(float(value), 6)
    return out


def memorization_order(name: str, values: Sequence[float | None]) -> list[int]:
    """Indices sorted from most to least likely memorized by score `name`; unscorable last."""
    spec = SCORES[name]
    sign = -1.0 if spec.higher_is_memorized else 1.0
    return sorted(range(len(values)), key=lambda i: (values[i] is None, sign * (values[i] or 0.0)))


def score_samples(samples: Sequence, names: Sequence[str] | None = None) -> None:
    """Fill `sample.scores` for every sample from its recorded token statistics."""
    for s in samples:
        stats = TokenStats(text=s.text, logprobs=s.token_logprobs, mu=s.token_mu, sigma=s.token_sigma,
                           extra_logprobs=s.extra.get("extra_logprobs", {}), duplicates=s.extra.get("duplicates"))
        s.scores = compute_scores(stats, names)
