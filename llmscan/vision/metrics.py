"""How recognizable reconstructions are: evaluation-classifier accuracy, nearest private image, SSIM."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from skimage.metrics import structural_similarity

from llmscan.vision.attacks import InversionResult
from llmscan.vision.targets import Target, to_range


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two (C, H, W) images in [0, 1] (channels averaged; window fitted to small images)."""
    win = min(7, *a.shape[-2:])
    win -= 1 - win % 2
    return float(np.mean([structural_similarity(a[c], b[c], data_range=1.0, win_size=win)
                          for c in range(a.shape[0])]))


def evaluate(result: InversionResult, evaluator: Target | None, value_range: tuple[float, float],
             private: dict[int, torch.Tensor] | None = None) -> dict[str, Any]:
    """Per class and overall: accuracy of the evaluator on every restart's reconstruction, and (with the
    private images of the class, in [0, 1]) the RMSE to the nearest one and the SSIM to it."""
    per_class: dict[str, dict[str, Any]] = {}
    correct = total = 0
    nn_dist, ssims = [], []
    nearest: dict[int, torch.Tensor] = {}
    for c, imgs in result.images.items():
        imgs = imgs.detach()
        row: dict[str, Any] = {"restarts": len(imgs), "target_confidence": result.confidence[c],
                               "queries": result.queries.get(c)}
        if evaluator is not None:
            with torch.no_grad():
                pred = evaluator.probs(to_range(imgs, value_range)).argmax(-1)
            row["evaluator_accuracy"] = float((pred == c).float().mean())
            correct += int((pred == c).sum())
            total += len(imgs)
        if private is not None and c in private and len(private[c]):
            d = torch.cdist(imgs.flatten(1), private[c].flatten(1)) / imgs[0].numel() ** 0.5
            best = d.min(1)
            nearest[c] = private[c][best.indices]
            row["nn_rmse"] = [round(float(v), 4) for v in best.values]
            row["ssim"] = [round(_ssim(a.numpy(), b.numpy()), 4) for a, b in zip(imgs, nearest[c])]
            nn_dist += row["nn_rmse"]
            ssims += row["ssim"]
        per_class[str(c)] = row
    summary = {
        "attack_accuracy": correct / total if total else None,
        "mean_nn_rmse": float(np.mean(nn_dist)) if nn_dist else None,
        "mean_ssim": float(np.mean(ssims)) if ssims else None,
        "queries_per_class": int(np.mean(list(result.queries.values()))) if result.queries else None,
        "seconds": result.seconds,
    }
    return {"summary": summary, "per_class": per_class, "_nearest": nearest}
