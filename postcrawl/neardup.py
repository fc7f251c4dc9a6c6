"""Near-duplicate detection: MinHash over character shingles, LSH buckets in memory, the
signatures in SQLite.

Reposts of one article differ by an added lead sentence, an editor line, a different paragraph
split or a conversion artefact, so their normalized bodies (and hashes) differ. Chinese has no
spaces, so the text is cut into overlapping *character* 3-grams (word tokenizers fail here),
each hashed to 32 bits; a 120-value MinHash signature estimates the Jaccard similarity of two
shingle sets, and 20 bands of 6 values (LSH) find candidates without comparing against every
article: a pair with Jaccard 0.8 shares a band with probability 1 - (1 - 0.8**6)**20 ≈ 0.998,
a pair at 0.5 with ≈ 0.27, at 0.3 with ≈ 0.015. Candidates are then checked on the estimate
and, by :mod:`postcrawl.archive`, on the exact Jaccard of the two texts.

The signatures live in ``index.sqlite3`` (``neardup_sig``), so they commit together with the
article rows and ``postcrawl reindex`` rebuilds them from the files. The band buckets are held
in memory, built from the signatures when first queried and brought up to date before each
query: a lookup is a few array searches, whatever the archive's size (on templated bureau
prose, 20 band rows per article in SQLite made each lookup cost more as the archive grew).
Everything here is deterministic: the hash parameters come from a fixed seed, so signatures
written by one process are valid for the next.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
    -- AUTOINCREMENT: an id is never used twice, so a process holding the rows up to some id
    -- finds every row written since (by it or by another process) with `id > ?`.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,        -- the article's body hash (articles.hash)
    sig BLOB NOT NULL                 -- NUM_PERM little-endian uint32 MinHash values
);
"""

# A band bucket (articles sharing one band key) contributes at most its this many most recent
# articles to a query; see _Buckets.lookup for why no true copy is lost.
HOT_BUCKET = 128
# Recent additions wait in a dict until there are this many band entries (or an eighth of the
# sorted arrays, if more), then are merged into the sorted arrays in one pass.
_MERGE_AT = 1 << 16


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
    return _sorted_unique(h & np.uint64(0xFFFFFFFF))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``, by sorting: numpy 2's hash-based ``np.unique`` takes about four
    times as long on the few thousand values of one article."""
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


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
    return shingle_jaccard(shingles(text_a), shingles(text_b))


def shingle_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity of two :func:`shingles` sets (checking several candidates
    against one text shingles it once)."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def eligible(normalized: str) -> bool:
    """Whether a normalized body is long enough for near-duplicate matching."""
    return len(normalized) >= MIN_CHARS


# Each band's key: its ROWS values folded into 64 bits (xor, multiply by an odd constant,
# xor-shift: each step is a bijection, so keys of different bands and values collide only by
# chance), vectorized so that rebuilding the buckets of a whole archive is a few array passes.
_BAND_SEEDS = (np.arange(1, BANDS + 1, dtype=np.uint64) * _P2) ^ np.uint64(_SEED)


def band_matrix(sigs: np.ndarray) -> np.ndarray:
    """The LSH band keys of ``n`` signatures (``n`` x ``NUM_PERM`` uint32): ``n`` x ``BANDS``
    uint64. A band's key differs from every other band's, so all go into one table."""
    values = np.ascontiguousarray(sigs, dtype=np.uint32).reshape(-1, BANDS, ROWS)
    keys = np.repeat(_BAND_SEEDS[None, :], values.shape[0], axis=0)
    with np.errstate(over="ignore"):
        for row in range(ROWS):
            keys ^= values[:, :, row].astype(np.uint64)
            keys *= _P1
            keys ^= keys >> np.uint64(29)
        keys *= _MIX
        keys ^= keys >> np.uint64(32)
    return keys


def band_keys(sig: np.ndarray) -> list[tuple[int, int]]:
    """``(band, key)`` pairs of a signature, each key as a signed int64."""
    keys = band_matrix(sig[None, :])[0].view(np.int64)
    return [(band, int(key)) for band, key in enumerate(keys)]


@dataclass(frozen=True)
class Candidate:
    """An indexed article that may be a near-duplicate, with its estimated similarity."""

    body_hash: str
    estimate: float


class _Buckets:
    """The LSH buckets of committed signatures, in memory: band key → article slots.

    Each stored signature gets a *slot* (its row in :attr:`sigs`). The band entries live in two
    places: a sorted array of keys with the slots beside them (``searchsorted`` finds a bucket
    in microseconds whatever the archive's size), and a dict of recent additions, merged into
    the sorted arrays once it is large, so that adding an article costs no array copy. Per
    article: the 480-byte signature, 12 bytes per band in the arrays (more while in the dict),
    its hash: about 105 MB at 100,000 articles. Within a bucket, slots are in the order the
    rows were loaded, oldest first.
    """

    def __init__(self) -> None:
        self.sigs = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self.alive = np.zeros(0, dtype=bool)
        self.hashes: list[str | None] = []
        self.slot_of: dict[str, int] = {}
        self.count = 0
        self.last_id = 0  # rows of neardup_sig up to this id are loaded
        self.run_keys = np.zeros(0, dtype=np.uint64)
        self.run_slots = np.zeros(0, dtype=np.int32)
        self.fresh: dict[int, list[int]] = {}
        self.fresh_entries = 0
        self.dead = 0

    def load(self, rows: list[tuple[int, str, bytes]]) -> None:
        """Take in committed rows ``(id, hash, sig)`` in id order. A hash already held (the
        article was indexed again) keeps only its newer slot."""
        if not rows:
            return
        sigs = np.frombuffer(b"".join(r[2] for r in rows), dtype="<u4").reshape(len(rows), NUM_PERM)
        first = self.count
        self._grow(first + len(rows))
        self.sigs[first : first + len(rows)] = sigs
        self.alive[first : first + len(rows)] = True
        for offset, (_, body_hash, _) in enumerate(rows):
            old = self.slot_of.get(body_hash)
            if old is not None:
                self.kill(old)
            self.slot_of[body_hash] = first + offset
            self.hashes.append(body_hash)
        self.count += len(rows)
        self.last_id = rows[-1][0]
        keys = band_matrix(sigs)
        if len(rows) * BANDS >= _MERGE_AT:  # a bulk load (opening the archive): sort at once
            slots = np.repeat(np.arange(first, first + len(rows), dtype=np.int32), BANDS)
            self._merge(keys.reshape(-1), slots)
            return
        for offset, row_keys in enumerate(keys.tolist()):
            for key in row_keys:
                self.fresh.setdefault(key, []).append(first + offset)
        self.fresh_entries += len(rows) * BANDS
        if self.fresh_entries >= max(_MERGE_AT, len(self.run_keys) // 8):
            self._merge(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int32))

    def kill(self, slot: int) -> None:
        """Forget the article in *slot* (removed, or indexed again under a newer slot)."""
        body_hash = self.hashes[slot]
        if body_hash is None:
            return
        self.alive[slot] = False
        self.hashes[slot] = None
        if self.slot_of.get(body_hash) == slot:
            del self.slot_of[body_hash]
        self.dead += 1

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The live slots sharing a band key with *keys* (``BANDS`` uint64), at most
        :data:`HOT_BUCKET` of the most recent from each bucket.

        The cap keeps the cost of a query flat — at most ``BANDS * HOT_BUCKET`` signatures
        compared, however large the archive — and why it does not lose true near-duplicates:
        templated prose makes some buckets huge because their band's six minima all fall on
        stock sentences hundreds of articles share; such a bucket is those articles, not
        copies of the query. For a text whose share of widely shared shingles is b, a band
        is like that with probability about b**6 (b = 0.5: 1.6 % of bands). A true copy
        (Jaccard >= 0.8) matches the original on each band with probability >= 0.8**6 =
        0.26, independently, and its other bands' buckets hold the original and its copies,
        well under the cap; so it still shares a scanned band with probability >= 1 -
        0.74**19 = 0.997 when one band is capped (0.998 with none), and far more at the
        Jaccard of real reposts (0.9: 1 - 0.47**19). Keeping the most recent entries rather
        than skipping a hot bucket also serves a text that is nearly all boilerplate, where
        many bands are hot: its reposts come soon after it.
        """
        lo = np.searchsorted(self.run_keys, keys, side="left")
        hi = np.searchsorted(self.run_keys, keys, side="right")
        parts = []
        for band, key in enumerate(keys.tolist()):
            recent = self.fresh.get(key, ())
            take = HOT_BUCKET - len(recent)
            if recent:
                parts.append(np.asarray(recent[-HOT_BUCKET:], dtype=np.int32))
            if take > 0 and hi[band] > lo[band]:
                parts.append(self.run_slots[max(lo[band], hi[band] - take) : hi[band]])
        if not parts:
            return np.zeros(0, dtype=np.int32)
        slots = _sorted_unique(np.concatenate(parts))
        return slots[self.alive[slots]]

    def _grow(self, size: int) -> None:
        if size <= len(self.sigs):
            return
        capacity = max(size, 2 * len(self.sigs), 1024)
        sigs = np.zeros((capacity, NUM_PERM), dtype=np.uint32)
        sigs[: self.count] = self.sigs[: self.count]
        alive = np.zeros(capacity, dtype=bool)
        alive[: self.count] = self.alive[: self.count]
        self.sigs, self.alive = sigs, alive

    def _merge(self, keys: np.ndarray, slots: np.ndarray) -> None:
        """Merge the recent additions and *keys*/*slots* into the sorted arrays, dropping
        the entries of dead slots. Order within a bucket stays oldest first: existing entries
        are older than recent ones, and recent ones are inserted after their equals."""
        if self.fresh:
            fresh_keys = np.fromiter(
                (k for k, v in self.fresh.items() for _ in v),
                dtype=np.uint64,
                count=self.fresh_entries,
            )
            fresh_slots = np.fromiter(
                (s for v in self.fresh.values() for s in v),
                dtype=np.int32,
                count=self.fresh_entries,
            )
            keys, slots = np.concatenate([fresh_keys, keys]), np.concatenate([fresh_slots, slots])
            self.fresh, self.fresh_entries = {}, 0
        run_keys, run_slots = self.run_keys, self.run_slots
        if self.dead:
            live = self.alive[run_slots]
            run_keys, run_slots = run_keys[live], run_slots[live]
            live = self.alive[slots]
            keys, slots = keys[live], slots[live]
            self.dead = 0
        # Sort the additions by key, then by slot (age); insert each after its equals.
        order = np.lexsort((slots, keys))
        keys, slots = keys[order], slots[order]
        at = np.searchsorted(run_keys, keys, side="right")
        self.run_keys = np.insert(run_keys, at, keys)
        self.run_slots = np.insert(run_slots, at, slots)


class NearDupIndex:
    """The MinHash LSH index: signatures in SQLite (the archive's ``index.sqlite3``), buckets
    in memory.

    ``neardup_sig`` is the durable record: writes join the caller's transaction (the connection
    is in autocommit mode and the archive wraps each change, or a group of changes, in one), so
    the index never disagrees with the article rows, and ``postcrawl reindex`` rebuilds it.

    The buckets hold committed rows only, so that a rolled-back change never reaches them. They
    are built on the first query and brought up to date before each query with the rows past
    the last id loaded, read through a second, read-only connection to the same file: outside
    any transaction, it sees exactly what has been committed — by this process or by others
    writing the same archive — even while the caller's connection is inside a transaction (a
    group commit runs its lookups inside one). The rows the caller's own open transaction has
    written are looked up apart, from that connection (:meth:`_uncommitted`): they are few.
    A row deleted since it was loaded (a repost replaced by its official page, here or in
    another process) may still sit in a bucket; :meth:`candidates` confirms every candidate
    against the table as the caller's connection sees it, so it is never returned, and drops
    it from memory once its deletion is committed.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._buckets = _Buckets()
        self._loaded = False
        # Hashes this process removed, until their deletion is committed (or undone).
        self._removed: set[str] = set()
        # The rows of the caller's open transaction.
        self._overlay = _Overlay()
        _ensure_schema(conn)
        self._reader: sqlite3.Connection | None = None
        self._reader_opened = False  # opened at the first query: most commands never query

    def close(self) -> None:
        """Close the read-only connection (the caller closes its own). A reader left open
        would keep the WAL's ``-shm`` file, which tells readers a writer is still there."""
        if self._reader is not None:
            self._reader.close()
        self._reader = None
        self._reader_opened = True  # and none is opened again

    def add(self, body_hash: str, normalized: str) -> bool:
        """Index an article by its normalized body; ``False`` when it is too short to index."""
        if not eligible(normalized):
            return False
        sig = signature(normalized)
        # A new id even for a hash indexed before: other processes then load it again.
        self.conn.execute(
            "INSERT OR REPLACE INTO neardup_sig (hash, sig) VALUES (?, ?)",
            (body_hash, sig.astype("<u4").tobytes()),
        )
        return True

    def remove(self, body_hash: str) -> None:
        """Take an article out of the index (it was superseded)."""
        self.conn.execute("DELETE FROM neardup_sig WHERE hash = ?", (body_hash,))
        self._removed.add(body_hash)

    def candidates(self, normalized: str, *, exclude: str | None = None) -> list[Candidate]:
        """Indexed articles sharing an LSH band with *normalized* whose estimated similarity
        is within :data:`ESTIMATE_MARGIN` of the threshold, best first."""
        if not eligible(normalized):
            return []
        sig = signature(normalized)
        keys = band_matrix(sig[None, :])[0]
        self._sync()
        mem = self._buckets
        slots = mem.lookup(keys)
        estimates = np.count_nonzero(mem.sigs[slots] == sig, axis=1) / NUM_PERM
        near = estimates >= THRESHOLD - ESTIMATE_MARGIN
        found = {
            h: float(e)
            for h, e in zip((mem.hashes[s] for s in slots[near]), estimates[near], strict=True)
            if h is not None
        }
        if self.conn.in_transaction:
            found.update(self._uncommitted(keys, sig))
        found.pop(exclude or "", None)
        if not found:
            return []
        held = _present(self.conn, list(found))
        gone = [h for h in found if h not in held]
        committed = self._committed_view()
        if gone and committed is not None:
            still = _present(committed, gone)
            for body_hash in gone:  # its deletion is committed: forget it
                slot = mem.slot_of.get(body_hash)
                if slot is not None and body_hash not in still:
                    mem.kill(slot)
        out = [Candidate(h, e) for h, e in found.items() if h in held]
        return sorted(out, key=lambda c: (-c.estimate, c.body_hash))

    def clear(self) -> None:
        """Empty the index (inside the caller's transaction)."""
        self.conn.execute("DELETE FROM neardup_sig")
        # Committed or rolled back, the table is right; the buckets load it again from the start.
        self._buckets = _Buckets()
        self._loaded = False
        self._removed.clear()
        self._overlay.clear()

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM neardup_sig").fetchone()[0])

    # -- keeping the buckets up to date ----------------------------------------------------
    def _committed_view(self) -> sqlite3.Connection | None:
        """A connection that sees exactly the committed rows: the reader, or the caller's
        connection while no transaction is open on it (for a database in memory, which has
        no reader); ``None`` when there is none."""
        if not self._reader_opened:
            self._reader = _reader_for(self.conn)
            self._reader_opened = True
        if self._reader is not None:
            return self._reader
        return None if self.conn.in_transaction else self.conn

    def _sync(self) -> None:
        """Load the rows committed since the last load (by any process); forget the hashes
        whose removal is committed."""
        source = self._committed_view()
        if source is None:
            return  # only the caller's connection, inside a transaction: see _uncommitted
        mem = self._buckets
        batch = 20_000 if not self._loaded else 1_000
        while True:
            rows = source.execute(
                "SELECT id, hash, sig FROM neardup_sig WHERE id > ? ORDER BY id LIMIT ?",
                (mem.last_id, batch),
            ).fetchall()
            mem.load([(int(r[0]), str(r[1]), bytes(r[2])) for r in rows])
            if len(rows) < batch:
                break
        self._loaded = True
        if not self.conn.in_transaction:
            self._overlay.clear()  # its rows were committed (and loaded) or rolled back
        if self._removed:
            removed = [h for h in self._removed if h in mem.slot_of]
            committed = _present(source, removed)
            for body_hash in removed:
                if body_hash not in committed:
                    mem.kill(mem.slot_of[body_hash])
            # Still committed but gone from the caller's open transaction: not decided yet.
            # (Present there too: the removal was rolled back, or the article indexed again.)
            pending: set[str] = set()
            if committed and self.conn.in_transaction:
                pending = committed - _present(self.conn, list(committed))
            self._removed = pending

    def _uncommitted(self, keys: np.ndarray, sig: np.ndarray) -> dict[str, float]:
        """Candidates among the rows the caller's open transaction wrote (past the buckets'
        last id; a group commit's articles so far). Their signatures are kept between queries,
        by id and hash: an id seen before with the same hash is the same row (a row rolled
        back to a savepoint gives its id to the next one, with another hash)."""
        last = self._buckets.last_id
        rows = {
            int(i): str(h)
            for i, h in self.conn.execute("SELECT id, hash FROM neardup_sig WHERE id > ?", (last,))
        }
        overlay = self._overlay
        new = overlay.keep(rows)
        for start in range(0, len(new), 500):
            chunk = new[start : start + 500]
            for i, h, blob in self.conn.execute(
                f"SELECT id, hash, sig FROM neardup_sig WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                overlay.append(int(i), str(h), np.frombuffer(bytes(blob), dtype="<u4"))
        if not overlay.size:
            return {}
        sigs, bands = overlay.sigs[: overlay.size], overlay.bands[: overlay.size]
        estimates = np.count_nonzero(sigs == sig, axis=1) / NUM_PERM
        near = (bands == keys).any(axis=1) & (estimates >= THRESHOLD - ESTIMATE_MARGIN)
        return {overlay.hashes[i]: float(estimates[i]) for i in np.flatnonzero(near)}


class _Overlay:
    """The signatures and band keys of the rows an open transaction wrote, as arrays that
    grow by appending: a group commit looks up every article against the group's earlier
    ones, and restacking them for every lookup made a group cost its size squared."""

    def __init__(self) -> None:
        self.clear()

    def __len__(self) -> int:
        return self.size

    def clear(self) -> None:
        self.ids: list[int] = []
        self.hashes: list[str] = []
        self.sigs = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self.bands = np.zeros((0, BANDS), dtype=np.uint64)
        self.size = 0

    def keep(self, rows: dict[int, str]) -> list[int]:
        """Keep the rows still there (id and hash as in *rows*); the ids of *rows* not held."""
        held = {i: h for i, h in zip(self.ids, self.hashes, strict=True) if rows.get(i) == h}
        if len(held) != self.size:  # rolled back to a savepoint: rebuild from what is left
            kept = [n for n, i in enumerate(self.ids) if i in held]
            sigs, bands = self.sigs[kept], self.bands[kept]
            self.ids = [self.ids[n] for n in kept]
            self.hashes = [self.hashes[n] for n in kept]
            self.sigs, self.bands, self.size = sigs, bands, len(kept)
        return [i for i in rows if i not in held]

    def append(self, row_id: int, body_hash: str, sig: np.ndarray) -> None:
        if self.size == len(self.sigs):  # full: double the room
            room = max(16, 2 * self.size)
            sigs = np.zeros((room, NUM_PERM), dtype=np.uint32)
            bands = np.zeros((room, BANDS), dtype=np.uint64)
            sigs[: self.size], bands[: self.size] = self.sigs[: self.size], self.bands[: self.size]
            self.sigs, self.bands = sigs, bands
        self.sigs[self.size] = sig
        self.bands[self.size] = band_matrix(sig[None, :])[0]
        self.ids.append(row_id)
        self.hashes.append(body_hash)
        self.size += 1


def _present(conn: sqlite3.Connection, hashes: list[str]) -> set[str]:
    """Which of *hashes* ``neardup_sig`` holds, as *conn* sees it."""
    held: set[str] = set()
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        held.update(
            str(h)
            for (h,) in conn.execute(
                f"SELECT hash FROM neardup_sig WHERE hash IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        )
    return held


def _reader_for(conn: sqlite3.Connection) -> sqlite3.Connection | None:
    """A read-only connection to *conn*'s database file, in autocommit mode (each query sees
    what is committed at that moment and holds no snapshot after it). ``None`` for a database
    in memory, and for one not in WAL mode (the archive's index always is), where a reader
    could be locked out by the caller's own open transaction."""
    row = conn.execute("PRAGMA database_list").fetchone()
    path = str(row[2]) if row is not None and row[1] == "main" else ""
    mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if not path or mode != "wal":
        return None
    return sqlite3.connect(
        f"{Path(path).as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30
    )


def _ensure_schema(conn: sqlite3.Connection) -> None:
    """Create ``neardup_sig``, or bring an index written by an earlier version up to date:
    its ``neardup_sig`` had no ``id`` column (rows are copied over, in their order), and
    ``neardup_band`` held the band keys that now live in memory (dropped)."""
    tables = {
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'neardup%'"
        )
    }
    columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(neardup_sig)")}
    if "neardup_sig" in tables and "id" in columns and "neardup_band" not in tables:
        return
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        if "neardup_sig" in tables and "id" not in columns:
            conn.execute("ALTER TABLE neardup_sig RENAME TO neardup_sig_old")
            conn.execute(SCHEMA)
            conn.execute(
                "INSERT INTO neardup_sig (hash, sig) "
                "SELECT hash, sig FROM neardup_sig_old ORDER BY rowid"
            )
            conn.execute("DROP TABLE neardup_sig_old")
        else:
            conn.execute(SCHEMA)
        conn.execute("DROP TABLE IF EXISTS neardup_band")  # its index goes with it
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")
