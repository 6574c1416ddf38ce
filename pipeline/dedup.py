"""Near-duplicate detection with MinHash/LSH (datasketch) over word shingles.

Shingles are 3-syllable windows of the normalized, case-folded text (title +
body). Two documents whose estimated Jaccard similarity is >= the threshold
(settings.dedup_threshold, default 0.6) are near-duplicates and share a
cluster. Exact duplicates of the normalized text are found by content hash
before LSH. Signatures are stored per document (``num_perm`` x uint64 bytes)
so the index can be rebuilt for each run.
"""

from __future__ import annotations

import hashlib

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipeline.textmatch import tokenize

SHINGLE = 3
SCHEME = "affine32"  # datasketch >= 2.0 hashing scheme; stored signatures are only comparable within one scheme


def content_hash(text_norm: str) -> str:
    """sha256 hex of the case-folded normalized text with whitespace collapsed."""
    return hashlib.sha256(" ".join(text_norm.casefold().split()).encode("utf-8")).hexdigest()


def shingles(text_norm: str, size: int = SHINGLE) -> set[bytes]:
    sylls = tokenize(text_norm).lower
    if len(sylls) < size:
        return {" ".join(sylls).encode("utf-8")} if sylls else set()
    return {" ".join(sylls[i:i + size]).encode("utf-8") for i in range(len(sylls) - size + 1)}


def signature(text_norm: str, num_perm: int = 128) -> MinHash:
    mh = MinHash(num_perm=num_perm, scheme=SCHEME)
    mh.update_batch(list(shingles(text_norm)))
    return mh


def to_bytes(mh: MinHash) -> bytes:
    return np.asarray(mh.hashvalues, dtype=np.uint64).tobytes()


def from_bytes(data: bytes, num_perm: int = 128) -> MinHash:
    return MinHash(num_perm=num_perm, hashvalues=np.frombuffer(data, dtype=np.uint64).copy(), scheme=SCHEME)


class NearDuplicateIndex:
    """LSH index of document signatures keyed by document id."""

    def __init__(self, threshold: float = 0.6, num_perm: int = 128) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.sigs: dict[int, MinHash] = {}

    def add(self, doc_id: int, mh: MinHash) -> None:
        if doc_id not in self.sigs:
            self.lsh.insert(doc_id, mh)
            self.sigs[doc_id] = mh

    def best_match(self, mh: MinHash) -> tuple[int, float] | None:
        """(doc id, estimated Jaccard) of the most similar indexed document above threshold."""
        best = None
        for doc_id in self.lsh.query(mh):
            sim = mh.jaccard(self.sigs[doc_id])
            if sim >= self.threshold and (best is None or sim > best[1]):
                best = (doc_id, sim)
        return best
