"""PII analysis across worker processes: chunks of texts, each worker with its own engine and caches.

Worth it for many thousands of texts (each worker first builds an engine, about a second).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from presidio_analyzer import RecognizerResult

from llmscan.pii import PiiEngine, build_engine

Row = tuple[str, int, int, float, str]
_WORKER_ENGINES: dict[int, PiiEngine] = {}  # the engine of each worker process, keyed by its pid


def _start_worker(ner: str, detectors: str | None, plain: bool) -> None:
    _WORKER_ENGINES[os.getpid()] = build_engine(ner, detectors, plain)


def _analyze_chunk(texts: Sequence[str]) -> list[list[Row]]:
    engine = _WORKER_ENGINES[os.getpid()]
    return [[(r.entity_type, r.start, r.end, float(r.score),
              (r.recognition_metadata or {}).get("recognizer_name", "")) for r in res]
            for res in engine.analyze(texts)]


def analyze_parallel(texts: Sequence[str], workers: int,
                     build_args: tuple[str, str | None, bool] = ("off", None, False),
                     chunk: int = 500) -> list[list[RecognizerResult]]:
    """The same results as `build_engine(*build_args).analyze(texts)`, computed by `workers` processes."""
    chunks = [list(texts[i:i + chunk]) for i in range(0, len(texts), chunk)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                             initializer=_start_worker, initargs=build_args) as pool:
        rows = [res for part in pool.map(_analyze_chunk, chunks) for res in part]
    return [[RecognizerResult(t, s, e, score, recognition_metadata={"recognizer_name": name})
             for t, s, e, score, name in res] for res in rows]
