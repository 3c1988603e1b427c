"""Write a scan's artifacts: samples.jsonl, findings.jsonl, summary.json and report.html, redacted by default."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import regex

from llmscan.hitlog import hit_rows
from llmscan.records import Finding, Sample, finding_dict, write_jsonl
from llmscan.redact import Redactor

Spans = dict[str, list[tuple[int, int, str]]]  # prompt text -> PII spans found in it


class KnownSecrets:
    """Every PII value found anywhere in the scan, to mask it also where a detector missed it in context."""

    MIN_PARTIAL = 4  # characters of a value cut at a text's edge that are still masked

    def __init__(self, findings: Sequence[Finding]) -> None:
        self._types = {f.value: f.entity_type for f in findings if f.value.strip()}
        values = sorted(self._types, key=len, reverse=True)
        self._pattern = regex.compile("|".join(map(regex.escape, values))) if values else None
        # A generation cut mid-secret ("Card 5243 8575 8532 489") leaks most of it: remember every prefix
        # and suffix of every value, to mask the part of a known value that a text starts or ends with.
        self._heads = {v[:k]: t for v, t in self._types.items() for k in range(self.MIN_PARTIAL, len(v))}
        self._tails = {v[-k:]: t for v, t in self._types.items() for k in range(self.MIN_PARTIAL, len(v))}
        self._longest = max(map(len, values), default=0)

    def spans(self, text: str, detected: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """`detected`, every other occurrence of a known value, and a known value cut at either edge."""
        if not self._pattern or not text:
            return sorted(set(detected))
        found = {(m.start(), m.end(), self._types[m.group()]) for m in self._pattern.finditer(text)}
        for k in range(min(self._longest, len(text)), self.MIN_PARTIAL - 1, -1):
            if text[-k:] in self._heads:
                found.add((len(text) - k, len(text), self._heads[text[-k:]]))
                break
        for k in range(min(self._longest, len(text)), self.MIN_PARTIAL - 1, -1):
            if text[:k] in self._tails:
                found.add((0, k, self._tails[text[:k]]))
                break
        return sorted(set(detected) | found)


def sample_row(s: Sample, redactor: Redactor, prompt_spans: Spans, known: KnownSecrets) -> dict[str, Any]:
    """A sample as written to samples.jsonl (no token ids: they would spell out the secrets)."""
    spans = [(f.start, f.end, f.entity_type) for f in s.pii]
    mask = not redactor.reveal
    return {
        "id": s.id,
        "source": s.source,
        "prompt": redactor.text(s.prompt, known.spans(s.prompt, prompt_spans.get(s.prompt, [])) if mask else []),
        "text": redactor.text(s.text, known.spans(s.text, spans) if mask else []),
        "num_tokens": len(s.token_logprobs),
        "scores": s.scores,
        "memorized": s.memorized,
        "pii": [f.entity_type for f in s.pii],
        "token_logprobs": s.token_logprobs,
        "duplicate_of": s.extra.get("duplicate_of"),
        **{k: s.extra[k] for k in ("extraction", "divergence") if k in s.extra},
    }


def finding_row(f: Finding, redactor: Redactor) -> dict[str, Any]:
    d = finding_dict(f)
    d["value"] = redactor.tag(f.entity_type, f.value)
    return d


def build_summary(samples: Sequence[Sample], has_training_data: bool, meta: dict[str, Any]) -> dict[str, Any]:
    """Counts for the release decision and the report header."""
    findings = [f for s in samples for f in s.pii]
    per_type: dict[str, dict[str, int]] = {}
    for f in findings:
        row = per_type.setdefault(f.entity_type, {"findings": 0, "memorized": 0})
        row["findings"] += 1
        row["memorized"] += int(f.memorized)
    unscorable = Counter(k for s in samples for k, v in s.scores.items() if v is None)
    memorized = [s for s in samples if s.memorized and s.memorized.get("is_memorized")]
    return {
        "samples": len(samples),
        "memorized_samples": len(memorized) if has_training_data else None,
        "near_verbatim_samples": sum(bool(s.memorized and s.memorized.get("near_verbatim")) for s in samples)
        if has_training_data else None,
        "pii_findings": len(findings),
        "memorized_pii": sum(f.memorized for f in findings),
        "unique_memorized_pii": len({(f.entity_type, f.value) for f in findings if f.memorized}),
        "per_entity_type": dict(sorted(per_type.items())),
        "per_source": dict(Counter(s.source for s in samples)),
        "unscorable": dict(unscorable),
        **meta,
    }


def write_outputs(
    out: Path,
    samples: Sequence[Sample],
    summary: dict[str, Any],
    redactor: Redactor,
    prompt_spans: Spans,
) -> None:
    """Write all artifacts atomically into `out`."""
    from llmscan.report_html import render_report

    out.mkdir(parents=True, exist_ok=True)
    known = KnownSecrets([f for s in samples for f in s.pii])
    rows = [sample_row(s, redactor, prompt_spans, known) for s in samples]
    findings = [finding_row(f, redactor) for s in samples for f in s.pii]
    write_jsonl(out / "samples.jsonl", rows)
    write_jsonl(out / "findings.jsonl", findings)
    _write_text(out / "summary.json", json.dumps(summary, indent=2, sort_keys=False))
    write_jsonl(out / "hitlog.jsonl", hit_rows(rows, findings, str(summary.get("model", ""))))
    _write_text(out / "report.html", render_report(summary, rows, findings))


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
