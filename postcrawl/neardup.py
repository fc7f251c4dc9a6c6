"""Near-duplicate detection: MinHash over character shingles, with an LSH index in SQLite.

Reposts of one article differ by an added lead sentence, an editor line, a different paragraph
split or a conversion artefact, so their normalized bodies (and hashes) differ. Chinese has no
spaces, so the text is cut into overlapping *character* 3-grams (word tokenizers fail here),
each hashed to 32 bits; a 120-value MinHash signature estimates the Jaccard similarity of two
shingle sets, and 20 bands of 6 values (LSH) find candidates without comparing against every
article: a pair with Jaccard 0.8 shares a band with probability 1 - (1 - 0.8**6)**20 ≈ 0.998,
a pair at 0.5 with ≈ 0.27, at 0.3 with ≈ 0.015. Candidates are then checked on the estimate
and, by :mod:`postcrawl.archive`, on the exact Jaccard of the two texts.

The index lives in two tables of ``index.sqlite3`` (``neardup_sig``, ``neardup_band``), so it
commits together with the article rows and ``postcrawl reindex`` rebuilds it from the files.
Everything here is deterministic: the hash parameters come from a fixed seed, so an index built
by one process is valid for the next.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SHINGLE = 3
NUM_PERM = 120
BANDS = 20
ROWS = NUM_PERM // BANDS
# Jaccard similarity of the shingle sets at or above which two bodies are one article.
THRESHOLD = 0.8
# Bodies shorter than this (in normalized characters) are matched exactly only: a few
# sentences of boilerplate must not make two short notices one article.
MIN_CHARS = 60
# Candidates whose estimate falls this far below the threshold are not worth an exact check
# (the estimate's standard error at 120 values is about 0.04).
ESTIMATE_MARGIN = 0.12
_SEED = 20240511

_rng = np.random.default_rng(_SEED)
# Multiply-shift hashing (Dietzfelbinger): h(x) = (a*x + b) >> 32 over 64-bit words, a odd.
_A = _rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
_MIX = np.uint64(0x165667B19E3779F9)

SCHEMA = """
CREATE TABLE IF NOT EXISTS neardup_sig (
    hash TEXT PRIMARY KEY,            -- the article's body hash (articles.hash)
    sig BLOB NOT NULL                 -- NUM_PERM little-endian uint32 MinHash values
);
CREATE TABLE IF NOT EXISTS neardup_band (
    band INTEGER NOT NULL,
    key INTEGER NOT NULL,             -- 64-bit digest of the band's ROWS values
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS neardup_band_key ON neardup_band(band, key);
"""


def shingles(text: str) -> np.ndarray:
    """The distinct 32-bit hashes of the character 3-grams of *text* (sorted)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) == 0:
        return np.zeros(0, dtype=np.uint64)
    if len(codes) < SHINGLE:
        codes = np.concatenate([codes, np.zeros(SHINGLE - len(codes), dtype=np.uint64)])
    with np.errstate(over="ignore"):
        h = codes[:-2] * _P1 + codes[1:-1] * _P2 + codes[2:]
        h ^= h >> np.uint64(29)
        h *= _MIX
        h ^= h >> np.uint64(32)
    return np.unique(h & np.uint64(0xFFFFFFFF))


@lru_cache(maxsize=64)
def signature(text: str) -> np.ndarray:
    """The MinHash signature (``NUM_PERM`` uint32 values) of *text*'s shingle set.

    Cached: one article's body is looked up by the dedupe step, again by the store under the
    archive lock, then inserted. Callers must not modify the returned array."""
    sh = shingles(text)
    if len(sh) == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    # In place: one NUM_PERM x len(sh) buffer (uint64 arithmetic wraps, as intended).
    values = np.multiply.outer(_A, sh)
    values += _B[:, None]
    values >>= np.uint64(32)
    result = values.min(axis=1).astype(np.uint32)
    result.flags.writeable = False  # shared through the cache
    return result


def estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """The Jaccard similarity two signatures estimate."""
    return float(np.count_nonzero(sig_a == sig_b)) / NUM_PERM


def jaccard(text_a: str, text_b: str) -> float:
    """The exact Jaccard similarity of the character 3-gram sets of two texts."""
    a, b = shingles(text_a), shingles(text_b)
    if len(a) == 0 and len(b) == 0:
        return 1.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def eligible(normalized: str) -> bool:
    """Whether a normalized body is long enough for near-duplicate matching."""
    return len(normalized) >= MIN_CHARS


def band_keys(sig: np.ndarray) -> list[tuple[int, int]]:
    """``(band, key)`` pairs of a signature: each band's values digested to a signed int64."""
    raw = sig.astype("<u4")
    out = []
    for band in range(BANDS):
        chunk = raw[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        out.append((band, int.from_bytes(digest, "little", signed=True)))
    return out


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


_BAND_LOOKUP = " OR ".join(["(band = ? AND key = ?)"] * BANDS)


@dataclass(frozen=True)
class Candidate:
    """An indexed article that may be a near-duplicate, with its estimated similarity."""

    body_hash: str
    estimate: float


class NearDupIndex:
    """The MinHash LSH index in an SQLite database (the archive's ``index.sqlite3``).

    Writes join the caller's transaction (the connection is in autocommit mode and the archive
    wraps each change in one), so the index never disagrees with the article rows.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.executescript(SCHEMA)

    def add(self, body_hash: str, normalized: str) -> bool:
        """Index an article by its normalized body; ``False`` when it is too short to index."""
        if not eligible(normalized):
            return False
        sig = signature(normalized)
        self.conn.execute(
            "INSERT OR REPLACE INTO neardup_sig (hash, sig) VALUES (?, ?)",
            (body_hash, sig.astype("<u4").tobytes()),
        )
        self.conn.executemany(
            "INSERT INTO neardup_band (band, key, hash) VALUES (?, ?, ?)",
            [(band, key, body_hash) for band, key in band_keys(sig)],
        )
        return True

    def remove(self, body_hash: str) -> None:
        """Take an article out of the index (it was superseded)."""
        row = self.conn.execute(
            "SELECT sig FROM neardup_sig WHERE hash = ?", (body_hash,)
        ).fetchone()
        if row is None:
            return
        sig = np.frombuffer(row[0], dtype="<u4")
        self.conn.executemany(
            "DELETE FROM neardup_band WHERE band = ? AND key = ? AND hash = ?",
            [(band, key, body_hash) for band, key in band_keys(sig)],
        )
        self.conn.execute("DELETE FROM neardup_sig WHERE hash = ?", (body_hash,))

    def candidates(self, normalized: str, *, exclude: str | None = None) -> list[Candidate]:
        """Indexed articles sharing an LSH band with *normalized* whose estimated similarity
        is within :data:`ESTIMATE_MARGIN` of the threshold, best first."""
        if not eligible(normalized):
            return []
        sig = signature(normalized)
        keys = band_keys(sig)
        # One statement for all bands: SQLite answers an OR of (band, key) pairs with one
        # index lookup per pair (a row-value IN (VALUES …) would scan the table instead).
        found = {
            h
            for (h,) in self.conn.execute(
                f"SELECT hash FROM neardup_band WHERE {_BAND_LOOKUP}",
                [value for pair in keys for value in pair],
            )
        }
        found.discard(exclude or "")
        if not found:
            return []
        # Band collisions are common among one bureau's articles (shared boilerplate): fetch
        # every candidate's signature in one query and compare them all in one array operation.
        hashes: list[str] = []
        blobs: list[bytes] = []
        for chunk in _chunks(sorted(found), 500):
            for h, blob in self.conn.execute(
                f"SELECT hash, sig FROM neardup_sig WHERE hash IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                hashes.append(h)
                blobs.append(blob)
        if not hashes:
            return []
        sigs = np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(hashes), NUM_PERM)
        estimates = np.count_nonzero(sigs == sig, axis=1) / NUM_PERM
        out = [
            Candidate(h, float(est))
            for h, est in zip(hashes, estimates, strict=True)
            if est >= THRESHOLD - ESTIMATE_MARGIN
        ]
        return sorted(out, key=lambda c: (-c.estimate, c.body_hash))

    def clear(self) -> None:
        """Empty the index (inside the caller's transaction)."""
        self.conn.execute("DELETE FROM neardup_band")
        self.conn.execute("DELETE FROM neardup_sig")

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM neardup_sig").fetchone()[0])
