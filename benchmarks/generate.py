"""Throughput of llmscan's generator vs the Carlini et al. 2021 reference pipeline, in one process.

(a) reference, as ftramer/LM_Memorization's extraction.py does it: HF `generate` (top-k 40, 256 new tokens
    from the empty prompt) in batches, then for each sample on its own: perplexity under the target (one
    forward pass with labels=input_ids), perplexity under a smaller reference model (a second pass),
    perplexity of the lowercased sample under the target (a third pass), and zlib. It runs at extraction.py's
    own batch size (10), at llmscan's batch size (100) and at llmscan's rows in flight (batch x streams), so
    neither side is tuned and the other not;
(b) llmscan: the target loaded through `load_model` as a scan loads it, `generate_batch` with a scan's
    default of two batches in flight on a CPU of 2+ threads (`llmscan.streams`), whose per-token
    log-probs give perplexity, zlib, window perplexity, Min-K% and Min-K%++ without a second pass, plus one
    batched teacher-forced pass each for the lowercase and reference-model ratios (`--lowercase-score
    --reference MODEL` in a scan).

Each stage is timed on its own (best of --repeats alternating runs: this box is noisy) and the rows add them
up: "generation + perplexity and zlib" (what fused scoring replaces) and "all of extraction.py's scores".
Both run the same ~10M-parameter GPT-2 (random weights: throughput does not depend on them; the reference
model is a ~3M one, as extraction.py pairs GPT-2 XL with GPT-2 small) for the same number of samples and new
tokens. Prints samples/s, the ratios, llmscan's model FLOP/s as a fraction of this box's fp32 matmul peak
measured in the same run, and the hardware floor of the decode.

    python benchmarks/generate.py [--samples 200] [--new-tokens 256] [--batch-size 100] [--repeats 2]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging as hf_logging

from llmscan.demo.victim import corpus_texts, train_tokenizer
from llmscan.generate import generate_batch
from llmscan.models import LoadedModel, load_model, prepare_tokenizer
from llmscan.records import Sample
from llmscan.sampling import SamplingConfig
from llmscan.score import score_samples
from llmscan.streams import auto_streams, concurrent_batches
from llmscan.teacher_forcing import add_companion_logprobs

EXTRACTION_PY_BATCH = 10  # extraction.py's --batch-size default
REF_PASSES = ("ref: perplexity + zlib", "ref: reference-model pass", "ref: lowercase pass")  # per-sample stages


def build_model(tok, layers: int = 6, width: int = 384) -> GPT2LMHeadModel:
    """Both pipelines stop a row at the tokenizer's end-of-text token."""
    cfg = GPT2Config(vocab_size=len(tok), n_positions=1024, n_embd=width, n_layer=layers, n_head=width // 64,
                     bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id)
    torch.manual_seed(0)
    return GPT2LMHeadModel(cfg).eval()


def n_params(model: GPT2LMHeadModel) -> int:
    """Parameters a token's forward pass multiplies by: all but the position table (a lookup); the token
    embedding counts once, as the output layer it is tied to."""
    return sum(p.numel() for p in model.parameters() if p is not model.transformer.wpe.weight)


def best_of(repeats: int, stages: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Each stage's fastest time over `repeats` rounds; stages alternate within a round."""
    best = dict.fromkeys(stages, math.inf)
    for _ in range(repeats):
        for name, run in stages.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


# (a) the reference pipeline, stage by stage as extraction.py runs it

def reference_generate(model, tok, n: int, batch: int, new_tokens: int) -> list[str]:
    texts = []
    for i in range(0, n, batch):
        inputs = tok([tok.eos_token] * min(batch, n - i), return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**inputs, max_length=1 + new_tokens, do_sample=True, top_k=40, top_p=1.0,
                                 pad_token_id=tok.eos_token_id)
        texts += tok.batch_decode(out, skip_special_tokens=True)
    return texts


def perplexity(model, tok, text: str) -> float:
    """extraction.py's calculate_perplexity: one forward pass of one text."""
    ids = torch.tensor([tok.encode(text)]) if text else torch.tensor([[tok.eos_token_id]])
    with torch.no_grad():
        return math.exp(model(ids, labels=ids).loss.item())


def reference_stages(model, small, tok, texts: list[str]) -> dict[str, Callable[[], object]]:
    return {
        REF_PASSES[0]: lambda: [(perplexity(model, tok, t), len(zlib.compress(t.encode()))) for t in texts],
        REF_PASSES[1]: lambda: [perplexity(small, tok, t) for t in texts],
        REF_PASSES[2]: lambda: [perplexity(model, tok, t.lower()) for t in texts],
    }


# (b) llmscan

def llmscan_generate(lm: LoadedModel, n: int, batch: int, new_tokens: int, streams: int) -> list[Sample]:
    """As a scan's runner does it: `streams` batches in flight on CPU, fused scores at the end."""
    cfg = SamplingConfig(max_new_tokens=new_tokens, top_k=40)
    starts = range(0, n, batch)

    def one(i: int) -> list[Sample]:
        rows = min(batch, n - i)
        gens = generate_batch(lm, [""] * rows, list(range(i, i + rows)), cfg)
        return [Sample.from_generation(str(i + j), "", "empty", g) for j, g in enumerate(gens)]

    with concurrent_batches(streams) as ordered_map:
        samples = [s for part in ordered_map(one, starts) for s in part]
    score_samples(samples)
    return samples


def llmscan_companions(samples: list[Sample], lm: LoadedModel, ref: LoadedModel, batch: int, streams: int) -> None:
    """The lowercase and reference-model passes, per batch as a scan annotates them."""
    parts = [samples[i:i + batch] for i in range(0, len(samples), batch)]
    with concurrent_batches(streams) as ordered_map:
        list(ordered_map(lambda part: add_companion_logprobs(part, lm, ref, lowercase=True), parts))


def companion_flops(samples: list[Sample], lm: LoadedModel, ref: LoadedModel) -> tuple[float, float]:
    """Model FLOPs of the lowercase and reference passes the samples went through (the texts re-tokenized:
    lowercase ones into more tokens)."""
    lower = sum(len(s.extra["extra_logprobs"]["lowercase"]) for s in samples)
    other = sum(len(s.extra["extra_logprobs"]["reference"]) for s in samples)
    return 2 * lower * n_params(lm.model), 2 * other * n_params(ref.model)


# the box

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


def save(model: GPT2LMHeadModel, tok, out: Path) -> str:
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    return str(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--new-tokens", type=int, default=256, help="extraction.py's seq_len default")
    ap.add_argument("--batch-size", type=int, default=100, help="llmscan's, and the reference's second run")
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each stage; the best counts")
    args = ap.parse_args()
    hf_logging.disable_progress_bar()
    n, nt = args.samples, args.new_tokens
    tok = prepare_tokenizer(train_tokenizer(corpus_texts(), vocab_size=768))
    model, small = build_model(tok), build_model(tok, layers=4, width=256)
    with tempfile.TemporaryDirectory() as tmp:
        lm = load_model(save(model, tok, Path(tmp, "target")), device="cpu")
        ref = load_model(save(small, tok, Path(tmp, "reference")), device="cpu")
    print(f"target: GPT-2 {n_params(model) / 1e6:.1f}M parameters, reference model {n_params(small) / 1e6:.1f}M, "
          f"vocab {len(tok)}; torch threads {torch.get_num_threads()}")
    streams = auto_streams(0, lm.model)
    print(f"{n} samples x {nt} new tokens from the empty prompt, top-k 40; llmscan batch {args.batch_size}, "
          f"{streams} in flight at once (a scan's default here)")
    reference_generate(model, tok, 8, 8, 8)  # warm-up
    llmscan_generate(lm, 8, 8, 8, streams)
    peak, bandwidth = matmul_peak(), memory_bandwidth()

    ref_batches = sorted({EXTRACTION_PY_BATCH, args.batch_size, args.batch_size * streams})
    texts = reference_generate(model, tok, n, args.batch_size, nt)
    samples = llmscan_generate(lm, n, args.batch_size, nt, streams)
    stages = {f"ref: HF generate, batch {b}": (lambda b=b: reference_generate(model, tok, n, b, nt))
              for b in ref_batches}
    stages |= reference_stages(model, small, tok, texts)
    stages["llmscan: generate + fused scores"] = lambda: llmscan_generate(lm, n, args.batch_size, nt, streams)
    stages["llmscan: lowercase + reference passes"] = lambda: llmscan_companions(samples, lm, ref, args.batch_size,
                                                                                 streams)
    t = best_of(args.repeats, stages)
    print(f"\nstages (best of {args.repeats}):")
    for name, secs in t.items():
        print(f"  {name:42s} {secs:7.1f} s")

    gen_flops = 2 * n_params(lm.model) * sum(len(s.token_logprobs) for s in samples)
    lower_flops, ref_flops = companion_flops(samples, lm, ref)
    rows = (("generation + perplexity and zlib", REF_PASSES[:1], [], gen_flops),
            ("all of extraction.py's scores (perplexity, reference model, lowercase, zlib)",
             REF_PASSES,
             ["llmscan: lowercase + reference passes"],
             gen_flops + lower_flops + ref_flops))
    for label, ref_parts, our_parts, flops in rows:
        ours = t["llmscan: generate + fused scores"] + sum(t[p] for p in our_parts)
        print(f"\n{label}:")
        for b in ref_batches:
            theirs = t[f"ref: HF generate, batch {b}"] + sum(t[p] for p in ref_parts)
            theirs_label = f"reference, batch {b} (HF generate + per-sample passes):"
            print(f"  {theirs_label:67s}{n / theirs:6.1f} samples/s  -> llmscan {theirs / ours:.2f}x")
        mine = f"llmscan, batch {args.batch_size} x {streams} in flight (fused + batched passes):"
        print(f"  {mine:67s}{n / ours:6.1f} samples/s")
        print(f"  llmscan model FLOP/s: {flops / ours / 1e9:.1f} GFLOP/s = {flops / ours / peak:.0%} of the "
              f"measured fp32 matmul peak ({peak / 1e9:.1f} GFLOP/s)")
    floor = decode_floor(model, n, nt, peak, bandwidth)
    print(f"\nhardware floor of the decode alone (matmuls at peak, KV cache read at {bandwidth / 1e9:.0f} GB/s): "
          f"{n / floor:.1f} samples/s; llmscan's generation + fused scores runs at "
          f"{floor / t['llmscan: generate + fused scores']:.0%} of it")


if __name__ == "__main__":
    main()
