"""Canary exposure (Carlini et al. 2019, "The Secret Sharer").

exposure = log2 |R| - log2 rank(secret), where R is the space of candidates of the secret's format and the
rank orders candidates by the model's negative log-likelihood of prefix + candidate. Small spaces are
enumerated; large ones are sampled and the NLL distribution of random candidates is fitted with a
skew-normal, giving exposure ~ -log2 CDF(NLL(secret)) (the paper's extrapolation).

Format patterns: '#' a digit, '@' a lowercase letter, '^' an uppercase letter, '*' a letter or digit; any
other character is literal. By default the pattern is derived from the secret itself.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from llmscan.errors import InputFileError
from llmscan.models import LoadedModel
from llmscan.teacher_forcing import text_logprobs

CLASSES = {"#": string.digits, "@": string.ascii_lowercase, "^": string.ascii_uppercase,
           "*": string.ascii_letters + string.digits}


@dataclass(frozen=True)
class Canary:
    """A planted secret: the text before it, the secret, and the format its random rivals share."""

    name: str
    prefix: str
    secret: str
    pattern: str


@dataclass(frozen=True)
class Exposure:
    """Exposure of one canary (bits), how it was obtained, and the figures behind it."""

    name: str
    exposure: float
    method: str  # "enumerated" or "skew-normal" (sampled candidates)
    space_bits: float  # log2 |R|
    rank: float  # rank of the secret (1 = most likely); estimated for sampled spaces
    candidates: int  # candidates scored
    secret_nll: float
    sampled_exposure: float | None  # rank among the sampled candidates only (capped by their number)


def pattern_of(secret: str) -> str:
    """The format of a secret: digits -> '#', lowercase -> '@', uppercase -> '^', the rest literal."""
    return "".join("#" if c.isdigit() else "@" if c.islower() else "^" if c.isupper() else c for c in secret)


def space_size(pattern: str) -> int:
    return math.prod(len(CLASSES[c]) for c in pattern if c in CLASSES)


def _matches(pattern: str, value: str) -> bool:
    return len(pattern) == len(value) and all(
        (p in CLASSES and v in CLASSES[p]) or (p not in CLASSES and p == v) for p, v in zip(pattern, value))


def random_candidate(pattern: str, rng: random.Random) -> str:
    return "".join(rng.choice(CLASSES[c]) if c in CLASSES else c for c in pattern)


def all_candidates(pattern: str) -> list[str]:
    slots = [CLASSES.get(c, c) for c in pattern]
    return ["".join(p) for p in itertools.product(*slots)]


def load_canaries(path: str | Path) -> list[Canary]:
    """Canaries from YAML/JSON (a list, or {canaries: [...]}) or JSONL, each {prefix, secret[, pattern, name]}."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
        items: Any = [json.loads(line) for line in raw.splitlines() if line.strip()] if p.suffix == ".jsonl" \
            else yaml.safe_load(raw)
    except OSError as e:
        raise InputFileError(p, f"cannot read canaries: {e.strerror}") from None
    except (ValueError, yaml.YAMLError) as e:
        raise InputFileError(p, f"not valid {p.suffix.lstrip('.') or 'YAML'}: {str(e).splitlines()[0]}") from None
    if isinstance(items, dict):
        items = items.get("canaries")
    if not isinstance(items, list) or not items:
        raise InputFileError(p, "expected a non-empty list of canaries with 'prefix' and 'secret'")
    out = []
    for i, it in enumerate(items):
        if not isinstance(it, dict) or not isinstance(it.get("secret"), str) or not it["secret"]:
            raise InputFileError(p, f"canary {i + 1} needs a non-empty 'secret' string")
        pattern = it.get("pattern") or pattern_of(it["secret"])
        if not _matches(pattern, it["secret"]):
            raise InputFileError(p, f"canary {i + 1}: secret does not fit its pattern {pattern!r}")
        if space_size(pattern) < 2:
            raise InputFileError(p, f"canary {i + 1}: pattern {pattern!r} has no random part")
        out.append(Canary(str(it.get("name", f"canary{i + 1}")), str(it.get("prefix", "")), it["secret"], pattern))
    return out


def _nll(lm: LoadedModel, prefix: str, candidates: Sequence[str]) -> list[float]:
    return [-sum(lp) for lp in text_logprobs(lm, candidates, [prefix] * len(candidates))]


def canary_exposure(lm: LoadedModel, canary: Canary, max_enumerate: int = 10_000, samples: int = 1_000,
                    seed: int = 0) -> Exposure:
    """Exposure of one canary: exact rank when |R| <= max_enumerate, else skew-normal extrapolation."""
    size = space_size(canary.pattern)
    bits = math.log2(size)
    secret_nll = _nll(lm, canary.prefix, [canary.secret])[0]
    if size <= max_enumerate:
        others = [c for c in all_candidates(canary.pattern) if c != canary.secret]
        nll = _nll(lm, canary.prefix, others)
        rank = 1 + sum(v < secret_nll for v in nll)
        return Exposure(canary.name, round(bits - math.log2(rank), 4), "enumerated", round(bits, 4), rank,
                        len(others) + 1, round(secret_nll, 4), None)
    from scipy.stats import skewnorm

    rng = random.Random(seed)
    others = [c for c in (random_candidate(canary.pattern, rng) for _ in range(samples)) if c != canary.secret]
    nll = _nll(lm, canary.prefix, others)
    a, loc, scale = skewnorm.fit(nll)
    log_cdf = float(skewnorm.logcdf(secret_nll, a, loc, scale)) / math.log(2)
    exposure = min(bits, max(0.0, -log_cdf))
    below = sum(v < secret_nll for v in nll)
    return Exposure(canary.name, round(exposure, 4), "skew-normal", round(bits, 4),
                    round(2 ** (bits - exposure), 2), len(others) + 1, round(secret_nll, 4),
                    round(math.log2((len(others) + 1) / (below + 1)), 4))


def exposures(lm: LoadedModel, canaries: Sequence[Canary], **kw: Any) -> list[Exposure]:
    """Exposure of each canary (see canary_exposure for the options)."""
    return [canary_exposure(lm, c, **kw) for c in canaries]


def exposure_rows(results: Sequence[Exposure]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
