"""Inversion artifacts: reconstructions.npz, metrics.json, PNG grids (reconstruction beside the nearest
private image, per class) and a self-contained report.html."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from llmscan.plots import png_tag, pyplot
from llmscan.vision.attacks import InversionResult
from llmscan.vision.targets import to_range


def save_reconstructions(path: Path, result: InversionResult, value_range: tuple[float, float]) -> None:
    """One array per class, keyed by the class index as a string: (restarts, C, H, W) in the target's range,
    best restart first."""
    np.savez_compressed(path, **{str(c): to_range(x.detach(), value_range).numpy() for c, x in result.images.items()})


def save_grid(path: Path, result: InversionResult, nearest: dict[int, torch.Tensor], title: str) -> None:
    """Rows: classes. Columns: best reconstruction, and its nearest private image when known."""
    plt = pyplot()

    classes = sorted(result.images)
    cols = 2 if nearest else 1
    fig, axes = plt.subplots(len(classes), cols, figsize=(1.6 * cols, 1.5 * len(classes)), squeeze=False)
    for r, c in enumerate(classes):
        pics = [result.images[c][0]] + ([nearest[c][0]] if c in nearest else [])
        for k in range(cols):
            ax = axes[r][k]
            ax.axis("off")
            if k < len(pics):
                img = pics[k].detach().numpy()
                ax.imshow(img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0), cmap="gray", vmin=0, vmax=1)
            ax.set_title(("class " + str(c)) if k == 0 else "nearest private", fontsize=7)
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(out: Path, runs: list[dict[str, Any]]) -> None:
    """metrics.json and report.html over every (attack, defense) run; each run names its grid PNG."""
    (out / "metrics.json").write_text(json.dumps(runs, indent=2))
    rows = []
    for r in runs:
        s = r["summary"]
        cells = [r["attack"], r["defense"], s["attack_accuracy"], s["mean_nn_rmse"], s["mean_ssim"],
                 s["queries_per_class"], s["seconds"]]
        rows.append("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in cells) + "</tr>")
    grids = "".join(
        f"<h3>{html.escape(r['attack'])} / {html.escape(r['defense'])}</h3>"
        + png_tag((out / r["grid"]).read_bytes(), "grid") for r in runs if r.get("grid"))
    head = "".join(f"<th>{h}</th>" for h in ("attack", "defense", "evaluator accuracy", "NN RMSE", "SSIM",
                                             "queries/class", "seconds"))
    (out / "report.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>llmscan inversion report</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}</style></head><body><h1>Model inversion</h1>"
        f"<table><tr>{head}</tr>{''.join(rows)}</table>{grids}</body></html>", encoding="utf-8")


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else "-" if v is None else str(v)
