"""A Hugging Face `Trainer` callback that measures memorization while a model trains.

Every `every_n_steps` it computes, on the live model, the greedy discoverable-extraction rate of a few
training documents (one teacher-forced pass, no generation) and the exposure of planted canaries, and
appends them to the trainer's log history (so they reach its loggers) under `llmscan/...` keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import TrainerCallback

from llmscan.corpus import Document
from llmscan.exposure import Canary, canary_exposure
from llmscan.extraction import ExtractionConfig, plan_targets, suffix_statistics
from llmscan.models import LoadedModel, prepare_tokenizer
from llmscan.sampling import SamplingConfig


class MemorizationCallback(TrainerCallback):
    """Log `llmscan/extractable_rate`, `llmscan/mean_greedy_match` and `llmscan/exposure/<canary>`."""

    def __init__(self, tokenizer: Any, documents: Sequence[str] = (), canaries: Sequence[Canary] = (),
                 every_n_steps: int = 100, extraction: ExtractionConfig | None = None,
                 canary_candidates: int = 200) -> None:
        if every_n_steps < 1:
            raise ValueError("every_n_steps must be >= 1")
        self.tokenizer = prepare_tokenizer(tokenizer)
        self.documents = [Document(f"doc{i}", t) for i, t in enumerate(documents)]
        self.canaries, self.every = list(canaries), every_n_steps
        self.extraction = extraction or ExtractionConfig(tries=0, documents=64)
        self.canary_candidates = canary_candidates
        self.history: list[dict[str, float]] = []
        self._targets: list | None = None  # planned on first use: they depend on the tokenizer only

    def measure(self, model: torch.nn.Module) -> dict[str, float]:
        """The metrics for `model` now (left in the mode it was in)."""
        was_training = model.training
        model.eval()
        lm = LoadedModel(model=model, tokenizer=self.tokenizer, name="training")
        metrics: dict[str, float] = {}
        try:
            if self._targets is None:
                self._targets = plan_targets(lm, self.documents, self.extraction, seed=0) if self.documents else []
            if self._targets:
                match, _ = suffix_statistics(lm, self._targets, SamplingConfig(top_k=1))
                s = self.extraction.suffix_tokens
                metrics["llmscan/extractable_rate"] = sum(m == s for m in match) / len(match)
                metrics["llmscan/mean_greedy_match"] = sum(match) / len(match)
            for c in self.canaries:
                e = canary_exposure(lm, c, max_enumerate=self.canary_candidates, samples=self.canary_candidates)
                metrics[f"llmscan/exposure/{c.name}"] = e.exposure
        finally:
            model.train(was_training)
        return metrics

    def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001 - transformers' signature
        model = kwargs.get("model")
        if model is None or state.global_step % self.every:
            return control
        metrics = self.measure(model)
        entry = {**metrics, "step": state.global_step}
        self.history.append(entry)
        state.log_history.append(entry)
        return control
