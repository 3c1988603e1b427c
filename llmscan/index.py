"""On-disk training-corpus index: exact and near-verbatim overlap queries, memory-bounded at build and query.

The corpus is cut at document boundaries into shards of at most `shard_bytes`; each shard is a suffix array
(verify.SuffixArrayIndex) over the exact text and one over a normalized text (case folded, punctuation and
runs of whitespace made one space). Queries open shards memory-mapped and take the best over shards, so
neither building nor querying ever holds more than one shard in memory.

Near-verbatim: the normalized sample is covered greedily by normalized corpus matches of at least
`MIN_PIECE` characters; a sample whose covered fraction is high is a copy with small edits even when no
single exact match is long.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import regex

from llmscan.corpus import Document
from llmscan.errors import InputFileError
from llmscan.verify import Match, SuffixArrayIndex

FORMAT = "llmscan-index-1"
MIN_PIECE = 12  # characters; shorter normalized matches are common words, not evidence
_PUNCT_OR_SPACE = regex.compile(r"[\p{P}\p{S}\s]+")


def normalize(text: str) -> str:
    """Case-folded text with punctuation, symbols and whitespace runs made single spaces."""
    return _PUNCT_OR_SPACE.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class Overlap:
    """A sample's overlap with the corpus: the exact longest match and the near-verbatim measures."""

    exact: Match
    near_chars: int  # longest match of the normalized sample in the normalized corpus
    near_coverage: float  # fraction of the normalized sample covered by normalized matches >= MIN_PIECE


class CorpusIndex:
    """Shards of (exact, normalized) suffix arrays; in memory when built, memory-mapped when loaded."""

    def __init__(self, shards: Sequence[tuple[SuffixArrayIndex, SuffixArrayIndex]] | None = None,
                 directory: Path | None = None, shard_count: int = 0) -> None:
        self._shards = list(shards or [])
        self._dir = directory
        self._count = shard_count if directory else len(self._shards)

    @classmethod
    def build(cls, docs: Iterable[Document], shard_bytes: int = 512 << 20) -> CorpusIndex:
        """An in-memory index (for small corpora given with --training-data)."""
        return cls([_build_shard(chunk) for chunk in _chunks(docs, shard_bytes)])

    @classmethod
    def build_to_disk(cls, docs: Iterable[Document], out: Path, shard_bytes: int = 512 << 20) -> CorpusIndex:
        """Build shard by shard into `out`, holding one shard in memory at a time."""
        if out.exists() and any(out.iterdir()):
            raise InputFileError(out, "--out exists and is not empty")
        tmp = out.with_name(out.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        count, chars, docs_n = 0, 0, 0
        try:
            for chunk in _chunks(docs, shard_bytes):
                for kind, shard_docs in _shard_views(chunk):  # one suffix array in memory at a time
                    SuffixArrayIndex.build(shard_docs).save(tmp / f"shard{count:05d}" / kind)
                count += 1
                docs_n += len(chunk)
                chars += sum(len(d.text) for d in chunk)
        except BaseException:  # a bad corpus or an interrupt leaves no half-built index behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        (tmp / "index.json").write_text(json.dumps({"format": FORMAT, "shards": count, "documents": docs_n,
                                                    "characters": chars}))
        if out.exists():
            out.rmdir()
        tmp.rename(out)
        return cls.load(out)

    @classmethod
    def load(cls, directory: str | Path) -> CorpusIndex:
        d = Path(directory)
        try:
            meta = json.loads((d / "index.json").read_text())
        except (OSError, ValueError):
            raise InputFileError(d, "not an llmscan index (no readable index.json; build one with "
                                    "`llmscan index build`)") from None
        if meta.get("format") != FORMAT:
            raise InputFileError(d, f"index format {meta.get('format')!r} is not {FORMAT!r}; rebuild it")
        return cls(directory=d, shard_count=int(meta["shards"]))

    def _iter_shards(self) -> Iterator[tuple[SuffixArrayIndex, SuffixArrayIndex]]:
        """Shards in order; a saved index opens them memory-mapped on first use (pages load on demand)."""
        if self._dir is not None and not self._shards:
            self._shards = [(SuffixArrayIndex.load(self._dir / f"shard{i:05d}" / "exact"),
                             SuffixArrayIndex.load(self._dir / f"shard{i:05d}" / "near")) for i in range(self._count)]
        yield from self._shards

    def contains(self, text: str) -> bool:
        """Whether `text` occurs verbatim in some document."""
        return any(exact.contains(text) for exact, _ in self._iter_shards())

    def overlaps(self, texts: Sequence[str]) -> list[Overlap]:
        """Exact and near-verbatim overlap of each text, best over all shards (one pass over the shards)."""
        best = [Overlap(Match(0, None, 0, 0), 0, 0.0) for _ in texts]
        normalized = [normalize(t) for t in texts]
        for exact, near in self._iter_shards():
            for i, (t, n) in enumerate(zip(texts, normalized)):
                m = exact.longest_match(t)
                near_chars, covered = _coverage(near, n)
                cur = best[i]
                best[i] = Overlap(m if m.chars > cur.exact.chars else cur.exact, max(near_chars, cur.near_chars),
                                  max(covered / len(n) if n else 0.0, cur.near_coverage))
        return best


def _coverage(index: SuffixArrayIndex, text: str) -> tuple[int, int]:
    """Longest match of `text` and how many of its characters are covered by matches >= MIN_PIECE."""
    longest, covered, i = 0, 0, 0
    while i < len(text):
        m = index.longest_match_at(text, i)
        longest = max(longest, m)
        if m >= MIN_PIECE:
            covered += m
            i += m
        else:
            i += 1
    return longest, covered


def _chunks(docs: Iterable[Document], shard_bytes: int) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    size = 0
    for d in docs:
        n = len(d.text.encode("utf-8")) + 1
        if chunk and size + n > shard_bytes:
            yield chunk
            chunk, size = [], 0
        chunk.append(d)
        size += n
    if chunk:
        yield chunk


def _shard_views(docs: Sequence[Document]) -> Iterator[tuple[str, Sequence[Document]]]:
    """The shard's documents as the exact index sees them, then normalized for the near-verbatim one."""
    yield "exact", docs
    yield "near", [Document(d.id, normalize(d.text)) for d in docs]


def _build_shard(docs: Sequence[Document]) -> tuple[SuffixArrayIndex, SuffixArrayIndex]:
    exact, near = (SuffixArrayIndex.build(view) for _, view in _shard_views(docs))
    return exact, near
