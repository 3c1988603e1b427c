"""The fast path of pattern-only PII detection: a `regex` prefilter, candidate windows and a window cache.

Without NER every presidio finding is a pattern match, and every pattern entity contains a trigger: a digit,
an '@', a dotted name, a long token, or a match of a custom detector's own regex. So only windows around
triggers need presidio: each window covers the tokens holding a trigger plus MARGIN characters of context.
Texts with no trigger skip presidio entirely; identical windows (memorized text repeats) are analyzed once.
A finding that touches a window edge inside the text is re-checked on the whole text. Without an NLP engine
presidio scores no context words, so a window around a match answers like the whole text (checked against
presidio in the tests and in benchmarks/pii.py). The phone recognizer, most of presidio's time, is further
replaced by CachedPhoneRecognizer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import phonenumbers.phonenumbermatcher as _matcher
import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

BUILTIN_TRIGGERS = r"\d+|@|://|www\.|\w\.\w|[A-Za-z0-9_\-]{16,}"
MARGIN = 48  # characters of context each side of a trigger's tokens

Analyze = Callable[[str], list[RecognizerResult]]


def compile_triggers(extra_patterns: Sequence[str] = ()) -> regex.Pattern:
    """The prefilter: built-in triggers plus custom detectors' regexes (compiled with presidio's flags)."""
    parts = [BUILTIN_TRIGGERS, *(f"(?:{p})" for p in extra_patterns)]
    return regex.compile("|".join(parts), regex.IGNORECASE | regex.DOTALL | regex.MULTILINE)


def candidate_windows(text: str, triggers: regex.Pattern) -> list[tuple[int, int]]:
    """Merged [start, end) windows: the whole tokens around each trigger plus MARGIN characters, snapped to
    whitespace."""
    spans: list[tuple[int, int]] = []
    for m in triggers.finditer(text):
        end = _token_end(text, min(len(text), _token_end(text, m.end()) + MARGIN))
        if spans and m.start() - MARGIN <= spans[-1][1]:  # the window would start inside the previous one
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            continue
        start = _token_start(text, max(0, _token_start(text, m.start()) - MARGIN))
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


_SPACE = regex.compile(r"\s")
_LAST_SPACE = regex.compile(r"\s", regex.REVERSE)


def _token_start(text: str, i: int) -> int:
    """Just after the last whitespace before position i (0 if none)."""
    m = _LAST_SPACE.search(text, 0, i)
    return m.end() if m else 0


def _token_end(text: str, i: int) -> int:
    """The first whitespace at or after position i (len(text) if none)."""
    m = _SPACE.search(text, i)
    return m.start() if m else len(text)


def shifted(results: Sequence[RecognizerResult], offset: int) -> list[RecognizerResult]:
    """Results found in a snippet, moved to the offsets of the text the snippet starts at `offset` in."""
    return [RecognizerResult(r.entity_type, r.start + offset, r.end + offset, r.score, r.analysis_explanation,
                             r.recognition_metadata) for r in results]


class WindowedAnalyzer:
    """Runs `analyze` on candidate windows only, caching results per window text."""

    def __init__(self, analyze: Analyze, triggers: regex.Pattern, cache_size: int = 200_000) -> None:
        self._analyze, self._triggers, self._cache_size = analyze, triggers, cache_size
        self._cache: dict[str, list[RecognizerResult]] = {}
        self.stats = {"texts": 0, "skipped": 0, "windows": 0, "cache_hits": 0, "fallbacks": 0}

    def _window_results(self, snippet: str) -> list[RecognizerResult]:
        hit = self._cache.get(snippet)
        if hit is not None:
            self.stats["cache_hits"] += 1
            return hit
        res = self._analyze(snippet)
        if len(self._cache) < self._cache_size:
            self._cache[snippet] = res
        return res

    def __call__(self, text: str) -> list[RecognizerResult]:
        self.stats["texts"] += 1
        windows = candidate_windows(text, self._triggers)
        if not windows:
            self.stats["skipped"] += 1
            return []
        if windows == [(0, len(text))]:
            return self._window_results(text)
        out: list[RecognizerResult] = []
        for start, end in windows:
            self.stats["windows"] += 1
            found = self._window_results(text[start:end])
            if any((r.start == 0 and start > 0) or (r.end == end - start and end < len(text)) for r in found):
                self.stats["fallbacks"] += 1  # a match cut by the window: ask about the whole text
                return self._analyze(text)
            out += shifted(found, start)
        return out


class CachedPhoneRecognizer(PhoneRecognizer):
    """presidio's PhoneRecognizer run per phone candidate, with results cached per candidate.

    python-phonenumbers finds candidates with one regex and then parses each candidate in every supported
    region; a candidate's verdict depends only on it and the character on each side. Memorized numbers
    recur across samples, so each distinct candidate is parsed once.
    """

    def __init__(self, *args, cache_size: int = 200_000, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._cache: dict[str, list[RecognizerResult]] = {}
        self._cache_size = cache_size

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for m in _matcher._PATTERN.finditer(text):
            start, end = max(0, m.start() - 1), min(len(text), m.end() + 1)
            snippet = text[start:end]
            found = self._cache.get(snippet)
            if found is None:
                found = super().analyze(snippet, entities, None)
                if len(self._cache) < self._cache_size:
                    self._cache[snippet] = found
            results += shifted(found, start)
        return EntityRecognizer.remove_duplicates(results)
