"""PII detection throughput: llmscan's detector vs presidio's AnalyzerEngine called per text.

Both use the same recognizers (presidio's predefined pattern recognizers plus detectors/, no NER: the default
spaCy engine cannot load offline). The baseline calls `AnalyzerEngine.analyze(text)` for each text, the way
presidio is used by default; llmscan runs its prefilter + candidate windows + window cache. Texts are
continuations sampled from the demo victim (from the empty prompt, the PII prompt set and training prefixes),
so they are as PII-dense and as repetitive as a real scan of a model that memorized.

It also measures the floor of any detector that agrees exactly with presidio: python-phonenumbers must parse
every distinct phone candidate (a digit run with its neighbouring characters) in each of presidio's 8 regions,
and the time that takes here bounds the speed-up one process can reach.

    python benchmarks/pii.py [--texts 10000] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import random
import time

import phonenumbers.phonenumbermatcher as phone_matcher
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

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


def phone_floor(texts: list[str]) -> tuple[int, float]:
    """Distinct phone candidates in `texts` and the seconds presidio's PhoneRecognizer takes on them once each."""
    snippets = {t[max(0, m.start() - 1):m.end() + 1] for t in texts for m in phone_matcher._PATTERN.finditer(t)}
    recognizer = PhoneRecognizer()
    start = time.perf_counter()
    for s in snippets:
        recognizer.analyze(s, ["PHONE_NUMBER"], None)
    return len(snippets), time.perf_counter() - start


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
    n_phone, t_phone = phone_floor(texts)
    print(f"floor for exact agreement: {n_phone} distinct phone candidates take python-phonenumbers "
          f"{t_phone:.1f} s, so one process can be at most {t_base / t_phone:.1f}x presidio on these texts")
    print(f"agreement on pattern entities: {agree}/{len(texts)} texts identical in all three "
          f"({entities} entities in the baseline)")


if __name__ == "__main__":
    main()
