"""Train (once, cached) the demo victim: a byte-level BPE tokenizer and a tiny GPT-2 on the demo corpus."""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus.jsonl"
PLANTED = DATA / "planted.json"
EOS = "<|endoftext|>"


@dataclass(frozen=True)
class VictimRecipe:
    """Everything that decides the trained weights; part of the cache key."""

    vocab_size: int = 768
    n_layer: int = 2
    n_embd: int = 128
    n_head: int = 4
    n_positions: int = 192
    epochs: int = 40
    batch_size: int = 16
    lr: float = 3e-3
    seed: int = 0


def default_cache_dir() -> Path:
    base = Path(os.environ.get("LLMSCAN_CACHE", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                               / "llmscan"))
    return base


def corpus_texts() -> list[str]:
    with open(CORPUS, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def train_tokenizer(texts: list[str], vocab_size: int):
    """Byte-level BPE with every digit its own token (so numbers are memorized digit by digit)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOS, eos_token=EOS, pad_token=EOS)


def _batches(encoded: list[list[int]], batch_size: int, pad: int, rng: random.Random):
    order = list(range(len(encoded)))
    rng.shuffle(order)
    for i in range(0, len(order), batch_size):
        rows = [encoded[j] for j in order[i:i + batch_size]]
        width = max(map(len, rows))
        ids = torch.full((len(rows), width), pad)
        labels = torch.full((len(rows), width), -100)
        for k, r in enumerate(rows):
            ids[k, :len(r)] = torch.tensor(r)
            labels[k, :len(r)] = torch.tensor(r)
        yield ids, labels, (labels != -100).long()


def train_victim(out_dir: Path, recipe: VictimRecipe = VictimRecipe(), log=print) -> Path:
    """Train tokenizer and model on the demo corpus and save them (safetensors) in `out_dir`."""
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    texts = corpus_texts()
    tokenizer = train_tokenizer(texts, recipe.vocab_size)
    eos = tokenizer.eos_token_id
    encoded = [[eos, *tokenizer(t)["input_ids"], eos][: recipe.n_positions] for t in texts]
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=recipe.n_positions, n_embd=recipe.n_embd,
                        n_layer=recipe.n_layer, n_head=recipe.n_head, bos_token_id=eos, eos_token_id=eos,
                        pad_token_id=eos, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(config)
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.0)
    total = recipe.epochs * math.ceil(len(encoded) / recipe.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.lr, total_steps=total, pct_start=0.05)
    model.train()
    for epoch in range(recipe.epochs):
        losses = []
        for ids, labels, mask in _batches(encoded, recipe.batch_size, eos, rng):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        if epoch % 15 == 0 or epoch == recipe.epochs - 1:
            log(f"  epoch {epoch + 1}/{recipe.epochs}  loss {sum(losses) / len(losses):.3f}")
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    (out_dir / "llmscan-recipe.json").write_text(json.dumps(asdict(recipe)))
    return out_dir


def recipe_key(recipe: VictimRecipe) -> str:
    h = hashlib.sha256(CORPUS.read_bytes())
    h.update(json.dumps(asdict(recipe), sort_keys=True).encode())
    h.update(torch.__version__.encode())
    return h.hexdigest()[:12]


def ensure_victim(cache_dir: Path | None = None, recipe: VictimRecipe = VictimRecipe(), log=print) -> Path:
    """The cached victim directory, training it first if this recipe has not been built yet."""
    target = (cache_dir or default_cache_dir()) / f"demo-victim-{recipe_key(recipe)}"
    if (target / "model.safetensors").exists():
        return target
    log(f"training the demo victim (tiny GPT-2, once; cached in {target}) ...")
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    train_victim(tmp, recipe, log)
    os.replace(tmp, target) if not target.exists() else None
    return target
