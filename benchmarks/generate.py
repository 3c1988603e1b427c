"""Throughput of llmscan's generator vs the Carlini et al. 2021 reference pipeline, in one process.

(a) reference, as ftramer/LM_Memorization's extraction.py does it: HF `generate` (top-k 40) in batches, then
    for each sample on its own: perplexity under the target (one forward pass with labels=input_ids),
    perplexity under a smaller reference model (a second pass), perplexity of the lowercased sample under the
    target (a third pass), and zlib;
(b) llmscan: `generate_batch`, whose per-token log-probs give perplexity, zlib, window perplexity, Min-K% and
    Min-K%++ without a second pass, plus one batched teacher-forced pass each for the lowercase and
    reference-model ratios (`--lowercase-score --reference MODEL` in a scan).

A second pair of rows ("generation + perplexity") leaves the reference-model and lowercase passes out of
both pipelines. Both run on the same ~10M-parameter GPT-2 (random weights: throughput does not depend on
them; the reference model is a ~3M one, as extraction.py pairs GPT-2 XL with GPT-2 small), from the empty
prompt, for the same number of samples and new tokens. Prints samples/s, the ratios, and llmscan's model
FLOP/s as a fraction of this box's fp32 matmul peak measured in the same run.

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
from llmscan.teacher_forcing import add_companion_logprobs


def build_model(vocab: int, layers: int = 6, width: int = 384) -> GPT2LMHeadModel:
    cfg = GPT2Config(vocab_size=vocab, n_positions=256, n_embd=width, n_layer=layers, n_head=width // 64)
    torch.manual_seed(0)
    return GPT2LMHeadModel(cfg).eval()


def n_params(model: GPT2LMHeadModel) -> int:
    """Parameters a token's forward pass multiplies by (the tied input embedding is a lookup)."""
    return sum(p.numel() for p in model.parameters() if p is not model.transformer.wte.weight)


def perplexity(model, tok, text: str) -> float:
    """extraction.py's calculate_perplexity: one forward pass of one text."""
    ids = torch.tensor([tok.encode(text)]) if text else torch.tensor([[tok.eos_token_id]])
    with torch.no_grad():
        return math.exp(model(ids, labels=ids).loss.item())


def reference_pipeline(model, small, tok, n: int, batch: int, new_tokens: int, full: bool) -> float:
    """extraction.py's loop: generate a batch, then score each sample with its own forward passes."""
    start = time.perf_counter()
    for i in range(0, n, batch):
        rows = min(batch, n - i)
        inputs = tok([tok.eos_token] * rows, return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**inputs, max_length=1 + new_tokens, do_sample=True, top_k=40, top_p=1.0,
                                 pad_token_id=tok.eos_token_id)
        for text in tok.batch_decode(out, skip_special_tokens=True):
            scores = [perplexity(model, tok, text), len(zlib.compress(text.encode()))]
            if full:
                scores += [perplexity(small, tok, text), perplexity(model, tok, text.lower())]
    return time.perf_counter() - start


def llmscan_pipeline(lm: LoadedModel, ref: LoadedModel, n: int, batch: int, new_tokens: int,
                     full: bool) -> tuple[float, float]:
    """Seconds, and model FLOPs spent (decode tokens plus the teacher-forced passes' tokens)."""
    cfg = SamplingConfig(max_new_tokens=new_tokens, top_k=40)
    start = time.perf_counter()
    flops = 0.0
    for i in range(0, n, batch):
        rows = min(batch, n - i)
        gens = generate_batch(lm, [""] * rows, list(range(i, i + rows)), cfg)
        samples = [Sample.from_generation(str(j), "", "empty", g) for j, g in enumerate(gens)]
        tokens = sum(len(g.token_ids) for g in gens)
        flops += 2 * n_params(lm.model) * tokens
        if full:
            add_companion_logprobs(samples, lm, ref, lowercase=True)
            for s in samples:  # the texts re-tokenized (lowercased ones into more tokens)
                passes = s.extra["extra_logprobs"]
                flops += 2 * (len(passes["lowercase"]) * n_params(lm.model) + len(passes["reference"]) *
                              n_params(ref.model))
        score_samples(samples)
    return time.perf_counter() - start, flops


def matmul_peak(size: int = 1024, reps: int = 20) -> float:
    """fp32 GEMM FLOP/s of this box, measured now."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * size**3 * reps / (time.perf_counter() - start)


def memory_bandwidth(mib: int = 512, reps: int = 5) -> float:
    """Bytes/s this box reads from memory, measured now (a sum over a buffer far larger than the caches)."""
    x = torch.ones(mib * 2**20 // 4)
    x.sum()
    start = time.perf_counter()
    for _ in range(reps):
        x.sum()
    return x.numel() * 4 * reps / (time.perf_counter() - start)


def decode_floor(model: GPT2LMHeadModel, samples: int, new_tokens: int, peak: float, bandwidth: float) -> float:
    """Seconds the decode needs at best on this box: every matmul FLOP at the measured peak, plus reading
    each layer's fp32 key/value cache once per step at the measured bandwidth."""
    c = model.config
    kv_bytes = 2 * c.n_layer * c.n_embd * 4 * samples * sum(range(1, new_tokens + 1))
    return 2 * n_params(model) * samples * new_tokens / peak + kv_bytes / bandwidth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each; the best counts")
    args = ap.parse_args()
    tok = prepare_tokenizer(train_tokenizer(corpus_texts(), vocab_size=768))
    model, small = build_model(len(tok)), build_model(len(tok), layers=4, width=256)
    lm = LoadedModel(model=model, tokenizer=tok, name="bench-gpt2")
    ref = LoadedModel(model=small, tokenizer=tok, name="bench-gpt2-small")
    print(f"target: GPT-2 {n_params(model) / 1e6:.1f}M parameters, reference model {n_params(small) / 1e6:.1f}M, "
          f"vocab {len(tok)}; torch threads {torch.get_num_threads()}")
    print(f"{args.samples} samples x {args.new_tokens} new tokens, batch {args.batch_size}, top-k 40")
    for full in (True, False):  # warm-up
        llmscan_pipeline(lm, ref, min(8, args.samples), 8, 8, full)
        reference_pipeline(model, small, tok, min(8, args.samples), 8, 8, full)
    peak, bandwidth = matmul_peak(), memory_bandwidth()
    for full, label in ((True, "extraction.py's scores (perplexity, reference model, lowercase, zlib)"),
                        (False, "generation + perplexity and zlib only")):
        t_ref, t_new, flops = math.inf, math.inf, 0.0
        for _ in range(args.repeats):  # alternate, keep each one's best run: this box is noisy
            t_ref = min(t_ref, reference_pipeline(model, small, tok, args.samples, args.batch_size,
                                                  args.new_tokens, full))
            t, flops = llmscan_pipeline(lm, ref, args.samples, args.batch_size, args.new_tokens, full)
            t_new = min(t_new, t)
        print(f"\n{label}:")
        print(f"  reference (HF generate + per-sample passes): {args.samples / t_ref:8.1f} samples/s  ({t_ref:.1f} s)")
        print(f"  llmscan (fused + batched passes):            {args.samples / t_new:8.1f} samples/s  ({t_new:.1f} s)")
        print(f"  speed-up: {t_ref / t_new:.2f}x")
        print(f"  llmscan model FLOP/s: {flops / t_new / 1e9:.1f} GFLOP/s = {flops / t_new / peak:.0%} of the "
              f"measured fp32 matmul peak ({peak / 1e9:.1f} GFLOP/s)")
    floor = decode_floor(model, args.samples, args.new_tokens, peak, bandwidth)
    print(f"\nhardware floor of the decode alone (matmuls at peak, KV cache read at {bandwidth / 1e9:.0f} GB/s): "
          f"{args.samples / floor:.1f} samples/s = {t_ref / floor:.2f}x the reference's generation + perplexity row")


if __name__ == "__main__":
    main()
