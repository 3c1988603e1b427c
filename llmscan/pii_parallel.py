"""PII analysis across worker processes: one contiguous shard of texts per worker, each with its own engine.

Worth it for many thousands of texts (each worker first builds an engine, about a second). Each worker
builds its engine inside its task, so no state is kept between calls in any process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from presidio_analyzer import RecognizerResult

from llmscan.pii import build_engine

Row = tuple[str, int, int, float, str]
BuildArgs = tuple[str, str | None, bool]  # build_engine's (ner, detectors, plain)


def _analyze_shard(build_args: BuildArgs, texts: Sequence[str]) -> list[list[Row]]:
    """Build an engine and analyze one shard; plain tuples travel back cheaply."""
    engine = build_engine(*build_args)
    return [[(r.entity_type, r.start, r.end, float(r.score),
              (r.recognition_metadata or {}).get("recognizer_name", "")) for r in res]
            for res in engine.analyze(texts)]


def analyze_parallel(texts: Sequence[str], workers: int,
                     build_args: BuildArgs = ("off", None, False)) -> list[list[RecognizerResult]]:
    """The same results as `build_engine(*build_args).analyze(texts)`, computed by `workers` processes.

    Shards are contiguous, so repeated texts of one prompt mostly land in one worker's caches.
    """
    size = -(-len(texts) // max(1, workers))
    shards = [list(texts[i:i + size]) for i in range(0, len(texts), size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(len(shards), mp_context=multiprocessing.get_context(method)) as pool:
        rows = [res for part in pool.map(_analyze_shard, [build_args] * len(shards), shards) for res in part]
    return [[RecognizerResult(t, s, e, score, recognition_metadata={"recognizer_name": name})
             for t, s, e, score, name in res] for res in rows]
