"""Throughput of llmscan's generator vs the Carlini et al. 2021 reference pipeline, in one process.

(a) reference: HF `generate` (top-k 40) in batches, then one forward pass per sample to score it
    (perplexity with labels=input_ids, plus zlib), as ftramer/LM_Memorization's extraction.py does;
(b) llmscan: `generate_batch`, whose per-token log-probs give perplexity, zlib, window perplexity, Min-K%
    and Min-K%++ without a second pass (a scan's default). The lowercase and reference-model ratios need a
    pass of their own in both pipelines (opt-in in llmscan), so they are left out of both here.

Both run on the same ~10M-parameter GPT-2 (random weights: throughput does not depend on them), from the
empty prompt, for the same number of samples and new tokens. Prints samples/s, the ratio, and llmscan's
model FLOP/s as a fraction of this box's fp32 matmul peak measured in the same run.

    python benchmarks/generate.py [--samples 200] [--batch-size 100] [--new-tokens 128] [--repeats 2]
"""

from __future__ import annotations

import argparse
import math
import time
import zlib

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from llmscan.demo.victim import corpus_texts, train_tokenizer
from llmscan.generate import generate_batch
from llmscan.models import LoadedModel, prepare_tokenizer
from llmscan.records import Sample
from llmscan.sampling import SamplingConfig
from llmscan.score import score_samples


def build_model(vocab: int) -> GPT2LMHeadModel:
    cfg = GPT2Config(vocab_size=vocab, n_positions=256, n_embd=384, n_layer=6, n_head=6)
    torch.manual_seed(0)
    return GPT2LMHeadModel(cfg).eval()


def perplexity(model, tok, text: str) -> float:
    """extraction.py's calculatePerplexity: one forward pass of one text."""
    ids = torch.tensor([tok.encode(text)]) if text else torch.tensor([[tok.eos_token_id]])
    with torch.no_grad():
        return math.exp(model(ids, labels=ids).loss.item())


def reference_pipeline(model, tok, n: int, batch: int, new_tokens: int) -> float:
    """extraction.py's loop: generate a batch, then score each sample with its own forward pass."""
    start = time.perf_counter()
    for i in range(0, n, batch):
        rows = min(batch, n - i)
        inputs = tok([tok.eos_token] * rows, return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**inputs, max_length=1 + new_tokens, do_sample=True, top_k=40, top_p=1.0,
                                 pad_token_id=tok.eos_token_id)
        for text in tok.batch_decode(out, skip_special_tokens=True):
            _ = (perplexity(model, tok, text), len(zlib.compress(text.encode())))
    return time.perf_counter() - start


def llmscan_pipeline(lm: LoadedModel, n: int, batch: int, new_tokens: int) -> tuple[float, int]:
    cfg = SamplingConfig(max_new_tokens=new_tokens, top_k=40)
    start = time.perf_counter()
    tokens = 0
    for i in range(0, n, batch):
        rows = min(batch, n - i)
        gens = generate_batch(lm, [""] * rows, list(range(i, i + rows)), cfg)
        samples = [Sample(id=str(j), prompt="", source="empty", text=g.text, token_ids=g.token_ids,
                          token_logprobs=g.token_logprobs, token_mu=g.token_mu, token_sigma=g.token_sigma)
                   for j, g in enumerate(gens)]
        score_samples(samples)
        tokens += sum(len(g.token_ids) for g in gens)
    return time.perf_counter() - start, tokens


def matmul_peak(size: int = 1024, reps: int = 20) -> float:
    """fp32 GEMM FLOP/s of this box, measured now."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * size**3 * reps / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each; the best counts")
    args = ap.parse_args()
    tok = prepare_tokenizer(train_tokenizer(corpus_texts(), vocab_size=768))
    model = build_model(len(tok))
    params = sum(p.numel() for p in model.parameters() if p is not model.transformer.wte.weight)
    lm = LoadedModel(model=model, tokenizer=tok, name="bench-gpt2")
    print(f"model: GPT-2 {params / 1e6:.1f}M parameters, vocab {len(tok)}; torch threads {torch.get_num_threads()}")
    print(f"{args.samples} samples x {args.new_tokens} new tokens, batch {args.batch_size}, top-k 40")
    llmscan_pipeline(lm, min(8, args.samples), 8, 8)  # warm-up
    reference_pipeline(model, tok, min(8, args.samples), 8, 8)
    t_ref, t_new, tokens = math.inf, math.inf, 0
    for _ in range(args.repeats):  # alternate, keep each one's best run: this box is noisy
        t_ref = min(t_ref, reference_pipeline(model, tok, args.samples, args.batch_size, args.new_tokens))
        t, tokens = llmscan_pipeline(lm, args.samples, args.batch_size, args.new_tokens)
        t_new = min(t_new, t)
    peak = matmul_peak()
    flops = 2 * params * tokens / t_new  # forward FLOPs per token ~ 2 x parameters (attention excluded)
    print(f"reference (HF generate + per-sample scoring): {args.samples / t_ref:8.1f} samples/s  ({t_ref:.1f} s)")
    print(f"llmscan (fused scoring):                      {args.samples / t_new:8.1f} samples/s  ({t_new:.1f} s)")
    print(f"speed-up: {t_ref / t_new:.2f}x")
    print(f"llmscan model FLOP/s: {flops / 1e9:.2f} GFLOP/s = {flops / peak:.1%} of the measured matmul peak "
          f"({peak / 1e9:.1f} GFLOP/s)")


if __name__ == "__main__":
    main()
