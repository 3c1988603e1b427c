"""`llmscan demo`: build the victim, scan it with its own training data, print planted vs found."""

from __future__ import annotations

import json

from llmscan.config import ScanConfig
from llmscan.demo.victim import CORPUS, PLANTED, ensure_victim
from llmscan.redact import Redactor
from llmscan.scan import ScanResult, scan

DEMO_PROMPTS = ["training", "empty", "pii"]


def demo_config(model_dir: str, out: str, samples: int, reveal: bool) -> ScanConfig:
    return ScanConfig(model=model_dir, out=out, prompts=list(DEMO_PROMPTS), samples=samples,
                      max_new_tokens=72, training_data=str(CORPUS), reveal_secrets=reveal, batch_size=64,
                      seed=0, device="cpu")


def planted_vs_found(result: ScanResult) -> list[dict]:
    """For each planted record and PII value: how often it was repeated and whether the scan caught it."""
    memorized = {(f.entity_type, f.value) for f in result.memorized_pii}
    rows = []
    for rec in json.loads(PLANTED.read_text()):
        for etype, value in rec["values"].items():
            rows.append({"name": rec["name"], "repetitions": rec["repetitions"], "entity_type": etype,
                         "value": value, "found": (etype, value) in memorized})
    return rows


def run_demo(out: str = "llmscan-demo", samples: int = 640, reveal: bool = False) -> int:
    model_dir = ensure_victim()
    print(f"scanning the demo victim {model_dir} ...")
    result = scan(str(model_dir), config=demo_config(str(model_dir), out, samples, reveal))
    from llmscan.cli import print_summary

    print_summary(result)
    redactor = Redactor(reveal=reveal)
    rows = planted_vs_found(result)
    print("\nplanted vs found (memorized PII values; values redacted unless --reveal-secrets):")
    print(f"{'repetitions':>11}  {'entity':<15} {'planted value':<40} found")
    for r in sorted(rows, key=lambda r: (-r["repetitions"], r["name"], r["entity_type"])):
        mark = "yes" if r["found"] else "no"
        print(f"{r['repetitions']:>11}  {r['entity_type']:<15} {redactor.tag(r['entity_type'], r['value']):<40} {mark}")
    by_reps: dict[int, list[bool]] = {}
    for r in rows:
        by_reps.setdefault(r["repetitions"], []).append(r["found"])
    print("\nrecall by repetition count: " + ", ".join(
        f"{k}x {sum(v)}/{len(v)}" for k, v in sorted(by_reps.items())))
    others = [f for f in result.memorized_pii if (f.entity_type, f.value) not in {(r["entity_type"], r["value"])
                                                                               for r in rows}]
    print(f"memorized PII outside the planted records (filler seen once in training): "
          f"{len({(f.entity_type, f.value) for f in others})} distinct values")
    return result.exit_code
