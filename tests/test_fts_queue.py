"""The full-text index is written once per transaction, and agrees with ``articles`` after each.

Articles inserted in a transaction wait in ``fts_pending`` and are indexed together just before
COMMIT (:func:`postcrawl.index.flush_fts`). These tests check FTS5's own ``integrity-check``
(which fails when the index holds terms the table does not, or lacks some it does) after the
cases that could break that: a row replaced in the group that added it, a row replaced in a
later group, an edited row, an index made by the version that indexed row by row, and a
transaction committed without the flush.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from postcrawl import index
from postcrawl.archive import INDEX, ArchiveStore
from postcrawl.article_text import normalize_extracted
from postcrawl.extraction import Extracted

# The version-2 triggers: each article indexed as it was inserted.
_VERSION_2_TRIGGERS = """
DROP TRIGGER articles_ai;
DROP TRIGGER articles_ad;
DROP TRIGGER articles_au;
DROP TABLE fts_pending;
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, body)
    VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, body)
    VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO articles_fts(rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
PRAGMA user_version=2;
"""


def _article(n: int, url: str | None = None, words: str = "") -> Extracted:
    return normalize_extracted(
        Extracted(
            url=url or f"https://gd.spb.gov.cn/a/{n}.shtml",
            site="gd_spb",
            title=f"梅州市邮政管理局第{n}号通知",
            paragraphs=[f"梅州市邮政管理局部署寄递安全工作，编号{n:04d}。{words}"],
            published="2024-03-05 09:00:00",
        )
    )


def _row(n: int) -> dict[str, object]:
    article = _article(n)
    return index.article_row(
        {"hash": article.body_hash, "path": f"2024/03/{n}.txt", "title": article.title,
         "published": article.published, "site": "gd_spb"},
        article.paragraphs,
    )  # fmt: skip


def _matches(conn: sqlite3.Connection, phrase: str) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (f'"{phrase}"',)
        ).fetchone()[0]
    )


def _check(conn: sqlite3.Connection) -> None:
    """FTS5 integrity-check (raises on any disagreement with ``articles``), nothing pending."""
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
    assert conn.execute("SELECT count(*) FROM fts_pending").fetchone()[0] == 0


def test_replacing_rows_in_their_own_group_and_in_a_later_one(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with ArchiveStore(root, fsync=False) as store:
        with store.group():
            assert store.add(_article(1)).status == "stored"
        with store.group():
            # A repost, then the bureau's own page of the same body: the row added in this
            # group is deleted again before the group commits.
            repost = _article(2, url="https://www.dezhou.gov.cn/n/2.html")
            assert store.add(repost).status == "stored"
            assert store.add(_article(2), official=True).status == "replaced"
            assert store.add(_article(3)).status == "stored"
            # Article 1, indexed by the first group, replaced by a new body from its URL.
            new_body = _article(1, words="补充说明第二段文字。")
            assert store.supersede(new_body, _article(1).body_hash).status == "replaced"
    with sqlite3.connect(root / INDEX) as conn:
        _check(conn)
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
        assert _matches(conn, "补充说明第二段") == 1
        assert _matches(conn, "第2号通知") == 1
        assert _matches(conn, "邮政管理局") == 3


def test_an_edited_title_is_searched_by_its_new_words(tmp_path: Path) -> None:
    conn = index.connect(tmp_path / INDEX)
    with index.transaction(conn):
        index.insert_article(conn, _row(1))
        index.insert_article(conn, _row(2))
    with index.transaction(conn):
        conn.execute("UPDATE articles SET title = '潮州快递网点检查' WHERE path LIKE '%/1.txt'")
        conn.execute("UPDATE articles SET official_url = 'https://x/1' WHERE path LIKE '%/2.txt'")
    _check(conn)
    assert _matches(conn, "潮州快递网点") == 1
    assert _matches(conn, "第1号通知") == 0
    assert _matches(conn, "第2号通知") == 1


def test_an_index_of_the_row_by_row_version_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / INDEX
    conn = index.connect(path)
    conn.executescript(_VERSION_2_TRIGGERS)
    conn.execute("BEGIN")
    index.insert_article(conn, _row(1))
    index.insert_article(conn, _row(2))
    conn.execute("COMMIT")
    conn.close()

    conn = index.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == index.SCHEMA_VERSION
    with index.transaction(conn):
        index.insert_article(conn, _row(3))
        # Queued by the new trigger, not indexed row by row by the old one.
        assert conn.execute("SELECT count(*) FROM fts_pending").fetchone()[0] == 1
        index.delete_article(conn, _article(1).body_hash)  # indexed by the old trigger
    _check(conn)
    assert [_matches(conn, f"第{n}号通知") for n in (1, 2, 3)] == [0, 1, 1]


def test_rows_committed_without_the_flush_are_indexed_when_the_index_is_opened(
    tmp_path: Path,
) -> None:
    path = tmp_path / INDEX
    conn = index.connect(path)
    conn.execute("BEGIN")
    index.insert_article(conn, _row(1))
    conn.execute("COMMIT")  # no flush_fts
    assert _matches(conn, "第1号通知") == 0
    conn.close()

    conn = index.connect(path)
    _check(conn)
    assert _matches(conn, "第1号通知") == 1
