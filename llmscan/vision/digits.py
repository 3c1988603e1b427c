"""The embedded vision demo data: scikit-learn's bundled 8x8 digits (nothing downloaded), split into a
private set (the targets' training data), an evaluation set (the independent evaluator) and a public set
(the generative prior)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

SHAPE = (1, 8, 8)
RANGE = (0.0, 16.0)  # the digits' native pixel range
CLASSES = 10


@dataclass(frozen=True)
class DigitSplits:
    """Images in the native range (N, 1, 8, 8) and labels, per split."""

    private: tuple[torch.Tensor, torch.Tensor]
    evaluation: tuple[torch.Tensor, torch.Tensor]
    public: tuple[torch.Tensor, torch.Tensor]


def load_digits_splits(seed: int = 0) -> DigitSplits:
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(data.target, dtype=torch.long)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    x, y = x[order], y[order]
    a, b = len(y) // 2, 3 * len(y) // 4
    return DigitSplits((x[:a], y[:a]), (x[a:b], y[a:b]), (x[b:], y[b:]))


def by_class(x01: torch.Tensor, y: torch.Tensor) -> dict[int, torch.Tensor]:
    return {c: x01[y == c] for c in range(CLASSES)}
