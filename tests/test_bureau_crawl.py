"""End to end: ``scrapy crawl gd_spb`` (a subprocess) against a local mirror over real HTTP.

The mirror (:class:`postcrawl.mirror.bureau.BureauMirror`) has two channels with pagination,
120 listed articles and the faults of sites.md §1. Only the delays are turned off.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from postcrawl.archive import article_files, read_manifest
from postcrawl.mirror import MirrorServer
from postcrawl.mirror.bureau import BureauMirror, MirrorArticle
from tests.conftest import ROOT

REAL = "https://gd.spb.gov.cn"


def crawl(
    spider: str, base_url: str, data: Path, *args: str, settings: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str]:
    """Run ``scrapy crawl`` as operators do (delays off); the final stats and the log."""
    stats_file = data.parent / f"stats-{len(list(data.parent.glob('stats-*')))}.json"
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={base_url}"]
    for arg in args:
        cmd += ["-a", arg]
    for key, value in {
        "POSTCRAWL_DATA_DIR": str(data),
        "POSTCRAWL_STATS_FILE": str(stats_file),
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
        "POSTCRAWL_RETRY_BACKOFF_BASE": "0",
        "POSTCRAWL_FSYNC": "False",
        **(settings or {}),
    }.items():
        cmd += ["-s", f"{key}={value}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(stats_file.read_text(encoding="utf-8")), proc.stderr


def stored(data: Path) -> dict[str, dict[str, Any]]:
    """The manifest's article records by URL."""
    return {r["url"]: r for r in read_manifest(data) if r and r.get("event") == "article"}


def article_hits(server: MirrorServer, mirror: BureauMirror) -> Counter[str]:
    """Requests the mirror received for article pages (lists, API and robots.txt left out)."""
    paths = {a.listed_path for a in mirror.articles} | {a.home_path for a in mirror.articles}
    return Counter({p: n for p, n in server.hits.items() if p in paths})


def by_fault(mirror: BureauMirror, fault: str) -> MirrorArticle:
    return next(a for a in mirror.articles if a.fault == fault)


def test_gd_spb_archives_the_mirror_once_then_only_what_is_new(tmp_path: Path) -> None:
    mirror = BureauMirror("gd", articles=120, page_size=20)
    data = tmp_path / "data"
    expected = mirror.expected()
    assert len(expected) >= 100
    with MirrorServer(mirror.routes()) as server:
        # -- first run: everything retrievable, once -------------------------------------
        stats, log = crawl("gd_spb", server.base_url, data)
        records = stored(data)
        files = list(article_files(data))
        assert len(files) == len(records) == len(expected) == stats["postcrawl/store/stored"]
        assert len({r["hash"] for r in records.values()}) == len(records)
        for article in expected.values():
            urls = {REAL + article.home_path}
            if article.fault == "duplicate" or any(
                a.fault == "duplicate" and a.paragraphs == article.paragraphs
                for a in mirror.articles
            ):
                urls = {
                    REAL + a.home_path
                    for a in mirror.articles
                    if a.paragraphs == article.paragraphs
                }
            (record,) = [records[u] for u in urls if u in records]
            # Dated by the list (the page's PubDate meta is 9 days later on purpose).
            assert record["path"].startswith(article.day.replace("-", "/") + "/"), record
            assert record["title"] == article.title
            assert record["site"] == "gd_spb" and record["official"] is True
        text = {p.read_text(encoding="utf-8") for p in files}
        assert any(by_fault(mirror, "gb18030").title in t for t in text)

        hits = article_hits(server, mirror)
        retry, missing, empty = (by_fault(mirror, f) for f in ("retry", "missing", "empty"))
        assert hits[retry.home_path] == 2  # a 500, then the page
        assert hits[by_fault(mirror, "robots").listed_path] == 0  # robots.txt obeyed
        assert server.hits["/robots.txt"] == 1
        for article in mirror.articles:
            if article.fault not in ("retry", "robots"):
                assert hits[article.listed_path] == 1, article
        # The duplicate pair: both fetched, one file, the second URL in the provenance.
        assert stats["postcrawl/dedupe/duplicate"] == 1
        # Failures: counted, and listed in the run summary.
        assert stats["postcrawl/failed"] == 3
        failed = {f.split(" ")[0] for f in stats["postcrawl/failures"]}
        assert failed == {
            REAL + missing.listed_path,
            REAL + empty.listed_path,
            REAL + by_fault(mirror, "robots").listed_path,
        }
        summary = log[log.index("postcrawl run summary") :]
        assert "failed URLs this run (3)" in summary
        assert f"{REAL}{missing.listed_path} (HTTP 404)" in summary
        assert f"{REAL}{empty.listed_path} (empty 200 answer)" in summary
        assert "Forbidden by robots.txt" in summary

        # -- second run, nothing changed: list pages only, plus the failed ones again ----------
        server.reset_hits()
        stats, log = crawl("gd_spb", server.base_url, data)
        hits = article_hits(server, mirror)
        assert set(hits) == {missing.listed_path, empty.listed_path}  # robots.txt still obeyed
        assert stats["postcrawl/frontier/pending_at_start"] == 3  # the failures, first
        assert "postcrawl/store/stored" not in stats
        assert stats["postcrawl/list/stopped_at_watermark"] >= 1
        # Failures stay in the summary, run after run, until they succeed or are given up.
        summary = log[log.index("postcrawl run summary") :]
        assert "failures still outstanding, retried next run (3)" in summary
        assert f"{REAL}{missing.listed_path} (HTTP 404; failed 2 runs)" in summary
        list_hits = sum(n for p, n in server.hits.items() if "common_list" in p)
        assert 2 <= list_hits < 6  # both channels' first pages, not every page
        assert len(list(article_files(data))) == len(expected)

        # -- five new articles: exactly those are fetched ------------------------------------
        new = mirror.add_articles(5)
        server.routes.update(mirror.routes())
        server.reset_hits()
        stats, _ = crawl("gd_spb", server.base_url, data)
        hits = article_hits(server, mirror)
        assert set(hits) == {a.listed_path for a in new} | {missing.listed_path, empty.listed_path}
        assert all(n == 1 for n in hits.values())
        assert stats["postcrawl/store/stored"] == 5
        records = stored(data)
        for article in new:
            assert records[REAL + article.listed_path]["path"].startswith(
                article.day.replace("-", "/")
            )

        # -- full=1: a backfill fetches every article again, stores nothing new ---------------
        server.reset_hits()
        stats, _ = crawl("gd_spb", server.base_url, data, "full=1")
        assert stats.get("postcrawl/store/stored", 0) == 0
        assert stats["postcrawl/dedupe/duplicate"] == len(expected) + 5 + 1
        assert len(list(article_files(data))) == len(expected) + 5


def test_jobdir_resume_fetches_each_article_once(tmp_path: Path) -> None:
    mirror = BureauMirror("gd", articles=40, page_size=10, faults=False)
    data, jobdir = tmp_path / "data", tmp_path / "job"
    once = {"JOBDIR": str(jobdir), "CONCURRENT_REQUESTS": "1"}
    with MirrorServer(mirror.routes()) as server:
        stats, _ = crawl(
            "gd_spb", server.base_url, data, settings={**once, "CLOSESPIDER_ITEMCOUNT": "8"}
        )
        assert stats["finish_reason"] == "closespider_itemcount"
        first = stats["postcrawl/store/stored"]
        assert first < 40
        stats, _ = crawl("gd_spb", server.base_url, data, settings=once)
        assert stats["finish_reason"] == "finished"
        assert first + stats["postcrawl/store/stored"] == 40
        hits = article_hits(server, mirror)
        assert len(hits) == 40 and set(hits.values()) == {1}
        # The resumed run did not start the lists over.
        assert server.hits[mirror.list_path(mirror.bureau.channels[0], 1)] == 1


@pytest.mark.parametrize("api", [True, False], ids=["api", "api-down"])
def test_spb_reads_the_search_api_or_falls_back_to_lists(tmp_path: Path, api: bool) -> None:
    mirror = BureauMirror("www", articles=130, page_size=50, faults=False)
    routes = mirror.routes()
    if not api:
        routes = {k: v for k, v in routes.items() if not k.startswith("/common/search/")}
    data = tmp_path / "data"
    with MirrorServer(routes) as server:
        stats, _ = crawl("spb", server.base_url, data)
        api_hits = sum(n for p, n in server.hits.items() if p.startswith("/common/search/"))
        list_hits = sum(n for p, n in server.hits.items() if "common_list" in p)
        if api:
            # 65 results a channel: two pages reach data.total; the lists are not read.
            assert (api_hits, list_hits, stats["postcrawl/api/pages"]) == (4, 0, 4)
            assert "postcrawl/api/fallback" not in stats
        else:
            assert stats["postcrawl/api/fallback"] == 2
            assert list_hits == 4
        assert stats["postcrawl/store/stored"] == 130
        records = stored(data)
        for article in mirror.articles:
            record = records[f"https://www.spb.gov.cn{article.listed_path}"]
            assert record["path"].startswith(article.day.replace("-", "/"))
            assert record["source"] == "国家邮政局"
