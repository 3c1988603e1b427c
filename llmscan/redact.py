"""Redaction of secrets in every artifact: type, length and a short keyed hash replace the value.

The hash is an HMAC under a key kept outside the scan directory (LLMSCAN_REDACTION_KEY, else a key file
created once under ~/.cache/llmscan), so the same secret gets the same tag across runs without being
recoverable from the report.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from presidio_analyzer import RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig


def default_key_file() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "llmscan" / "redaction.key"


def load_redaction_key() -> bytes:
    """LLMSCAN_REDACTION_KEY if set, else a random key persisted (mode 600) on first use."""
    env = os.environ.get("LLMSCAN_REDACTION_KEY")
    if env:
        return env.encode()
    path = default_key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return path.read_bytes()


class Redactor:
    """Masks PII values and spans, or passes them through when `reveal` is set."""

    def __init__(self, reveal: bool = False, key: bytes | None = None) -> None:
        self.reveal = reveal
        self._key = key if key is not None else (b"" if reveal else load_redaction_key())
        self._engine = AnonymizerEngine()

    def tag(self, entity_type: str, value: str) -> str:
        """`<TYPE len=N #hash>` for a value (the value itself when revealing)."""
        if self.reveal:
            return value
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:10]
        return f"<{entity_type} len={len(value)} #{digest}>"

    def text(self, text: str, spans: Sequence[tuple[int, int, str]]) -> str:
        """`text` with each (start, end, entity_type) span replaced by its tag (presidio-anonymizer)."""
        if self.reveal or not spans:
            return text
        results = [RecognizerResult(entity_type=t, start=s, end=e, score=1.0) for s, e, t in spans]
        operators = {t: OperatorConfig("custom", {"lambda": self._masker(t)}) for _, _, t in spans}
        return self._engine.anonymize(text=text, analyzer_results=results, operators=operators).text

    def _masker(self, entity_type: str):
        return lambda value: self.tag(entity_type, value)
