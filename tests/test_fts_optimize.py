"""A crawl's end merges the full-text index's segments; searches find the same articles after.

A crawl writes one segment per transaction (a group commit); the crawl's end
(:func:`postcrawl.crawl_archive.finish_crawl`, run when the last crawler of the process closes
its archive) runs FTS5 ``optimize`` if articles were added since it last ran
(:func:`postcrawl.index.optimize_fts`), so searches between crawls seek in one segment.
"""

from __future__ import annotations

import logging
import random
import sqlite3
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.utils.test import get_crawler

from postcrawl import index
from postcrawl.archive import INDEX, ArchiveStore
from postcrawl.article_text import normalize_extracted
from postcrawl.crawl_archive import archive_for, finish_crawl
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.extraction import Extracted
from postcrawl.reader import Corpus, Filters
from postcrawl.reader import corpus as corpus_module

PLACES = ["河源", "梅州", "茂名", "潮州", "阳泉", "晋城"]
WORDS = "网点驿站包装服务市场渠道企业物流通道设施网络线路车辆站点设备平台数据标准制度队伍人员"


def _article(n: int) -> Extracted:
    """A short bureau notice; a line of its own words keeps it from being a near-duplicate."""
    place = PLACES[n % len(PLACES)]
    rng = random.Random(n)
    own = "".join(rng.choice(WORDS) for _ in range(40))
    return normalize_extracted(
        Extracted(
            url=f"https://gd.spb.gov.cn/a/{n}.shtml",
            site="gd_spb",
            title=f"{place}市邮政管理局召开第{n}次会议",
            paragraphs=[
                f"{place}市邮政管理局部署寄递渠道安全工作，编号{n:04d}。",
                f"会议要求各快递企业落实快递包裹实名收寄制度，第{n}项任务由{place}负责。",
                f"会议还研究了{own}等事项。",
            ],
            published=f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d} 09:00:00",
            source="广东省邮政管理局",
        )
    )


def _add(store: ArchiveStore, first: int, count: int) -> None:
    """Archive *count* articles, one store call (and index transaction) each."""
    for n in range(first, first + count):
        assert store.add(_article(n), official=True, province="广东").status == "stored"


def _fill(root: Path, first: int, count: int, *, crawl_end: bool = True) -> None:
    """A crawl run: *count* articles, then the crawl's end (unless not *crawl_end*)."""
    with ArchiveStore(root, fsync=False) as store:
        _add(store, first, count)
        if crawl_end:
            finish_crawl(store)


def _segments(root: Path) -> int:
    with sqlite3.connect(root / INDEX) as conn:
        return index.fts_segments(conn)


def _searches(root: Path) -> dict[str, list[str]]:
    """Every search way's answers (sorted matches, walks) for a few words."""
    out = {}
    with Corpus(root) as corpus:
        for query in ("邮政管理局", "快递包裹", "河源市邮政", "编号0007", "第3项任务", "阳泉 寄递"):
            for limit in (5, None):
                hits = corpus.search(query, Filters(), limit=limit)
                out[f"{query}/{limit}"] = [h.hash for h in hits]
    return out


def test_a_crawl_end_merges_the_segments_and_searches_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    _fill(root, 0, 40, crawl_end=False)
    assert _segments(root) > 1
    before = _searches(root)
    monkeypatch.setattr(corpus_module, "COMMON_MATCHES", 1)  # the walk, on many segments
    walked_before = _searches(root)
    monkeypatch.setattr(corpus_module, "COMMON_MATCHES", 2000)

    with ArchiveStore(root, fsync=False) as store:
        assert finish_crawl(store).optimized  # a crawl's end with 40 articles not yet merged
    assert _segments(root) == 1
    assert _searches(root) == before
    monkeypatch.setattr(corpus_module, "COMMON_MATCHES", 1)
    assert _searches(root) == walked_before == before
    assert all(before[f"{q}/None"] for q in ("邮政管理局", "编号0007", "阳泉 寄递"))
    with sqlite3.connect(root / INDEX) as conn:
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        assert index.articles_since_optimize(conn) == 0


def test_a_crawl_end_with_few_new_articles_leaves_the_index_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    monkeypatch.setattr(index, "FTS_OPTIMIZE_AFTER", 30)
    _fill(root, 0, 30)
    assert _segments(root) == 1
    _fill(root, 30, 12)  # 12 new: below the threshold, so this crawl's end does not merge
    with sqlite3.connect(root / INDEX) as conn:
        assert index.articles_since_optimize(conn) == 12
    assert _segments(root) > 1
    _fill(root, 42, 18)  # 30 since the last merge: this one does
    assert _segments(root) == 1
    with ArchiveStore(root, fsync=False) as store:  # nothing new: nothing to do
        assert finish_crawl(store) == index.FtsOptimize(0, False)


def test_a_small_run_on_a_large_archive_waits_for_a_share_of_new_articles(tmp_path: Path) -> None:
    """A run adding under 5 % of the archive leaves the merge to a later run."""
    root = tmp_path / "data"
    _fill(root, 0, 100)
    assert _segments(root) == 1
    _fill(root, 100, 3)  # 3 new of 103: under 5 %
    assert _segments(root) > 1
    _fill(root, 103, 3)  # 6 new of 106: at least 5 %
    assert _segments(root) == 1


def test_the_last_crawler_of_a_process_to_close_ends_the_crawl(tmp_path: Path) -> None:
    root = tmp_path / "data"
    settings = {"POSTCRAWL_DATA_DIR": str(root), "POSTCRAWL_FSYNC": False}
    first, second = get_crawler(settings_dict=settings), get_crawler(settings_dict=settings)
    _add(archive_for(first), 0, 20)
    _add(archive_for(second), 20, 20)
    first.signals.send_catch_log(signals.engine_stopped)  # the other site still crawls
    assert _segments(root) > 1
    second.signals.send_catch_log(signals.engine_stopped)
    assert _segments(root) == 1


def test_a_crawl_stopped_by_an_archive_error_does_not_merge(tmp_path: Path) -> None:
    root = tmp_path / "data"
    crawler = get_crawler(settings_dict={"POSTCRAWL_DATA_DIR": str(root), "POSTCRAWL_FSYNC": False})
    _add(archive_for(crawler), 0, 20)
    assert crawler.stats is not None
    crawler.stats.set_value(ARCHIVE_ERROR_KEY, "disk full")
    crawler.signals.send_catch_log(signals.engine_stopped)
    assert _segments(root) > 1


def test_rebuilt_rowids_count_as_new(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _fill(root, 0, 8)
    with sqlite3.connect(root / INDEX) as conn:
        with conn:
            conn.execute("DELETE FROM articles")  # emptied (not by index.clear): rowids restart
        assert index.articles_since_optimize(conn) == 0
    _fill(root, 100, 3, crawl_end=False)
    with sqlite3.connect(root / INDEX) as conn:
        assert index.articles_since_optimize(conn) == 3


def test_a_locked_index_is_left_unoptimized_without_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "data"
    _fill(root, 0, 6, crawl_end=False)
    conn = index.connect(root / INDEX)
    conn.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(root / INDEX, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        with caplog.at_level(logging.WARNING, logger="postcrawl.index"):
            result = index.optimize_fts(conn, after=1)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not result.optimized and result.new_articles == 6
    assert "not optimized" in caplog.text
    assert index.optimize_fts(conn, after=1).optimized
    assert index.optimize_fts(conn, after=1) == index.FtsOptimize(0, False)
    conn.close()
