"""The near-duplicate index's in-memory LSH buckets: rebuilt from ``neardup_sig`` on opening,
kept to committed rows only, following deletes and other connections' writes, capped per bucket.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from postcrawl import index, neardup
from postcrawl.archive import ArchiveStore
from postcrawl.article_text import normalize_extracted
from postcrawl.extraction import Extracted

# Enough distinct characters that independently drawn texts share almost no 3-grams.
POOL = (
    "邮政管理局快递业务量同比增长寄递安全农村物流服务站建设会议召开检查督导普遍服务党建工作市县乡村"
    "企业网点分拣中心营业部用户申诉满意率旺季保障绿色包装实名收寄验视过机安检冷链跨境智能快件箱"
)


def text(seed: int, length: int = 900) -> str:
    """A body of *length* characters drawn from :data:`POOL` (deterministic per *seed*)."""
    rng = random.Random(seed)
    return "".join(rng.choice(POOL) for _ in range(length))


def repost(body: str) -> str:
    """*body* with a lead sentence and an editor line: Jaccard well above the threshold."""
    return "记者从省邮政管理局获悉，" + body + "（责任编辑：王芳）"


def connect(path: Path) -> sqlite3.Connection:
    return index.connect(path)


def found(near: neardup.NearDupIndex, body: str) -> list[str]:
    return [c.body_hash for c in near.candidates(body)]


def test_reopening_rebuilds_the_buckets_from_the_table(tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    conn = connect(db)
    near = neardup.NearDupIndex(conn)
    for i in range(50):
        with index.transaction(conn):
            near.add(f"{i:016x}", text(i))
    conn.close()
    conn = connect(db)
    reopened = neardup.NearDupIndex(conn)
    assert found(reopened, repost(text(7))) == [f"{7:016x}"]
    assert found(reopened, repost(text(49))) == [f"{49:016x}"]
    assert found(reopened, text(1000)) == []
    conn.close()


def test_a_rolled_back_insert_leaves_no_match(tmp_path: Path) -> None:
    conn = connect(tmp_path / "index.sqlite3")
    near = neardup.NearDupIndex(conn)
    near.add("a" * 16, text(1))  # committed (autocommit), and loaded by the next query
    assert found(near, repost(text(1))) == ["a" * 16]
    with pytest.raises(RuntimeError), index.transaction(conn):
        near.add("b" * 16, text(2))
        # Inside its transaction the new row is a candidate, as for any SQL reader there.
        assert found(near, repost(text(2))) == ["b" * 16]
        raise RuntimeError("the write failed after the index rows")
    assert found(near, repost(text(2))) == []
    # The rolled-back row's id is used again by the next insert; that one is loaded.
    near.add("c" * 16, text(3))
    assert found(near, repost(text(3))) == ["c" * 16]
    assert found(near, repost(text(2))) == []
    conn.close()


def test_a_rolled_back_remove_keeps_the_match(tmp_path: Path) -> None:
    conn = connect(tmp_path / "index.sqlite3")
    near = neardup.NearDupIndex(conn)
    near.add("a" * 16, text(1))
    assert found(near, repost(text(1))) == ["a" * 16]
    with pytest.raises(RuntimeError), index.transaction(conn):
        near.remove("a" * 16)
        assert found(near, repost(text(1))) == []  # the transaction sees the delete
        raise RuntimeError("rolled back")
    assert found(near, repost(text(1))) == ["a" * 16]
    conn.close()


def test_a_delete_removes_the_article(tmp_path: Path) -> None:
    conn = connect(tmp_path / "index.sqlite3")
    near = neardup.NearDupIndex(conn)
    for i in range(3):
        near.add(f"{i:016x}", text(i))
    assert found(near, repost(text(1))) == [f"{1:016x}"]
    with index.transaction(conn):
        near.remove(f"{1:016x}")
    assert found(near, repost(text(1))) == []
    assert len(near) == 2
    # Indexed again (an official page with the same body): found again.
    near.add(f"{1:016x}", text(1))
    assert found(near, repost(text(1))) == [f"{1:016x}"]
    conn.close()


def test_another_connections_insert_and_delete_are_seen(tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    conn_a, conn_b = connect(db), connect(db)
    near_a, near_b = neardup.NearDupIndex(conn_a), neardup.NearDupIndex(conn_b)
    near_a.add("a" * 16, text(1))
    assert found(near_a, repost(text(1))) == ["a" * 16]  # A's buckets are loaded now
    with index.transaction(conn_b):
        near_b.add("b" * 16, text(2))
    assert found(near_a, repost(text(2))) == ["b" * 16]
    # B replaces A's article (an official page taking a repost's place): A no longer offers it.
    with index.transaction(conn_b):
        near_b.remove("a" * 16)
        near_b.add("c" * 16, text(1) + "来源：市邮政管理局")
    assert found(near_a, repost(text(1))) == ["c" * 16]
    conn_a.close()
    conn_b.close()


def test_an_uncommitted_insert_of_another_connection_is_not_seen(tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    conn_a, conn_b = connect(db), connect(db)
    near_a, near_b = neardup.NearDupIndex(conn_a), neardup.NearDupIndex(conn_b)
    assert found(near_a, text(5)) == []
    conn_b.execute("BEGIN IMMEDIATE")
    near_b.add("b" * 16, text(2))
    assert found(near_a, repost(text(2))) == []
    conn_b.execute("ROLLBACK")
    near_b.add("c" * 16, text(3))  # takes the id the rolled-back row had
    assert found(near_a, repost(text(3))) == ["c" * 16]
    assert found(near_a, repost(text(2))) == []
    conn_a.close()
    conn_b.close()


def test_a_hot_bucket_is_capped_and_a_true_repost_is_still_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles three quarters one stock text: many of their bands' minima fall on it, so
    those buckets hold every article. The original, the oldest, falls outside the capped part
    of them; its repost still finds it through the bands on its own text."""
    monkeypatch.setattr(neardup, "HOT_BUCKET", 8)
    stock = text(10_000, 2400)
    conn = connect(tmp_path / "index.sqlite3")
    near = neardup.NearDupIndex(conn)
    bodies = [stock + text(i, 800) for i in range(60)]
    with index.transaction(conn):
        for i, body in enumerate(bodies):
            near.add(f"{i:016x}", body)
    original = bodies[0]
    assert neardup.jaccard(bodies[1], bodies[2]) < neardup.THRESHOLD  # distinct articles
    assert neardup.jaccard(original, repost(original)) >= 0.95
    near.candidates(text(1))  # load the buckets
    keys = neardup.band_matrix(neardup.signature(original)[None, :])[0]
    buckets = near._buckets
    sizes = [
        int(np.count_nonzero(buckets.run_keys == key)) + len(buckets.fresh.get(int(key), ()))
        for key in keys
    ]
    hot = [size for size in sizes if size > neardup.HOT_BUCKET]
    assert hot, "the test needs a bucket past the cap"
    assert len(buckets.lookup(keys)) <= neardup.BANDS * neardup.HOT_BUCKET
    assert found(near, repost(original))[0] == f"{0:016x}"
    conn.close()


def test_an_index_from_before_the_in_memory_buckets_is_migrated(tmp_path: Path) -> None:
    """``neardup_sig`` without ids and the ``neardup_band`` rows, as earlier versions wrote."""
    db = tmp_path / "index.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript(
        """
        CREATE TABLE neardup_sig (hash TEXT PRIMARY KEY, sig BLOB NOT NULL);
        CREATE TABLE neardup_band (band INTEGER NOT NULL, key INTEGER NOT NULL, hash TEXT NOT NULL);
        CREATE INDEX neardup_band_key ON neardup_band(band, key);
        """
    )
    for i in range(3):
        sig = neardup.signature(text(i)).astype("<u4").tobytes()
        conn.execute("INSERT INTO neardup_sig VALUES (?, ?)", (f"{i:016x}", sig))
        conn.execute("INSERT INTO neardup_band VALUES (0, ?, ?)", (i, f"{i:016x}"))
    conn.close()
    conn = connect(db)
    near = neardup.NearDupIndex(conn)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "neardup_band" not in tables and "neardup_sig_old" not in tables
    assert len(near) == 3
    assert found(near, repost(text(2))) == [f"{2:016x}"]
    near.add("f" * 16, text(9))
    assert found(near, repost(text(9))) == ["f" * 16]
    conn.close()
    conn = connect(db)
    assert len(neardup.NearDupIndex(conn)) == 4  # opening a migrated index changes nothing
    conn.close()


def article(url: str, body: str) -> Extracted:
    paragraphs = [body[i : i + 300] for i in range(0, len(body), 300)]
    return normalize_extracted(
        Extracted(url=url, site="generic", title="通知", paragraphs=paragraphs)
    )


def test_two_stores_on_one_archive_see_each_others_articles(archive_root: Path) -> None:
    """Two crawls writing one archive: each one's new articles are near-duplicate candidates
    for the other's next lookup, and a replaced repost is no longer matched."""
    with (
        ArchiveStore(archive_root, fsync=False) as one,
        ArchiveStore(archive_root, fsync=False) as two,
    ):
        assert one.add(article("http://a.example/1", text(1))).status == "stored"
        assert one.find_match(article("http://a.example/x", repost(text(5)))) is None
        early = two.add(article("http://agg.example/2", repost(text(2))))
        assert early.status == "stored"
        copy = one.find_match(article("http://b.example/2", repost(repost(text(2)))))
        assert copy is not None and copy.body_hash == early.body_hash
        # The official page replaces the repost in the second store; the first follows.
        official = two.add(article("http://bureau.example/2", text(2)), official=True)
        assert official.status == "replaced"
        match = one.find_match(article("http://c.example/2", repost(text(2))))
        assert match is not None and match.body_hash == official.body_hash


def test_lookups_inside_a_long_transaction_use_the_buckets(tmp_path: Path) -> None:
    """A group commit looks articles up inside its open transaction: the buckets still load
    what is committed (through their own reader), and only the transaction's own rows are
    read apart."""
    db = tmp_path / "index.sqlite3"
    conn = connect(db)
    near = neardup.NearDupIndex(conn)
    with index.transaction(conn):
        for i in range(30):
            near.add(f"{i:016x}", text(i))
    with index.transaction(conn):
        assert found(near, repost(text(3))) == [f"{3:016x}"]
        assert near._buckets.count == 30  # loaded, though inside a transaction
        near.add("a" * 16, text(100))
        near.add("b" * 16, text(101))
        assert found(near, repost(text(100))) == ["a" * 16]  # this transaction's own row
        assert len(near._overlay) == 2
    assert found(near, repost(text(101))) == ["b" * 16]
    assert near._buckets.count == 32 and len(near._overlay) == 0
    near.close()
    conn.close()


def test_a_row_rolled_back_to_a_savepoint_gives_its_id_to_another(tmp_path: Path) -> None:
    conn = connect(tmp_path / "index.sqlite3")
    near = neardup.NearDupIndex(conn)
    near.add("0" * 16, text(0))
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("SAVEPOINT change")
    near.add("a" * 16, text(1))
    assert found(near, repost(text(1))) == ["a" * 16]
    conn.execute("ROLLBACK TO change")
    conn.execute("RELEASE change")
    near.add("b" * 16, text(2))  # the same id as the row rolled back
    assert found(near, repost(text(1))) == []
    assert found(near, repost(text(2))) == ["b" * 16]
    conn.execute("COMMIT")
    assert found(near, repost(text(2))) == ["b" * 16]
    assert found(near, repost(text(1))) == []
    near.close()
    conn.close()


def test_group_commits_find_reposts_within_and_across_groups(archive_root: Path) -> None:
    with ArchiveStore(archive_root, fsync=False) as store:
        with store.group():
            first = store.add(article("http://bureau.example/1", text(1)), official=True)
        with store.group():
            second = store.add(article("http://bureau.example/2", text(2)), official=True)
            within = store.find_match(article("http://agg.example/2", repost(text(2))))
            across = store.find_match(article("http://agg.example/1", repost(text(1))))
        assert within is not None and within.body_hash == second.body_hash
        assert across is not None and across.body_hash == first.body_hash
        with pytest.raises(RuntimeError), store.group():
            store.add(article("http://bureau.example/3", text(3)), official=True)
            raise RuntimeError("the group fails: nothing of it is written")
        assert store.find_match(article("http://agg.example/3", repost(text(3)))) is None
        assert store.neardup._buckets.count == 2
