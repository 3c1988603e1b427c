"""Training-corpus index: exact and near-verbatim overlap, sharding, on-disk build and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from llmscan.corpus import Document
from llmscan.index import CorpusIndex, normalize

DOCS = [Document("a", "The quick brown fox jumps over the lazy dog near the river bank at dawn."),
        Document("b", "Grace Whitfield lives at 12 Oak Street, Provo, UT, and her phone is 801-555-0142."),
        Document("c", "An entirely different document about tax forms, receipts and annual filing deadlines.")]


def test_normalize():
    assert normalize("  Hello,\tWORLD!! 12-3 ") == "hello world 12 3"


def test_exact_and_near_verbatim():
    idx = CorpusIndex.build(DOCS)
    exact, cased, edited, unrelated = idx.overlaps([
        "Grace Whitfield lives at 12 Oak Street, Provo",
        "GRACE WHITFIELD   lives at 12 oak street provo",
        "The quick brown fox jumped over the lazy dog near the river bank at dawn",
        "Nothing in this sentence was ever seen before by anyone",
    ])
    assert exact.exact.chars == 45 and exact.exact.doc == "b" and exact.near_coverage == 1.0
    assert cased.exact.chars < 20 and cased.near_coverage == 1.0  # case/whitespace/punctuation only
    assert edited.exact.chars < 50 and edited.near_coverage > 0.9  # one small edit: below the exact bar
    assert unrelated.near_coverage < 0.3


def test_sharded_index_answers_like_one_shard(tmp_path: Path):
    texts = ["lives at 12 Oak Street, Provo, UT", "over the lazy dog near", "annual filing deadlines."]
    one = CorpusIndex.build(DOCS)
    many = CorpusIndex.build(DOCS, shard_bytes=40)  # one document per shard
    disk = CorpusIndex.build_to_disk(iter(DOCS), tmp_path / "idx", shard_bytes=100)
    assert json.loads((tmp_path / "idx" / "index.json").read_text())["shards"] == 3
    assert one.overlaps(texts) == many.overlaps(texts) == CorpusIndex.load(tmp_path / "idx").overlaps(texts)
    assert disk.contains("801-555-0142") and not disk.contains("801-555-0143")


def test_cli_index_build_and_scan_with_index(random_model_dir: Path, tmp_path: Path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"text": d.text}) + "\n" for d in DOCS))
    run = [sys.executable, "-m", "llmscan"]
    built = subprocess.run([*run, "index", "build", str(corpus), "--out", str(tmp_path / "idx")],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    again = subprocess.run([*run, "index", "build", str(corpus), "--out", str(tmp_path / "idx")],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1 and "not empty" in again.stderr
    scan = subprocess.run([*run, "scan", str(random_model_dir), "--out", str(tmp_path / "scan"), "--index",
                           str(tmp_path / "idx"), "--samples", "8", "--max-new-tokens", "8", "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert scan.returncode == 0, scan.stderr
    rows = [json.loads(line) for line in (tmp_path / "scan" / "samples.jsonl").read_text().splitlines()]
    assert all(r["memorized"] is not None and "near_coverage" in r["memorized"] for r in rows)
    missing = subprocess.run([*run, "index", "build", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "i2")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("i2*"))  # no half-built index left behind
    bad = subprocess.run([*run, "scan", str(random_model_dir), "--out", str(tmp_path / "s2"), "--index",
                          str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--index" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
