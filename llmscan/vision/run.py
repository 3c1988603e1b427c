"""`llmscan invert`: run one attack under each requested defense, evaluate, write the artifacts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from llmscan.errors import ConfigError, InputFileError
from llmscan.vision.attacks import AttackConfig, invert
from llmscan.vision.defenses import defended, parse_defense
from llmscan.vision.metrics import evaluate
from llmscan.vision.outputs import save_grid, save_reconstructions, write_report
from llmscan.vision.targets import Target


def run_attacks(targets: Sequence[Target], shape: tuple[int, ...], classes: Sequence[int],
                value_range: tuple[float, float], runs: Sequence[tuple[str, str]], base: AttackConfig, out: Path,
                evaluator: Target | None = None, private: dict[int, torch.Tensor] | None = None,
                generator: nn.Module | None = None) -> list[dict[str, Any]]:
    """Each (attack, defense) run; the first run's reconstructions are also `reconstructions.npz`."""
    out.mkdir(parents=True, exist_ok=True)
    reports = []
    for i, (attack, defense) in enumerate(runs):
        parse_defense(defense)
        if attack != "blackbox" and defense != "none":
            raise ConfigError("--defense", f"{defense} leaves no gradients: use it with --attack blackbox")
        attacked = [defended(t, defense, seed=base.seed) for t in targets]
        if attack in ("whitebox", "blackbox", "prior"):
            attacked = attacked[:1]
        result = invert(attacked, classes, shape, value_range, replace(base, attack=attack), generator)
        metrics = evaluate(result, evaluator, value_range, private)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{attack}-{defense}".lower()).strip("-")
        save_reconstructions(out / f"reconstructions-{slug}.npz", result, value_range)
        if i == 0:
            save_reconstructions(out / "reconstructions.npz", result, value_range)
        save_grid(out / f"grid-{slug}.png", result, metrics.pop("_nearest"), f"{attack} / {defense}")
        reports.append({"attack": attack, "defense": defense, "targets": [t.name for t in attacked],
                        "grid": f"grid-{slug}.png", **metrics})
    write_report(out, reports)
    return reports


def load_npz(path: str, need_labels: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Images `x` (N, C, H, W) and labels `y` from an .npz file."""
    try:
        data = np.load(path, allow_pickle=False)
        x = torch.tensor(data["x"], dtype=torch.float32)
        y = torch.tensor(data["y"], dtype=torch.long) if "y" in data else None
    except (OSError, ValueError, KeyError) as e:
        raise InputFileError(path, f"needs an .npz with arrays x (N,C,H,W){' and y (N,)' if need_labels else ''}: "
                                   f"{e}") from None
    if need_labels and (y is None or len(y) != len(x)):
        raise InputFileError(path, "needs an array y with one label per image")
    return x, y


def print_table(reports: Sequence[dict[str, Any]]) -> None:
    print(f"{'attack':<9} {'defense':<9} {'accuracy':>8} {'NN RMSE':>8} {'SSIM':>6} {'queries/class':>13} {'s':>6}")
    for r in reports:
        s = r["summary"]

        def f(v: Any, spec: str) -> str:
            return "-" if v is None else format(v, spec)

        print(f"{r['attack']:<9} {r['defense']:<9} {f(s['attack_accuracy'], '8.2f')} {f(s['mean_nn_rmse'], '8.3f')} "
              f"{f(s['mean_ssim'], '6.3f')} {f(s['queries_per_class'], '13d')} {s['seconds']:>6.1f}")
