"""PII detection throughput: llmscan's detector vs presidio's AnalyzerEngine called per text.

Both use the same recognizers (presidio's predefined pattern recognizers plus detectors/, no NER: the default
spaCy engine cannot load offline). The baseline calls `AnalyzerEngine.analyze(text)` for each text, the way
presidio is used by default; llmscan runs its prefilter + candidate windows + window cache. Texts are
continuations sampled from the demo victim (from the empty prompt, the PII prompt set and training prefixes),
so they are as PII-dense and as repetitive as a real scan of a model that memorized.

    python benchmarks/pii.py [--texts 10000] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import random
import time

from llmscan.demo.victim import corpus_texts, ensure_victim
from llmscan.generate import generate_batch
from llmscan.models import load_model
from llmscan.pii import build_engine, drop_card_lookalikes
from llmscan.pii_parallel import analyze_parallel
from llmscan.prompts import load_prompt_set
from llmscan.resources import data_dir
from llmscan.sampling import SamplingConfig


def generated_texts(n: int, seed: int = 0) -> list[str]:
    lm = load_model(str(ensure_victim(log=lambda *_: None)), "cpu")
    rng = random.Random(seed)
    pii = load_prompt_set(data_dir("prompts") / "pii.yaml")
    docs = corpus_texts()
    prompts = [rng.choice(["", rng.choice(pii), " ".join(rng.choice(docs).split()[:4])]) for _ in range(n)]
    out: list[str] = []
    for i in range(0, n, 256):
        batch = prompts[i:i + 256]
        out += [g.text for g in generate_batch(lm, batch, list(range(i, i + len(batch))),
                                               SamplingConfig(max_new_tokens=48))]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    t = time.perf_counter()
    texts = generated_texts(args.texts)
    print(f"{len(texts)} generated texts ({sum(map(len, texts)) / len(texts):.0f} chars on average) "
          f"in {time.perf_counter() - t:.0f} s")
    engine = build_engine(ner="off")
    presidio = build_engine(ner="off", plain=True).analyzer  # same recognizers, presidio's own phone recognizer
    t = time.perf_counter()
    baseline = [drop_card_lookalikes(x, presidio.analyze(x, language="en")) for x in texts]
    t_base = time.perf_counter() - t
    t = time.perf_counter()
    fast = engine.analyze(texts)
    t_fast = time.perf_counter() - t

    def key(results):
        return sorted((r.entity_type, r.start, r.end, round(r.score, 6)) for r in results)

    t = time.perf_counter()
    parallel = analyze_parallel(texts, args.workers)
    t_par = time.perf_counter() - t
    agree = sum(key(a) == key(b) == key(c) for a, b, c in zip(baseline, fast, parallel))
    entities = sum(len(b) for b in baseline)
    print(f"presidio AnalyzerEngine per text: {len(texts) / t_base:8.0f} texts/s ({t_base:.1f} s)")
    print(f"llmscan detector:                 {len(texts) / t_fast:8.0f} texts/s ({t_fast:.1f} s)  {engine.fast.stats}")
    print(f"llmscan detector, {args.workers} processes:    {len(texts) / t_par:8.0f} texts/s ({t_par:.1f} s, "
          f"engine start-up included)")
    print(f"speed-up: {t_base / t_fast:.1f}x in one process, {t_base / t_par:.1f}x with {args.workers} processes")
    print(f"agreement on pattern entities: {agree}/{len(texts)} texts identical in all three "
          f"({entities} entities in the baseline)")


if __name__ == "__main__":
    main()
