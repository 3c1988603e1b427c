"""A scan killed with SIGKILL resumes with no sample lost or duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ARGS = ["--samples", "240", "--batch-size", "8", "--max-new-tokens", "24", "--prompts", "empty",
        "--prompts", "pii", "--no-progress", "--reveal-secrets", "--seed", "5"]


def _cmd(model: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "llmscan", "scan", str(model), "--out", str(out), *ARGS, *extra]


def _texts(out: Path) -> dict[str, str]:
    rows = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == len({r["id"] for r in rows})
    return {r["id"]: r["text"] for r in rows}


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted_run(random_model_dir: Path, tmp_path: Path):
    whole = tmp_path / "whole"
    subprocess.run(_cmd(random_model_dir, whole, "--batch-size", "32"), check=True, capture_output=True,
                   timeout=600)
    killed = tmp_path / "killed"  # two batches in flight at once
    streams = ("--cpu-streams", "2")
    proc = subprocess.Popen(_cmd(random_model_dir, killed, *streams), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    shard = killed / ".shards" / "rank00000.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and (not shard.exists() or shard.read_bytes().count(b"\n") < 40):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = shard.read_bytes().count(b"\n")
    assert 0 < partial < 240, "the kill must land mid-generation"
    assert not (killed / "samples.jsonl").exists()
    with open(shard, "ab") as fh:  # as if the kill had landed mid-line
        fh.write(b"{\"id\": \"s00001")
    resumed = subprocess.run(_cmd(random_model_dir, killed, *streams), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert _texts(killed) == _texts(whole)  # same ids and texts: batch size, streams and the kill changed nothing


def test_resume_with_other_settings_is_refused(random_model_dir: Path, tmp_path: Path):
    out = tmp_path / "o"
    (out / ".shards").mkdir(parents=True)
    (out / ".shards" / "generation.json").write_text(json.dumps({"samples": 1}))
    proc = subprocess.run(_cmd(random_model_dir, out), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2 and "other settings" in proc.stderr and "Traceback" not in proc.stderr
