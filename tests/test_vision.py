"""Classifier inversion on scikit-learn's digits: attacks, defenses, ensemble, targets, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch

from llmscan.errors import ConfigError
from llmscan.vision.attacks import AttackConfig, invert
from llmscan.vision.defenses import defended, parse_defense
from llmscan.vision.digits import CLASSES, RANGE, SHAPE, by_class, load_digits_splits
from llmscan.vision.metrics import evaluate
from llmscan.vision.targets import Target, module_target, to_probabilities
from llmscan.vision.train import train_classifier

ALL = list(range(CLASSES))


@pytest.fixture(scope="module")
def world():
    s = load_digits_splits(0)
    px, py = s.private
    targets = [module_target(f"t{i}", train_classifier(px, py, CLASSES, seed=i)) for i in range(3)]
    ex, ey = s.evaluation
    evaluator = module_target("eval", train_classifier(ex, ey, CLASSES, hidden=128, seed=7))
    return {"targets": targets, "evaluator": evaluator, "private": by_class(px / 16, py), "splits": s}


def _run(world, targets, cfg):
    result = invert(targets, ALL, SHAPE, RANGE, cfg)
    return result, evaluate(result, world["evaluator"], RANGE, world["private"])["summary"]


def test_whitebox_reconstructions_are_recognized(world):
    result, s = _run(world, world["targets"][:1], AttackConfig())
    assert s["attack_accuracy"] >= 0.9  # measured 1.0 over 40 reconstructions
    assert set(result.images) == set(ALL) and result.images[3].shape == (4, *SHAPE)


def test_blackbox_within_budget_and_rounding_lowers_success(world):
    budget = 100_000
    t = world["targets"][0]
    _, plain = _run(world, [defended(t, "none")], AttackConfig(attack="blackbox", queries=budget))
    rounded_target = defended(t, "round:1")
    result, rounded = _run(world, [rounded_target], AttackConfig(attack="blackbox", queries=budget))
    assert plain["attack_accuracy"] >= 0.7  # measured 0.85 within 100k queries per class
    assert plain["queries_per_class"] <= budget and rounded_target.queries == sum(result.queries.values())
    assert rounded["attack_accuracy"] <= plain["attack_accuracy"] - 0.15  # measured 0.53
    _, label = _run(world, [defended(t, "label")], AttackConfig(attack="blackbox", queries=budget))
    assert label["attack_accuracy"] <= plain["attack_accuracy"] - 0.3  # measured 0.23


def test_ensemble_of_three_is_closer_to_private_images(world):
    _, one = _run(world, world["targets"][:1], AttackConfig())
    _, three = _run(world, world["targets"], AttackConfig(attack="ensemble"))
    assert three["mean_nn_rmse"] < one["mean_nn_rmse"]  # measured 0.300 vs 0.312
    assert three["attack_accuracy"] >= 0.9


def test_defenses_transform_probabilities():
    probs = torch.tensor([[0.14, 0.51, 0.35]])
    base = Target("t", lambda x: probs.repeat(len(x), 1), outputs="probs")
    x = torch.zeros(1, 3)
    assert torch.allclose(defended(base, "round:1").probs(x), torch.tensor([[0.1, 0.5, 0.4]]))
    assert torch.equal(defended(base, "top1").probs(x), torch.tensor([[0.0, 0.51, 0.0]]))
    assert torch.equal(defended(base, "label").probs(x), torch.tensor([[0.0, 1.0, 0.0]]))
    assert base.queries == 3
    with pytest.raises(ConfigError):
        parse_defense("round")
    with pytest.raises(ConfigError):
        invert([defended(base, "top1")], [0], (3,), cfg=AttackConfig(attack="whitebox"))


def test_logits_and_probabilities_are_told_apart():
    logits = torch.tensor([[2.0, -1.0, 0.5]])
    assert torch.allclose(to_probabilities(logits).sum(), torch.tensor(1.0))
    probs = torch.tensor([[0.2, 0.3, 0.5]])
    assert torch.equal(to_probabilities(probs), probs)
    assert not torch.equal(to_probabilities(probs, "logits"), probs)


class _Endpoint(BaseHTTPRequestHandler):
    model: torch.nn.Module

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with torch.no_grad():
            p = torch.softmax(self.model(torch.tensor(body["inputs"])), -1)
        data = json.dumps({"probabilities": p.tolist()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.slow
def test_cli_torchscript_and_http_targets(world, tmp_path: Path):
    model = world["targets"][0].module
    script = tmp_path / "target.pt"
    torch.jit.trace(model, torch.zeros(1, *SHAPE)).save(str(script))
    px, py = world["splits"].private
    ex, ey = world["splits"].evaluation
    np.savez(tmp_path / "private.npz", x=px.numpy(), y=py.numpy())
    np.savez(tmp_path / "eval.npz", x=ex.numpy(), y=ey.numpy())
    handler = type("H", (_Endpoint,), {"model": model})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    common = ["--input-shape", "1,8,8", "--num-classes", "10", "--range", "0,16", "--classes", "0,3",
              "--private-data", str(tmp_path / "private.npz"), "--eval-data", str(tmp_path / "eval.npz")]
    try:
        for name, target, extra in [("ts", str(script), ["--attack", "whitebox"]),
                                    ("http", f"http://127.0.0.1:{server.server_port}/",
                                     ["--attack", "blackbox", "--queries", "2000", "--defense", "none",
                                      "--defense", "round:1"])]:
            out = tmp_path / name
            proc = subprocess.run([sys.executable, "-m", "llmscan", "invert", target, *common, *extra, "--out",
                                   str(out)], capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stderr[-2000:]
            recon = np.load(out / "reconstructions.npz")
            assert sorted(recon.files) == ["0", "3"] and recon["3"].shape[1:] == SHAPE
            assert recon["0"].min() >= 0.0 and recon["0"].max() <= 16.0
            metrics = json.loads((out / "metrics.json").read_text())
            assert metrics[0]["summary"]["attack_accuracy"] is not None and (out / metrics[0]["grid"]).exists()
            assert "<img" in (out / "report.html").read_text()
        assert json.loads((tmp_path / "http" / "metrics.json").read_text())[1]["defense"] == "round:1"
    finally:
        server.shutdown()
    bad = subprocess.run([sys.executable, "-m", "llmscan", "invert", str(script), "--input-shape", "1,8",
                          "--num-classes", "10"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "--input-shape" in bad.stderr


@pytest.mark.slow
def test_cli_factory_target_with_safetensors_weights(world, tmp_path: Path):
    from safetensors.torch import save_file

    (tmp_path / "mytarget.py").write_text(
        "from torch import nn\n\n\ndef build():\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))\n")
    save_file({k: v.contiguous() for k, v in world["targets"][0].module.state_dict().items()},
              str(tmp_path / "w.safetensors"))
    ex, ey = world["splits"].evaluation
    np.savez(tmp_path / "eval.npz", x=ex.numpy(), y=ey.numpy())
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "llmscan", "invert", "mytarget:build", "--weights",
                           str(tmp_path / "w.safetensors"), "--input-shape", "1,8,8", "--num-classes", "10",
                           "--range", "0,16", "--eval-data", str(tmp_path / "eval.npz"), "--out",
                           str(tmp_path / "o")], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics[0]["summary"]["attack_accuracy"] >= 0.9  # the same weights as the white-box test's target
