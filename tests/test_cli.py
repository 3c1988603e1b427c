"""Bad input: exit 2 and one line naming the argument, never a traceback."""

import subprocess
import sys

import pytest


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "llmscan", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.mark.parametrize(("args", "needle"), [
    (["scan", "./no-such-model", "--out", "o"], "no-such-model"),
    (["scan", "MODEL_DIR", "--out", "o", "--top-p", "1.5"], "--top-p"),
    (["scan", "MODEL_DIR", "--out", "o", "--prompts", "nonsense"], "--prompts"),
    (["scan", "MODEL_DIR", "--out", "o", "--training-data", "missing.jsonl"], "missing.jsonl"),
    (["scan", "MODEL_DIR", "--out", "o", "--prompts", "training"], "--training-data"),
    (["scan", "MODEL_DIR", "--out", "o", "--fail-on", "sometimes"], "--fail-on"),
    (["scan", "MODEL_DIR", "--out", "o", "--samples", "many"], "--samples"),
    (["scan", "MODEL_DIR", "--out", "o", "--config", "nope.yaml"], "nope.yaml"),
])
def test_bad_input_is_one_line_exit_2(random_model_dir, tmp_path, args, needle):
    args = [str(random_model_dir) if a == "MODEL_DIR" else a for a in args]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr, proc.stderr


def test_not_a_model_directory(tmp_path):
    proc = run_cli("scan", str(tmp_path), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "config.json" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_config_key(random_model_dir, tmp_path):
    cfg = tmp_path / "scan.yaml"
    cfg.write_text("samples: 4\nsampels: 5\n")
    proc = run_cli("scan", str(random_model_dir), "--out", str(tmp_path / "o"), "--config", str(cfg))
    assert proc.returncode == 2 and "sampels" in proc.stderr
