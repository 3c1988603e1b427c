"""Shared fixtures: tiny models built on the spot (nothing is downloaded)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2-core CI boxes: one thread per process is much faster
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _isolated_key(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A redaction key per test session, never the developer's own."""
    os.environ["LLMSCAN_REDACTION_KEY"] = "test-session-key"


@pytest.fixture(scope="session")
def random_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained tiny GPT-2 with the demo tokenizer, saved as a HF directory (safetensors)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from llmscan.demo.victim import corpus_texts, train_tokenizer

    out = tmp_path_factory.mktemp("random-gpt2")
    tok = train_tokenizer(corpus_texts(), vocab_size=300)
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=len(tok), n_positions=128, n_embd=32, n_layer=1, n_head=2,
                     bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id)
    GPT2LMHeadModel(cfg).save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def demo_victim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo victim, trained from the shipped corpus into a fresh cache (about a minute on 2 cores)."""
    from llmscan.demo.victim import ensure_victim

    return ensure_victim(tmp_path_factory.mktemp("cache"), log=lambda *_: None)
