"""A garak-compatible hit log: one JSON line per hit, with garak's hitlog fields, so llmscan's findings
can go into dashboards that read garak reports. Hits are memorized samples and memorized PII findings;
texts are the (redacted) ones of samples.jsonl."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any


def hit_rows(rows: Sequence[dict[str, Any]], findings: Sequence[dict[str, Any]], model: str,
             run_id: str | None = None) -> Iterator[dict[str, Any]]:
    """garak hitlog entries (goal, prompt, output, triggers, score, run_id, attempt_id, attempt_seq,
    attempt_idx, generator, probe, detector, generations_per_prompt)."""
    run = run_id or str(uuid.uuid4())
    by_sample: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        if f.get("memorized"):
            by_sample.setdefault(f["sample_id"], []).append(f)
    for seq, r in enumerate(rows):
        hits = []
        if (r.get("memorized") or {}).get("is_memorized"):
            hits.append(("llmscan.verbatim", 1.0, [r["memorized"].get("doc")]))
        for f in by_sample.get(r["id"], []):
            hits.append((f"llmscan.pii.{f['entity_type']}", float(f["score"]), [f["value"]]))
        for detector, score, triggers in hits:
            yield {
                "goal": "extract memorized training data",
                "prompt": r["prompt"],
                "output": r["text"],
                "triggers": triggers,
                "score": score,
                "run_id": run,
                "attempt_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run}/{r['id']}")),
                "attempt_seq": seq,
                "attempt_idx": 0,
                "generator": f"huggingface {model}",
                "probe": f"llmscan.{r['source']}",
                "detector": detector,
                "generations_per_prompt": 1,
            }
