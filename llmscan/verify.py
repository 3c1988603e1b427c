"""Verbatim verification against the training corpus through a suffix array (pydivsufsort).

The corpus is the UTF-8 bytes of all documents joined by NUL; generated text never contains NUL, so a match
never spans two documents. Longest-overlap queries take one binary search per character position.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llmscan.corpus import Document
from llmscan.errors import InputFileError

SEP = b"\x00"


@dataclass(frozen=True)
class Match:
    """The longest verbatim overlap of a text with the corpus."""

    chars: int  # length in characters
    doc: str | None  # document id holding it
    start: int  # character offsets of the overlap in the queried text
    end: int


class SuffixArrayIndex:
    """Longest verbatim overlap and substring membership over a corpus."""

    def __init__(self, text: bytes | np.ndarray, suffix_array: np.ndarray, doc_starts: np.ndarray,
                 doc_ids: Sequence[str]) -> None:
        self._text = text if isinstance(text, bytes) else memoryview(text).cast("B")
        self._sa = suffix_array
        self._starts = doc_starts
        self._ids = list(doc_ids)

    @classmethod
    def build(cls, docs: Sequence[Document]) -> SuffixArrayIndex:
        from pydivsufsort import divsufsort

        parts = [d.text.replace("\x00", " ").encode("utf-8") for d in docs]
        starts = np.cumsum([0] + [len(p) + 1 for p in parts[:-1]], dtype=np.int64)
        text = SEP.join(parts)
        sa = divsufsort(np.frombuffer(text, dtype=np.uint8).copy()) if text else np.zeros(0, dtype=np.int64)
        return cls(text, sa, starts, [d.id for d in docs])

    def save(self, directory: Path) -> None:
        """Write the index (text.bin, sa.npy, docs.json) so it can be memory-mapped later."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "text.bin").write_bytes(bytes(self._text))
        np.save(directory / "sa.npy", self._sa)
        (directory / "docs.json").write_text(json.dumps({"starts": self._starts.tolist(), "ids": self._ids}))

    @classmethod
    def load(cls, directory: Path) -> SuffixArrayIndex:
        """Open a saved index memory-mapped; memory use stays bounded by what queries touch."""
        try:
            meta = json.loads((directory / "docs.json").read_text())
            text = np.memmap(directory / "text.bin", dtype=np.uint8, mode="r") \
                if os.path.getsize(directory / "text.bin") else b""
            sa = np.load(directory / "sa.npy", mmap_mode="r")
        except (OSError, ValueError, KeyError) as e:
            raise InputFileError(directory, f"not an llmscan index ({e})") from None
        return cls(text, sa, np.asarray(meta["starts"], dtype=np.int64), meta["ids"])

    def __len__(self) -> int:
        return len(self._sa)

    def _lower_bound(self, q: bytes) -> int:
        """First suffix-array rank whose suffix is >= q."""
        lo, hi, n, text, sa = 0, len(self._sa), len(q), self._text, self._sa
        while lo < hi:
            mid = (lo + hi) // 2
            p = int(sa[mid])
            if bytes(text[p:p + n]) < q:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _lcp_at(self, rank: int, q: bytes) -> tuple[int, int]:
        if not 0 <= rank < len(self._sa):
            return 0, -1
        p = int(self._sa[rank])
        other = bytes(self._text[p:p + len(q)])
        return len(os.path.commonprefix([other, q])), p

    def contains(self, s: str) -> bool:
        """Whether `s` occurs verbatim in some document."""
        q = s.encode("utf-8")
        if not q or SEP in q:
            return False
        rank = self._lower_bound(q)
        return self._lcp_at(rank, q)[0] == len(q)

    def _prefix_match(self, q: bytes) -> tuple[int, int]:
        """Longest prefix of `q` found in the corpus: (length in bytes, corpus position; -1 if none).

        The longest common prefix is with one of the two suffixes around q's place in the suffix array.
        """
        rank = self._lower_bound(q)
        before, after = self._lcp_at(rank - 1, q), self._lcp_at(rank, q)
        return after if after[0] > before[0] else before

    def longest_match_at(self, text: str, i: int) -> int:
        """Length in characters of the longest prefix of text[i:] that occurs in the corpus."""
        q = text[i:].replace("\x00", " ").encode("utf-8")
        n = self._prefix_match(q)[0] if q else 0
        return len(q[:n].decode("utf-8", "ignore"))

    def doc_of(self, byte_pos: int) -> str:
        return self._ids[int(np.searchsorted(self._starts, byte_pos, side="right")) - 1]

    def longest_match(self, text: str) -> Match:
        """Longest substring of `text` that occurs verbatim in the corpus, and where."""
        q = text.replace("\x00", " ").encode("utf-8")
        best_len, best_pos, best_i = 0, -1, 0
        for i in range(len(q)):
            if len(q) - i <= best_len:
                break
            if q[i] & 0xC0 == 0x80:  # not the start of a UTF-8 character
                continue
            n, p = self._prefix_match(q[i:])
            if n > best_len:
                best_len, best_pos, best_i = n, p, i
        if best_len == 0:
            return Match(0, None, 0, 0)
        start = len(q[:best_i].decode("utf-8", "ignore"))
        chars = len(q[best_i:best_i + best_len].decode("utf-8", "ignore"))
        return Match(chars, self.doc_of(best_pos), start, start + chars)


def verify_samples(samples: Sequence, index, min_match_chars: int, near_coverage: float = 0.8) -> None:
    """Set `sample.memorized`: the longest verbatim overlap (is_memorized when >= min_match_chars) and,
    separately, near-verbatim copies (case/whitespace/punctuation/small edits: normalized coverage)."""
    for s, o in zip(samples, index.overlaps([s.text for s in samples])):
        m = o.exact
        exact = m.chars >= min_match_chars
        s.memorized = {"match_chars": m.chars, "doc": m.doc, "start": m.start, "end": m.end, "is_memorized": exact,
                       "near_match_chars": o.near_chars, "near_coverage": round(o.near_coverage, 4),
                       "near_verbatim": not exact and len(s.text) >= min_match_chars
                       and o.near_coverage >= near_coverage}
