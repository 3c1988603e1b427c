"""Machine outputs and release gate: JSON Schema, garak hit log, --fail-on conditions, report, compare,
and the HTML report rendered in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from llmscan.errors import ConfigError
from llmscan.gate import failed_conditions, parse_condition
from llmscan.resources import data_dir  # noqa: F401  (keeps the package data path importable)

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "llmscan" / "schemas" / "summary.schema.json")
                    .read_text())
CORPUS = Path(__file__).resolve().parent.parent / "llmscan" / "demo" / "data" / "corpus.jsonl"
HITLOG_KEYS = {"goal", "prompt", "output", "triggers", "score", "run_id", "attempt_id", "attempt_seq",
               "attempt_idx", "generator", "probe", "detector", "generations_per_prompt"}


def _scan(model: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmscan", "scan", str(model), "--out", str(out), "--samples", "24",
                           "--max-new-tokens", "24", "--training-data", str(CORPUS), "--prompts", "training",
                           "--prompts", "pii", "--extract-documents", "6", "--extract-tries", "1", "--no-progress",
                           *extra], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def scan_dir(random_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scan")
    proc = _scan(random_model_dir, out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_summary_validates_against_the_schema(scan_dir: Path):
    jsonschema.validate(json.loads((scan_dir / "summary.json").read_text()), SCHEMA)


def test_schema_rejects_a_broken_summary(scan_dir: Path):
    summary = json.loads((scan_dir / "summary.json").read_text())
    del summary["memorized_pii"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(summary, SCHEMA)


def test_hitlog_has_garak_fields(demo_scan: Path):
    rows = [json.loads(line) for line in (demo_scan / "hitlog.jsonl").read_text().splitlines()]
    assert rows and all(set(r) == HITLOG_KEYS for r in rows)
    assert {r["detector"] for r in rows} >= {"llmscan.verbatim"}
    assert any(r["detector"].startswith("llmscan.pii.") for r in rows)


@pytest.fixture(scope="module")
def demo_scan(demo_victim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    proc = _scan(demo_victim_dir, out, "--fail-on", "extractable-rate>0.5", "--fail-on", "exposure>5")
    assert proc.returncode == 3, proc.stderr
    assert "release gate failed: extractable-rate>0.5" in proc.stdout
    return out


def test_gate_conditions():
    summary = {"memorized_pii": 2, "memorized_samples": 0, "extraction": {"greedy_extractable_rate": 0.25},
               "canaries": [{"exposure": 12.0}, {"exposure": 3.0}]}
    assert failed_conditions(summary, ["memorized-pii", "memorized-samples"]) == ["memorized-pii"]
    assert failed_conditions(summary, ["extractable-rate>0.2", "extractable-rate>=0.3"]) == ["extractable-rate>0.2"]
    assert failed_conditions(summary, ["exposure>10", "exposure>20"]) == ["exposure>10"]
    assert failed_conditions({}, ["exposure>10"]) == ["exposure>10 (not measured)"]
    assert parse_condition("extractable-rate >= 0.5") == ("extractable-rate", ">=", 0.5)
    with pytest.raises(ConfigError, match="--fail-on"):
        parse_condition("leaks>1")


def test_report_regenerates_and_compare_finds_new_pii(demo_scan: Path, scan_dir: Path, tmp_path: Path):
    (demo_scan / "report.html").unlink()
    run = [sys.executable, "-m", "llmscan"]
    assert subprocess.run([*run, "report", str(demo_scan)], capture_output=True, timeout=300).returncode == 0
    assert "llmscan report" in (demo_scan / "report.html").read_text()
    proc = subprocess.run([*run, "compare", str(scan_dir), str(demo_scan), "--json", str(tmp_path / "d.json"),
                           "--fail-on-new-pii"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr
    diff = json.loads((tmp_path / "d.json").read_text())
    assert diff["new_memorized_pii"] and not diff["no_longer_memorized_pii"]
    assert all(tag.startswith("<") for _, tag in diff["new_memorized_pii"])  # redacted tags, never values
    same = subprocess.run([*run, "compare", str(demo_scan), str(demo_scan), "--fail-on-new-pii"],
                          capture_output=True, text=True, timeout=300)
    assert same.returncode == 0 and "new in B: 0" in same.stdout
    bad = subprocess.run([*run, "compare", str(tmp_path), str(demo_scan)], capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_report_renders_in_headless_chromium(demo_scan: Path, tmp_path: Path):
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium not installed (.ci/run installs it)")
    from llmscan.browser import check_report

    shot = tmp_path / "report.png"
    assert check_report(demo_scan / "report.html", shot) == []
    html = (demo_scan / "report.html").read_text()
    assert html.count("<img") >= 3  # findings, precision@k, score distributions
