"""The Trainer callback logs extraction and exposure metrics every N steps of a real (tiny) training run."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmscan.demo.victim import corpus_texts
from llmscan.exposure import Canary
from llmscan.extraction import ExtractionConfig
from llmscan.integrations import MemorizationCallback


@pytest.mark.slow
def test_callback_logs_every_n_steps(random_model_dir: Path, tmp_path: Path):
    from datasets import Dataset
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForLanguageModeling,
        Trainer,
        TrainingArguments,
    )

    tok = AutoTokenizer.from_pretrained(random_model_dir)
    model = AutoModelForCausalLM.from_pretrained(random_model_dir)
    docs = corpus_texts()[:16]
    data = Dataset.from_dict({"text": docs}).map(lambda b: tok(b["text"], truncation=True, max_length=96),
                                                 batched=True, remove_columns=["text"])
    cb = MemorizationCallback(tok, documents=docs, every_n_steps=2,
                              extraction=ExtractionConfig(prefix_tokens=16, suffix_tokens=16, tries=0, documents=8),
                              canaries=[Canary("card", docs[0][:30], "4242", "####")], canary_candidates=100)
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=4, per_device_train_batch_size=4, report_to=[],
                             use_cpu=True, save_strategy="no", logging_steps=1, learning_rate=1e-3)
    tok.pad_token = tok.eos_token
    Trainer(model=model, args=args, train_dataset=data, callbacks=[cb],
            data_collator=DataCollatorForLanguageModeling(tok, mlm=False)).train()
    assert [h["step"] for h in cb.history] == [2, 4]
    for h in cb.history:
        assert 0.0 <= h["llmscan/extractable_rate"] <= 1.0 and 0.0 <= h["llmscan/mean_greedy_match"] <= 16
        assert 0.0 <= h["llmscan/exposure/card"] <= 6.7  # log2 of 100 candidates
    assert model.training  # left as the trainer had it
