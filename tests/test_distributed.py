"""Sharding with torchrun: 2 CPU processes (gloo) give the same samples as one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ARGS = ["--samples", "48", "--max-new-tokens", "16", "--prompts", "empty", "--prompts", "pii",
        "--no-progress", "--reveal-secrets", "--device", "cpu"]


def _rows(out: Path) -> list[tuple[str, str]]:
    return [(r["id"], r["text"]) for r in map(json.loads, (out / "samples.jsonl").read_text().splitlines())]


@pytest.mark.slow
def test_torchrun_two_processes_match_one(random_model_dir: Path, tmp_path: Path):
    one, two = tmp_path / "one", tmp_path / "two"
    subprocess.run([sys.executable, "-m", "llmscan", "scan", str(random_model_dir), "--out", str(one), *ARGS,
                    "--batch-size", "16"], check=True, capture_output=True, timeout=600)
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           "-m", "llmscan", "scan", str(random_model_dir), "--out", str(two), *ARGS,
                           "--batch-size", "5"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _rows(two) == _rows(one)
    assert json.loads((two / "summary.json").read_text())["samples"] == 48


@pytest.mark.slow
def test_accelerate_launch_matches_torchrun(random_model_dir: Path, tmp_path: Path):
    runs = {
        "torchrun": [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"],
        "accelerate": [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2",
                       "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"],
    }
    for name, launcher in runs.items():
        proc = subprocess.run([*launcher, "-m", "llmscan", "scan", str(random_model_dir), "--out",
                               str(tmp_path / name), *ARGS, "--batch-size", "7"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
    assert _rows(tmp_path / "accelerate") == _rows(tmp_path / "torchrun")
