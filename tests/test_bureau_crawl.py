"""End to end: ``scrapy crawl gd_spb`` (a subprocess) against a local mirror over real HTTP.

The mirror (:class:`postcrawl.mirror.bureau.BureauMirror`) has a home page with navigation,
channels whose static lists show ten rows and a more-link naming the channel id, the search
API with each channel's whole history, 120 articles and the faults seen in the wild. Only the
delays are turned off.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from postcrawl.archive import article_files, read_manifest
from postcrawl.mirror import MirrorServer
from postcrawl.mirror.bureau import BureauMirror, MirrorArticle, invented_layout
from postcrawl.sites.bureaus import BUREAUS
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


def api_hits(server: MirrorServer) -> int:
    return sum(n for p, n in server.hits.items() if p.startswith("/common/search/"))


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

        # Discovery: every channel with articles, each paged through the API.
        assert stats["postcrawl/discovery/channels"] == 3
        assert stats["postcrawl/discovery/api_ok"] == 3
        assert stats["postcrawl/discovery/empty_lists"] == 1

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
        # The first run's discovery is remembered: no home page, and one request per channel
        # that holds articles (the empty list is not read again), no more page.
        assert stats["postcrawl/discovery/remembered"] == 3
        assert server.hits["/"] == 0 and list_hits == 3
        # Every channel's ten rows are known (the failed pages too: they are pending in the
        # frontier, re-requested first) and reach the watermark of the first run's complete
        # walk, so no channel pages its API.
        assert api_hits(server) == 0
        assert stats["postcrawl/list/stopped_at_watermark"] == 3
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
    # Items are done when their group commits in the pipeline process, so a crawl told to
    # close at 8 items still finishes the pages it already has: more than 8, never all 120.
    mirror = BureauMirror("gd", articles=120, page_size=10, faults=False)
    data, jobdir = tmp_path / "data", tmp_path / "job"
    once = {"JOBDIR": str(jobdir), "CONCURRENT_REQUESTS": "1"}
    with MirrorServer(mirror.routes()) as server:
        stats, _ = crawl(
            "gd_spb", server.base_url, data, settings={**once, "CLOSESPIDER_ITEMCOUNT": "8"}
        )
        assert stats["finish_reason"] == "closespider_itemcount"
        first = stats["postcrawl/store/stored"]
        assert 8 <= first < 120
        stats, _ = crawl("gd_spb", server.base_url, data, settings=once)
        assert stats["finish_reason"] == "finished"
        assert first + stats["postcrawl/store/stored"] == 120
        hits = article_hits(server, mirror)
        assert len(hits) == 120 and set(hits.values()) == {1}
        # The resumed run did not start the lists over.
        assert server.hits[mirror.list_path(mirror.channels[0])] == 1


def test_discovery_finds_a_layout_the_site_table_does_not_know(tmp_path: Path) -> None:
    """A prefix and channel codes that appear nowhere in the site table: every article of
    every channel is archived, those only the API lists included; a re-run fetches nothing;
    new articles are fetched exactly once."""
    layout = invented_layout("gd")
    table = {b.prefix for b in BUREAUS} | {
        code for b in BUREAUS for c in b.hint_channels for code in c.path.split("/")
    }
    assert layout.prefix not in table
    assert not {code for c in layout.channels for code in c.path.split("/")} & table
    mirror = BureauMirror("gd", articles=150, layout=layout)
    expected = mirror.expected()
    static = {a.listed_path for a in mirror.static_articles()}
    api_only = [a for a in expected.values() if a.listed_path not in static]
    assert len(api_only) > 60
    data = tmp_path / "data"
    with MirrorServer(mirror.routes()) as server:
        stats, _ = crawl("gd_spb", server.base_url, data)
        records = stored(data)
        assert len(records) == len(expected) == stats["postcrawl/store/stored"]
        for article in api_only:
            # The duplicate pair is archived once, under whichever URL was fetched first.
            paths = {a.home_path for a in mirror.articles if a.paragraphs == article.paragraphs}
            assert any(u.endswith(p) for u in records for p in paths), article
        # The statistics list's articles live under another channel's path.
        under_other = [a for a in expected.values() if a.channel.article_path]
        assert under_other and all(
            any(u.endswith(a.home_path) for u in records) for a in under_other
        )
        listed = {c["label"]: c for c in stats["postcrawl/discovery/channel_list"]}
        assert set(listed) == {"工作动态", "通知公告", "统计信息"}
        for channel in mirror.channels:
            assert listed[channel.label]["channel_id"] == channel.channel_id
            assert listed[channel.label]["code"] == channel.code
            assert listed[channel.label]["api"] == "yes"

        server.reset_hits()
        stats, _ = crawl("gd_spb", server.base_url, data)
        assert set(article_hits(server, mirror)) == {
            by_fault(mirror, "missing").listed_path,
            by_fault(mirror, "empty").listed_path,
        }
        assert "postcrawl/store/stored" not in stats

        new = mirror.add_articles(4)
        server.routes.update(mirror.routes())
        server.reset_hits()
        stats, _ = crawl("gd_spb", server.base_url, data)
        hits = article_hits(server, mirror)
        assert {a.listed_path for a in new} <= set(hits)
        assert all(hits[a.listed_path] == 1 for a in new)
        assert stats["postcrawl/store/stored"] == 4


def test_api_down_keeps_the_static_rows(tmp_path: Path) -> None:
    mirror = BureauMirror("gd", articles=120, layout=invented_layout("gd"), api=False)
    static = [a for a in mirror.static_articles() if a.retrievable]
    reachable = {a.home_path for a in static}
    data = tmp_path / "data"
    with MirrorServer(mirror.routes()) as server:
        stats, _ = crawl("gd_spb", server.base_url, data)
        assert stats["postcrawl/discovery/api_fallback"] == 3
        assert "postcrawl/discovery/api_ok" not in stats
        # The more page that lists its rows was read; the script shells too (no rows).
        assert sum(n for p, n in server.hits.items() if "common_listmore" in p) == 3
    records = stored(data)
    assert {urlsplit(u).path for u in records} <= reachable
    assert len(records) == len({a.paragraphs for a in static})  # one per distinct body
    assert len(records) > 3 * mirror.page_size  # more than the three static lists


def test_no_navigation_falls_back_to_the_row_hints(tmp_path: Path) -> None:
    # gd's row hints 工作动态 c100057/c100061 under gdsyzglj: that channel is still found.
    mirror = BureauMirror("gd", articles=60, faults=False, nav=False)
    data = tmp_path / "data"
    with MirrorServer(mirror.routes()) as server:
        stats, _ = crawl("gd_spb", server.base_url, data)
    assert stats["postcrawl/discovery/hints_used"] == 1
    (hinted,) = stats["postcrawl/discovery/channel_list"]
    assert (hinted["label"], hinted["source"], hinted["api"]) == ("工作动态", "hint", "yes")
    work = [a for a in mirror.articles if a.channel.label == "工作动态"]
    assert stats["postcrawl/store/stored"] == len(work)


def test_channels_argument_includes_and_excludes(tmp_path: Path) -> None:
    mirror = BureauMirror("gd", articles=60, faults=False, layout=invented_layout("gd"))
    with MirrorServer(mirror.routes()) as server:
        stats, _ = crawl("gd_spb", server.base_url, tmp_path / "a", "channels=-统计信息")
        labels = {c["label"] for c in stats["postcrawl/discovery/channel_list"]}
        assert labels == {"工作动态", "通知公告"}
        assert stats["postcrawl/store/stored"] == sum(
            1 for a in mirror.articles if a.channel.label != "统计信息"
        )
        stats, _ = crawl("gd_spb", server.base_url, tmp_path / "b", "channels=通知公告,c900102")
        labels = {c["label"] for c in stats["postcrawl/discovery/channel_list"]}
        assert labels == {"工作动态", "通知公告"}


def test_a_remembered_channel_that_fails_makes_the_next_run_rediscover(tmp_path: Path) -> None:
    mirror = BureauMirror("gd", articles=40, page_size=20, faults=False)
    data = tmp_path / "data"
    routes = mirror.routes()
    with MirrorServer(routes) as server:
        stats, _ = crawl("gd_spb", server.base_url, data)
        remembered = stats["postcrawl/discovery/remembered_for_next_run"]
        assert remembered == stats["postcrawl/discovery/channels"] >= 2
        # The site moves one channel's list away: the remembered list answers 404.
        gone = next(p for p in server.routes if p.endswith("/common_list.shtml"))
        del server.routes[gone]
        server.reset_hits()
        stats, _ = crawl("gd_spb", server.base_url, data)
        assert server.hits["/"] == 0 and server.hits[gone] == 1  # went straight to the lists
        assert stats["postcrawl/discovery/remembered"] == remembered
        # So the next run reads the home page's navigation again.
        server.reset_hits()
        stats, _ = crawl("gd_spb", server.base_url, data)
        assert server.hits["/"] == 1 and "postcrawl/discovery/remembered" not in stats
        # With POSTCRAWL_REDISCOVER_DAYS=0 every run discovers the site.
        server.reset_hits()
        crawl("gd_spb", server.base_url, data, settings={"POSTCRAWL_REDISCOVER_DAYS": "0"})
        assert server.hits["/"] == 1


def test_the_steps_make_the_same_archive_in_the_pipeline_process_and_on_the_reactor(
    tmp_path: Path,
) -> None:
    """The pipeline process (the default) and POSTCRAWL_PIPELINE_PROCESS=False run the same
    groups: the same articles, files and stats; the process commits in groups."""
    mirror = BureauMirror("gd", articles=120, page_size=20)
    results = {}
    with MirrorServer(mirror.routes()) as server:
        for mode in ("True", "False"):
            data = tmp_path / f"data-{mode}"
            data.parent.mkdir(exist_ok=True)
            stats, _ = crawl(
                "gd_spb", server.base_url, data, settings={"POSTCRAWL_PIPELINE_PROCESS": mode}
            )
            results[mode] = (
                sorted(p.relative_to(data).as_posix() for p in article_files(data)),
                {k: v for k, v in stats.items() if k.startswith("postcrawl/store/")},
                stats.get("postcrawl/failed", 0),
                stats,
            )
    process, inline = results["True"], results["False"]
    assert process[0] == inline[0] and len(process[0]) >= 100
    assert process[1] == inline[1] and process[2] == inline[2] > 0  # the mirror's faults
    # Items are counted done once, each in one group; groups held several items at a time.
    assert process[3]["item_scraped_count"] == inline[3]["item_scraped_count"] >= 100
    assert process[3]["postcrawl/pipeline/groups"] < process[3]["item_scraped_count"]
