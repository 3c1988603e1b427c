"""Near-duplicate groups among samples (MinHash LSH from `datasketch`); the group size is a signal itself:
a model that emits the same passage from many prompts has likely memorized it."""

from __future__ import annotations

from collections.abc import Sequence

from datasketch import MinHash, MinHashLSH


def shingles(text: str, n: int = 5) -> set[bytes]:
    """Character n-grams of the whitespace-normalized, lowercased text."""
    t = " ".join(text.lower().split())
    return {t[i:i + n].encode() for i in range(max(1, len(t) - n + 1))} if t else set()


def duplicate_groups(texts: Sequence[str], threshold: float = 0.8, num_perm: int = 64, seed: int = 1) -> list[int]:
    """For each text, the index of its group's first member (itself when unique).

    Texts whose estimated Jaccard similarity of 5-gram shingles reaches `threshold` share a group
    (transitively). Empty texts are never grouped.
    """
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, text in enumerate(texts):
        grams = shingles(text)
        if not grams:
            continue
        mh = MinHash(num_perm=num_perm, seed=seed)
        mh.update_batch(list(grams))
        for j in lsh.query(mh):
            a, b = root(i), root(int(j))
            if a != b:
                parent[max(a, b)] = min(a, b)
        lsh.insert(str(i), mh)
    return [root(i) for i in range(len(texts))]


def annotate_duplicates(samples: Sequence, threshold: float = 0.8) -> None:
    """Set `extra["duplicates"]` (group size) and `extra["duplicate_of"]` (first sample id of the group)."""
    groups = duplicate_groups([s.text for s in samples], threshold)
    sizes: dict[int, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    for s, g in zip(samples, groups):
        s.extra["duplicates"] = sizes[g]
        s.extra["duplicate_of"] = samples[g].id
