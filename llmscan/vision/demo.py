"""`llmscan invert demo`: the embedded inversion demo on scikit-learn's bundled digits (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from llmscan.vision.attacks import AttackConfig
from llmscan.vision.digits import CLASSES, RANGE, SHAPE, by_class, load_digits_splits
from llmscan.vision.run import print_table, run_attacks
from llmscan.vision.targets import load_target, module_target, to_unit
from llmscan.vision.train import train_classifier, train_vae

DEMO_RUNS = [("whitebox", "none"), ("ensemble", "none"), ("prior", "none"), ("blackbox", "none"),
             ("blackbox", "round:1"), ("blackbox", "top1"), ("blackbox", "label")]


def run_invert_demo(out: str = "llmscan-invert-demo", seed: int = 0) -> list[dict[str, Any]]:
    """Train 3 targets on the private split (saved as TorchScript and loaded back as a user's would be), an
    evaluator on the evaluation split and a VAE prior on the public split; run every attack x defense."""
    torch.manual_seed(seed)
    out_dir = Path(out)
    (out_dir / "targets").mkdir(parents=True, exist_ok=True)
    splits = load_digits_splits(seed)
    px, py = splits.private
    targets = []
    for i in range(3):
        model = train_classifier(px, py, CLASSES, seed=seed + i)
        path = out_dir / "targets" / f"digits-mlp-{i}.pt"
        torch.jit.trace(model, px[:1]).save(str(path))
        targets.append(load_target(str(path)))
    ex, ey = splits.evaluation
    evaluator = module_target("evaluator", train_classifier(ex, ey, CLASSES, hidden=128, seed=seed + 7))
    generator = train_vae(to_unit(splits.public[0], RANGE), seed=seed)
    private = by_class(to_unit(px, RANGE), py)
    reports = run_attacks(targets, SHAPE, list(range(CLASSES)), RANGE, DEMO_RUNS, AttackConfig(seed=seed),
                          out_dir, evaluator, private, generator)
    print_table(reports)
    print(f"report: {out_dir / 'report.html'}")
    return reports
