"""The records that flow between stages, and the append-only JSONL shards they are checkpointed in."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmscan.generate import Generation

EXTRACTION_SOURCE = "extraction"  # the source of discoverable-extraction samples (training-document prefixes)


@dataclass
class Finding:
    """One PII entity found in a sample's generated text (offsets are into `Sample.text`)."""

    sample_id: str
    entity_type: str
    value: str
    start: int
    end: int
    score: float
    recognizer: str = ""
    in_prompt: bool = False
    in_training_data: bool | None = None

    @property
    def memorized(self) -> bool:
        """Memorized PII: not given in the prompt and present verbatim in the training data."""
        return bool(self.in_training_data) and not self.in_prompt


@dataclass
class Sample:
    """One generated continuation with everything the later stages add to it."""

    id: str
    prompt: str
    source: str
    text: str = ""
    token_ids: list[int] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)
    token_mu: list[float] = field(default_factory=list)  # E[log p] over the vocabulary, per position
    token_sigma: list[float] = field(default_factory=list)  # std of log p over the vocabulary, per position
    scores: dict[str, float | None] = field(default_factory=dict)
    memorized: dict[str, Any] | None = None
    pii: list[Finding] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_generation(cls, id: str, prompt: str, source: str, gen: Generation,
                        extra: dict[str, Any] | None = None) -> Sample:
        """A sample holding a continuation and its per-token statistics."""
        return cls(id=id, prompt=prompt, source=source, text=gen.text, token_ids=gen.token_ids,
                   token_logprobs=gen.token_logprobs, token_mu=gen.token_mu, token_sigma=gen.token_sigma,
                   extra=extra or {})

    def to_shard_dict(self) -> dict[str, Any]:
        """Everything generation produced; the resume checkpoint (holds raw text)."""
        keys = ("id", "prompt", "source", "text", "token_ids", "token_logprobs", "token_mu", "token_sigma", "extra")
        return {k: getattr(self, k) for k in keys}

    @classmethod
    def from_shard_dict(cls, d: dict[str, Any]) -> Sample:
        return cls(**{k: d[k] for k in ("id", "prompt", "source", "text", "token_ids",
                                         "token_logprobs", "token_mu", "token_sigma")}, extra=d.get("extra", {}))


def finding_dict(f: Finding) -> dict[str, Any]:
    """A finding as written to findings.jsonl."""
    d = asdict(f)
    d["memorized"] = f.memorized
    return d


def read_complete_lines(path: Path) -> list[dict[str, Any]]:
    """Read the complete lines of a JSONL shard, ignoring a half-written last line."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    return [json.loads(line) for line in data[:end].splitlines() if line.strip()]


def repair_shard(path: Path) -> None:
    """Cut a torn last line left by a killed process so appends start on a line boundary (own shard only)."""
    if path.exists():
        data = path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            with open(path, "r+b") as fh:
                fh.truncate(end)


class ShardWriter:
    """Appends complete JSON lines and makes each batch durable before it counts as done."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        repair_shard(path)
        self._fh = open(path, "ab")

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        payload = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
        self._fh.write(payload)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write a whole JSONL file atomically (temp file + rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
