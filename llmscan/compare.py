"""`llmscan report DIR` and `llmscan compare DIR_A DIR_B`: work on finished scan directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llmscan.errors import InputFileError
from llmscan.records import iter_jsonl


def load_scan(directory: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """summary.json, samples.jsonl and findings.jsonl of a scan directory."""
    d = Path(directory)
    try:
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        samples = list(iter_jsonl(d / "samples.jsonl"))
        findings = list(iter_jsonl(d / "findings.jsonl"))
    except (OSError, ValueError) as e:
        raise InputFileError(d, f"not a finished llmscan scan directory ({e})") from None
    return summary, samples, findings


def regenerate_report(directory: str | Path) -> Path:
    """Rewrite report.html from the directory's machine-readable outputs (already redacted as written)."""
    from llmscan.report_html import render_report

    summary, samples, findings = load_scan(directory)
    path = Path(directory) / "report.html"
    path.write_text(render_report(summary, samples, findings), encoding="utf-8")
    return path


def _memorized_pii(findings: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f["entity_type"], f["value"]) for f in findings if f.get("memorized")}


def compare(dir_a: str | Path, dir_b: str | Path) -> dict[str, Any]:
    """What changed from checkpoint A to checkpoint B: memorized PII (by redaction tag, matched across runs by
    its keyed hash), headline counts, extraction rates and score medians."""
    sa, rows_a, fa = load_scan(dir_a)
    sb, rows_b, fb = load_scan(dir_b)
    pa, pb = _memorized_pii(fa), _memorized_pii(fb)
    keys = ("samples", "memorized_samples", "near_verbatim_samples", "pii_findings", "memorized_pii",
            "unique_memorized_pii")
    counts = {k: {"a": sa.get(k), "b": sb.get(k)} for k in keys}
    ext = {k: {"a": (sa.get("extraction") or {}).get(k), "b": (sb.get("extraction") or {}).get(k)}
           for k in ("greedy_extractable_rate", "sampled_extracted_rate", "mean_p_extract")}
    return {
        "a": str(dir_a), "b": str(dir_b), "model_a": sa.get("model"), "model_b": sb.get("model"),
        "counts": counts, "extraction": ext,
        "new_memorized_pii": sorted(pb - pa), "no_longer_memorized_pii": sorted(pa - pb),
        "still_memorized_pii": len(pa & pb),
        "score_medians": {n: {"a": _median(rows_a, n), "b": _median(rows_b, n)}
                          for n in sorted({k for r in rows_a + rows_b for k in r.get("scores", {})})},
    }


def _median(rows: list[dict[str, Any]], name: str) -> float | None:
    values = sorted(v for r in rows if (v := r.get("scores", {}).get(name)) is not None)
    return values[len(values) // 2] if values else None


def print_comparison(diff: dict[str, Any]) -> None:
    print(f"A: {diff['a']} ({diff['model_a']})\nB: {diff['b']} ({diff['model_b']})")
    for k, v in {**diff["counts"], **diff["extraction"]}.items():
        print(f"  {k:<26} {str(v['a']):>10} -> {str(v['b']):<10}")
    print(f"memorized PII new in B: {len(diff['new_memorized_pii'])}, gone in B: "
          f"{len(diff['no_longer_memorized_pii'])}, in both: {diff['still_memorized_pii']}")
    for etype, tag in diff["new_memorized_pii"]:
        print(f"  + {etype:<16} {tag}")
