"""Near-duplicate candidates from LSH band buckets kept in the database.

A MinHash signature (``num_perm`` values) is cut into ``b`` bands of ``r``
values (datasketch's optimal b, r for the Jaccard threshold); each band is
hashed to a signed 64-bit bucket and stored in ``minhash_bands`` with an index
on (band, bucket). A new document's candidates are the stored documents
sharing at least one (band, bucket): one query on the bucket index, whatever the archive size; the
candidates' signatures are then compared exactly. Documents outside the
time window (``created_at`` older than ``window_days``) are ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
from datasketch import MinHash, MinHashLSH
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pipeline import dedup
from storage.models import Document, MinhashBand


class BandIndex:
    """Database-backed LSH; ``query`` returns (document id, Jaccard estimate) or None."""

    def __init__(self, session: Session, threshold: float, num_perm: int, window_days: int) -> None:
        self.session = session
        self.threshold = threshold
        self.num_perm = num_perm
        params = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.b, self.r = params.b, params.r
        self.window_days = window_days

    def buckets(self, mh: MinHash) -> list[tuple[int, int]]:
        """(band, bucket) pairs of a signature."""
        values = np.asarray(mh.hashvalues, dtype=np.uint64)
        out = []
        for band in range(self.b):
            chunk = values[band * self.r:(band + 1) * self.r].tobytes()
            digest = hashlib.blake2b(chunk, digest_size=8).digest()
            out.append((band, int.from_bytes(digest, "big", signed=True)))
        return out

    def query(self, mh: MinHash, now: dt.datetime) -> tuple[int, float] | None:
        pairs = self.buckets(mh)
        since = now - dt.timedelta(days=self.window_days)
        # two indexed steps (bucket index, then primary key): a single query with the status
        # filter lets SQLite's planner scan the status index instead
        wanted = set(pairs)
        ids = {doc_id for doc_id, band, bucket in self.session.execute(
            select(MinhashBand.document_id, MinhashBand.band, MinhashBand.bucket)
            .where(MinhashBand.bucket.in_([bucket for _, bucket in pairs])))
            if (band, bucket) in wanted}
        if not ids:
            return None
        rows = [(doc_id, blob) for doc_id, status, created, blob in self.session.execute(
            select(Document.id, Document.status, Document.created_at, Document.minhash).where(Document.id.in_(ids)))
            if status == "ok" and blob is not None and created >= since]
        best = None
        for doc_id, blob in rows:
            sim = mh.jaccard(dedup.from_bytes(blob, self.num_perm))
            if sim >= self.threshold and (best is None or sim > best[1]):
                best = (doc_id, sim)
        return best

    def add(self, doc_id: int, mh: MinHash) -> None:
        self.session.execute(insert(MinhashBand), [
            {"document_id": doc_id, "band": band, "bucket": bucket} for band, bucket in self.buckets(mh)])
