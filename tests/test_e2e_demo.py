"""End to end on the trained demo victim: planted PII is found as memorized, nothing else is claimed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmscan.demo.victim import CORPUS, PLANTED

pytestmark = pytest.mark.slow
SCAN_ARGS = ["--training-data", str(CORPUS), "--prompts", "training", "--prompts", "empty", "--prompts", "pii",
             "--samples", "640", "--max-new-tokens", "72", "--batch-size", "64", "--no-progress"]


def _llmscan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmscan", *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, **(env or {})})


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def revealed_scan(demo_victim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    out = tmp_path_factory.mktemp("scan")
    proc = _llmscan("scan", str(demo_victim_dir), "--out", str(out), *SCAN_ARGS, "--reveal-secrets",
                    "--fail-on", "memorized-pii")
    assert "Traceback" not in proc.stderr, proc.stderr
    return out, proc.returncode


def test_planted_pii_repeated_8_times_or_more_is_reported_memorized(revealed_scan):
    out, code = revealed_scan
    memorized = {(f["entity_type"], f["value"]) for f in _jsonl(out / "findings.jsonl") if f["memorized"]}
    for record in json.loads(PLANTED.read_text()):
        if record["repetitions"] >= 8:
            for etype, value in record["values"].items():
                assert (etype, value) in memorized, f"{record['name']} x{record['repetitions']}: {etype} missed"
    assert code == 3  # --fail-on memorized-pii gates the release


def test_nothing_claimed_memorized_that_is_not_verbatim_in_training_data(revealed_scan):
    out, _ = revealed_scan
    docs = [json.loads(line)["text"] for line in CORPUS.read_text().splitlines()]
    samples = {s["id"]: s for s in _jsonl(out / "samples.jsonl")}
    findings = _jsonl(out / "findings.jsonl")
    assert findings
    for f in findings:
        in_corpus = any(f["value"] in d for d in docs)
        assert f["in_training_data"] == in_corpus
        assert f["memorized"] == (in_corpus and f["value"] not in samples[f["sample_id"]]["prompt"])
    claimed = [s for s in samples.values() if s["memorized"]["is_memorized"]]
    assert claimed
    for s in claimed:
        span = s["text"][s["memorized"]["start"]:s["memorized"]["end"]]
        assert len(span) == s["memorized"]["match_chars"] >= 50
        assert any(span in d for d in docs)


def test_summary_and_report_are_consistent(revealed_scan):
    out, _ = revealed_scan
    summary = json.loads((out / "summary.json").read_text())
    findings = _jsonl(out / "findings.jsonl")
    samples = _jsonl(out / "samples.jsonl")
    assert summary["samples"] == 640 + 256 == len(samples)  # planned samples + one per extraction target
    assert summary["per_source"]["extraction"] == 256
    assert summary["memorized_pii"] == sum(f["memorized"] for f in findings) > 0
    assert summary["pii_findings"] == len(findings)
    assert summary["gate"]["failed"] == ["memorized-pii"]
    assert "llmscan report" in (out / "report.html").read_text()
    assert not (out / ".shards").exists()


def test_demo_prints_planted_vs_found_and_leaks_no_secret(demo_victim_dir: Path, tmp_path: Path):
    out = tmp_path / "demo"
    proc = _llmscan("demo", "--out", str(out), env={"LLMSCAN_CACHE": str(demo_victim_dir.parent)})
    assert proc.returncode == 0, proc.stderr
    assert "planted vs found" in proc.stdout and "training the demo victim" not in proc.stdout
    assert "32x 8/8" in proc.stdout or "32x 7/8" in proc.stdout
    secrets = [v for r in json.loads(PLANTED.read_text()) for v in r["values"].values()]
    artifacts = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in artifacts} >= {"samples.jsonl", "findings.jsonl", "summary.json", "report.html"}
    cards = [r["values"]["CREDIT_CARD"] for r in json.loads(PLANTED.read_text())]
    for p in artifacts:
        body = p.read_text(encoding="utf-8")
        assert not [s for s in secrets if s in body], f"raw secret in {p.name}"
        assert not [c for c in cards if c[:-1] in body], f"card cut short by the generation end in {p.name}"
    assert not [s for s in secrets if s in proc.stdout + proc.stderr]


def test_discoverable_extraction_on_the_demo_victim(revealed_scan):
    """Training prefixes of 32 tokens: the victim reproduces the true 32-token suffixes it was trained on."""
    out, _ = revealed_scan
    full = json.loads((out / "summary.json").read_text())
    summary = full["extraction"]
    # the teacher-forced rate at the same prefix length agrees with the generated greedy continuations
    assert full["extraction_by_prefix"]["32"]["greedy_extractable_rate"] == summary["greedy_extractable_rate"]
    assert set(full["extraction_by_prefix"]) >= {"4", "8", "16"}
    rows = [r for r in _jsonl(out / "samples.jsonl") if r["source"] == "extraction"]
    assert summary["targets"] == len(rows) == 256 and summary["prefix_tokens"] == summary["suffix_tokens"] == 32
    assert summary["greedy_extractable_rate"] >= 0.9  # 40 epochs over 426 documents: measured 1.0
    corpus = CORPUS.read_text()
    for r in rows:
        ext = r["extraction"]
        if ext["greedy_extracted"]:
            assert r["text"] in corpus and r["memorized"]["is_memorized"]
        assert 0.0 <= ext["p_extract_in_tries"] <= 1.0
