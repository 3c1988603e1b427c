"""Training-corpus index vs a naive substring scan, on a generated corpus of 100M+ characters.

Builds the on-disk index (exact + normalized suffix arrays), then answers "longest verbatim overlap"
for query samples (half copied from the corpus, half not) and compares with the naive approach a script
would take without an index: test every window of `--window` characters of the sample with Python's
substring search over the whole corpus (the "is any 50-char span verbatim?" check).

    python benchmarks/index.py [--chars 100_000_000] [--queries 200] [--naive-queries 2]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from llmscan.corpus import Document
from llmscan.index import CorpusIndex


def synthetic_corpus(chars: int, seed: int = 0) -> list[Document]:
    """Documents of about 2,000 characters of words drawn from a Zipf-like vocabulary."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, size=rng.integers(2, 10))) for _ in range(20000)]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    docs, total, i = [], 0, 0
    while total < chars:
        words = rng.choice(len(vocab), size=330, p=weights)
        text = " ".join(vocab[w] for w in words).capitalize() + f". Ref {rng.integers(10**9)}."
        docs.append(Document(f"doc{i}", text))
        total += len(text)
        i += 1
    return docs


def queries(docs: list[Document], n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        d = rng.choice(docs).text
        start = rng.randrange(len(d) - 300)
        piece = d[start:start + 300]
        out.append(piece if k % 2 == 0 else " ".join(rng.sample(piece.split(), len(piece.split()))))
    return out


def naive_longest_window_hit(corpus: str, sample: str, window: int) -> bool:
    return any(sample[i:i + window] in corpus for i in range(len(sample) - window + 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=100_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--naive-queries", type=int, default=2, help="non-memorized samples scanned naively")
    ap.add_argument("--window", type=int, default=50)
    args = ap.parse_args()
    t = time.perf_counter()
    docs = synthetic_corpus(args.chars)
    chars = sum(len(d.text) for d in docs)
    print(f"corpus: {len(docs)} documents, {chars / 1e6:.1f}M characters "
          f"(generated in {time.perf_counter() - t:.1f} s)")
    qs = queries(docs, args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        CorpusIndex.build_to_disk(iter(docs), Path(tmp) / "idx")
        build = time.perf_counter() - t
        size = sum(f.stat().st_size for f in (Path(tmp) / "idx").rglob("*") if f.is_file())
        print(f"index build: {build:.1f} s, {size / 1e9:.2f} GB on disk ({chars / build / 1e6:.2f}M chars/s)")
        index = CorpusIndex.load(Path(tmp) / "idx")
        index.overlaps(qs[:2])  # open the memory maps
        t = time.perf_counter()
        res = index.overlaps(qs)
        per_query = (time.perf_counter() - t) / len(qs)
    hits = sum(r.exact.chars >= args.window for r in res)
    print(f"index queries: {1 / per_query:.1f} samples/s ({per_query * 1e3:.1f} ms each: exact longest match "
          f"+ near-verbatim coverage); {hits}/{len(qs)} have a >= {args.window}-char verbatim span")
    corpus = "\x00".join(d.text for d in docs)
    absent = [q for q, r in zip(qs, res) if r.exact.chars < args.window][:args.naive_queries]
    t = time.perf_counter()
    for q in absent:
        assert not naive_longest_window_hit(corpus, q, args.window)
    naive = (time.perf_counter() - t) / max(1, len(absent))
    print(f"naive substring scan: {1 / naive:.3f} samples/s ({naive:.1f} s each, answering only whether a "
          f"{args.window}-char window occurs)")
    print(f"index speed-up per query: {naive / per_query:.0f}x")


if __name__ == "__main__":
    main()
