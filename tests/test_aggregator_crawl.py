"""End to end, per aggregator spider: list page → article pages → archive, over real HTTP.

Each test serves the site's :class:`~postcrawl.mirror.aggregators.AggregatorMirror` (its saved
pages, the same files as the extraction fixtures, generated articles in the same layout, list
pages in the site's list shape) from a :class:`MirrorServer` on 127.0.0.1 and runs ``scrapy
crawl <name>`` in a subprocess with delays off. Every site gets a non-postal article that the
topic filter must drop (except txyddy, whose sections are all postal), and a traditional page
where the site has one.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from postcrawl.archive import read_manifest
from postcrawl.chinese_text import clean_line, clean_paragraphs
from postcrawl.document import parse
from postcrawl.mirror.aggregators import AggregatorMirror, MirrorPage, aggregator_mirrors
from postcrawl.mirror.server import MirrorServer
from tests.conftest import FIXTURES, ROOT, Fixture, fixture_named


def crawl(name: str, server: MirrorServer, data: Path, *extra: str) -> str:
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        name,
        "-a",
        f"base_url={server.base_url}",
        *extra,
        "-s",
        f"POSTCRAWL_DATA_DIR={data}",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "POSTCRAWL_RETRY_BACKOFF_BASE=0",
        "-s",
        "ROBOTSTXT_OBEY=False",
        "-s",
        "POSTCRAWL_FSYNC=False",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def stat(log: str, key: str) -> int:
    marker = f"'{key}': "
    if marker not in log:
        return 0
    return int(log.split(marker, 1)[1].split(",", 1)[0].split("}", 1)[0])


def archived(data: Path) -> dict[str, dict]:
    """Manifest article records by URL, with the stored file's document."""
    out = {}
    for record in read_manifest(data):
        if record and record.get("event") == "article":
            record["doc"] = parse((data / record["path"]).read_text(encoding="utf-8"))
            out[record["url"]] = record
    return out


def seen_status(data: Path) -> dict[str, str]:
    conn = sqlite3.connect(data / "index.sqlite3")
    try:
        return dict(conn.execute("SELECT url, status FROM seen").fetchall())
    finally:
        conn.close()


def assert_archived_as_expected(records: dict[str, dict], fx: Fixture) -> None:
    record = records[fx.url]
    assert list(record["doc"].paragraphs) == fx.expected["paragraphs"]
    assert record["doc"].title == fx.expected["title"]
    assert record["published"] == fx.expected["published"]
    assert record["original_url"] == fx.expected["original_url"]


def assert_generated_archived(records: dict[str, dict], page: MirrorPage) -> None:
    """A generated article reads as what the mirror wrote into it (in its stored form)."""
    record = records[page.url]
    assert list(record["doc"].paragraphs) == clean_paragraphs(page.paragraphs)
    assert record["doc"].title == clean_line(page.title)
    assert record["published"] == page.published
    assert record["source"] == page.source


def assert_all_archived(records: dict[str, dict], mirror: AggregatorMirror) -> None:
    """Exactly the mirror's postal articles, each as its fixture or the mirror says."""
    assert set(records) == {page.url for page in mirror.expected()}
    for page in mirror.expected():
        if page.saved:
            assert_archived_as_expected(records, fixture_named(mirror.name, Path(page.saved).stem))
        else:
            assert_generated_archived(records, page)


@pytest.mark.parametrize("mirror", aggregator_mirrors(), ids=lambda m: m.name)
def test_the_mirrors_saved_pages_are_the_fixture_pages(mirror: AggregatorMirror) -> None:
    """The package's copies of the saved pages (the mirror must not need tests/) are the
    fixture files, byte for byte, and each is served at its fixture's URL."""
    saved = [page for page in mirror.articles() if page.saved]
    assert saved
    for page in saved:
        fixture = fixture_named(mirror.name, Path(page.saved).stem)
        assert mirror.article_page(page) == (FIXTURES / mirror.name / page.saved).read_bytes()
        assert page.url == fixture.url


def test_txyddy_lists_pages_and_archives_a_repost_with_its_claim(tmp_path: Path) -> None:
    mirror = AggregatorMirror("txyddy")
    shanxi = fixture_named("txyddy", "003_txyddy_shanxi")
    repost = fixture_named("txyddy", "004_txyddy_repost")
    assert len(mirror.expected()) == 4 and not mirror.off_topic()
    data = tmp_path / "data"
    with MirrorServer(mirror.routes()) as server:
        log = crawl("txyddy", server, data)
        assert server.hits["/hydt/list_12_2.html"] == 1  # the pager's 下一页
        assert server.hits["/shjd/"] == 1
    records = archived(data)
    assert {shanxi.url, repost.url} <= set(records)
    assert_all_archived(records, mirror)
    assert stat(log, "postcrawl/store/stored") == 4
    conn = sqlite3.connect(data / "index.sqlite3")
    claimed = conn.execute("SELECT claimed_original FROM urls WHERE url = ?", (repost.url,))
    assert claimed.fetchone()[0] == repost.expected["original_url"]
    assert mirror.saved_page("004_txyddy_repost").repost_of == repost.expected["original_url"]


def test_e0734_traditional_page_stored_simplified_and_off_topic_skipped(tmp_path: Path) -> None:
    mirror = AggregatorMirror("e0734")
    trad = fixture_named("e0734", "001_e0734_traditional")
    (other,) = mirror.off_topic()
    other_url = other.url
    first = "/index.php?a=lists&catid=707"
    data = tmp_path / "data"
    with MirrorServer(mirror.routes()) as server:
        log = crawl("e0734", server, data)
        # The CMS numbers list pages in the query; past the end it lists nothing.
        assert server.hits[first + "&page=2"] == 1
        assert server.hits[first + "&page=3"] == 1
        assert stat(log, "postcrawl/failed") == 0
        records = archived(data)
        assert trad.url in records
        assert_all_archived(records, mirror)
        text = (data / records[trad.url]["path"]).read_text(encoding="utf-8")
        assert "(yáng)" not in text and "衡阳" in text and "衡陽" not in text
        assert stat(log, "postcrawl/topic/dropped") == 1
        assert seen_status(data)[other_url] == "skipped"
        # The next run fetches no article again: each is archived or skipped.
        server.reset_hits()
        crawl("e0734", server, data)
        for page in mirror.articles():
            assert server.hits[page.path] == 0, page.url
        assert server.hits[first] == 1
    skips = [r for r in read_manifest(data) if r and r.get("event") == "skip"]
    assert [(r["url"], r["reason"]) for r in skips] == [(other_url, "off-topic")]


def test_sxrb_both_url_shapes_and_pager(tmp_path: Path) -> None:
    mirror = AggregatorMirror("sxrb")
    trad = fixture_named("sxrb", "002_sxrb_traditional")
    old = fixture_named("sxrb", "005_sxrb_2019")
    pages = mirror.expected()
    # Both page generations, saved and generated.
    assert any(p.path.startswith("/GB/") and p.generated is False for p in pages)
    assert any(p.path.startswith("/sxxww/") and p.generated for p in pages)
    data = tmp_path / "data"
    with MirrorServer(mirror.routes()) as server:
        log = crawl("sxrb", server, data)
        assert server.hits["/GB/314064/index2.html"] == 1  # the pager's 下一页
    records = archived(data)
    assert {trad.url, old.url} <= set(records)
    assert_all_archived(records, mirror)
    assert records[old.url]["source"] == "山西日报"
    assert stat(log, "postcrawl/topic/dropped") == 1
    assert stat(log, "postcrawl/normalize/traditional") == 1
    assert stat(log, "postcrawl/store/stored") == len(pages) == 5


def test_dezhou_portal_repost(tmp_path: Path) -> None:
    mirror = AggregatorMirror("dezhou")
    fx = fixture_named("dezhou", "000_dezhou_portal")
    data = tmp_path / "data"
    with MirrorServer(mirror.routes()) as server:
        log = crawl("dezhou", server, data)
    records = archived(data)
    assert fx.url in records
    assert_all_archived(records, mirror)
    assert records[fx.url]["source"] == "德州发布"
    assert records[fx.url]["forwarded_from"] == "德州发布"
    assert stat(log, "postcrawl/topic/dropped") == 1
    assert stat(log, "postcrawl/store/stored") == 2
    for record in records.values():
        assert json.dumps(record["doc"].paragraphs, ensure_ascii=False).count("今日热搜") == 0
