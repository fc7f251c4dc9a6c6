"""End to end, per aggregator spider: list page → article pages → archive, over real HTTP.

Each test serves the site's shape from a :class:`MirrorServer` on 127.0.0.1 (the saved fixture
pages as articles, list pages in the site's list shape) and runs ``scrapy crawl <name>`` in a
subprocess with delays off. Every site gets a non-postal article that the topic filter must
drop (except txyddy, whose sections are all postal), and a traditional page where the site has
one.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html

from postcrawl.archive import read_manifest
from postcrawl.document import parse
from postcrawl.extraction import select
from postcrawl.mirror.server import MirrorServer, Route
from postcrawl.sites import get_site
from tests.conftest import ROOT, Fixture, fixture_named

OFF_TOPIC = [
    "4月2日，衡阳市召开2024年全市安全生产工作会议，总结去年工作，部署今年重点任务。",
    "会议要求，各县市区要压紧压实安全生产责任，深入开展重大事故隐患排查整治，坚决遏制较大以上事故发生。",
    "会议还对森林防火、道路交通、城镇燃气等重点领域的安全工作作了安排。",
]


def mirror_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def article_page(fx: Fixture) -> Route:
    return Route(fx.html.read_bytes())


def off_topic_page(fx: Fixture, title: str) -> Route:
    """The fixture page with another article in it: same shape, a non-postal story."""
    tree = lxml.html.fromstring(fx.html.read_bytes())
    site = get_site(fx.expected["site"])
    for css in site.rules.title:
        for el in select(tree, css):
            el.text = title
            for child in list(el):
                el.remove(child)
    body = next(el for css in site.rules.body for el in select(tree, css))
    template = copy.deepcopy(body)
    body.clear()
    body.tag, body.attrib.update(template.attrib)
    for text in OFF_TOPIC:
        p = lxml.html.Element("p")
        p.text = text
        body.append(p)
    for el in select(tree, "title"):
        el.text = title
    return Route(lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>"))


def list_page(rows_container: str, rows: list[tuple[str, str, str]], next_href: str = "") -> Route:
    """A list page: *rows_container* is e.g. ``div.list`` / ``div.mod_bd``; rows are
    ``(href, title, date)``; *next_href* adds a pager with a 下一页 link."""
    tag, _, cls = rows_container.partition(".")
    items = "\n".join(
        f'<li><a href="{href}" target="_blank">{title}</a><span>{date}</span></li>'
        for href, title, date in rows
    )
    pager = f'<div class="pages"><a href="{next_href}">下一页</a></div>' if next_href else ""
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>列表</title></head><body>'
        '<div class="nav"><a href="/">首页</a></div>'
        f'<{tag} class="{cls}"><ul>{items}</ul></{tag}>{pager}'
        '<div class="footer">版权所有</div></body></html>'
    )
    return Route(html.encode("utf-8"))


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


def test_txyddy_lists_pages_and_archives_a_repost_with_its_claim(tmp_path: Path) -> None:
    shanxi = fixture_named("txyddy", "003_txyddy_shanxi")
    repost = fixture_named("txyddy", "004_txyddy_repost")
    routes = {
        "/hydt/": list_page(
            "div.list",
            [(mirror_path(shanxi.url), "秦红保在阳泉市调研督导…", "2023-09-11")],
            next_href="/hydt/list_2.html",
        ),
        "/hydt/list_2.html": list_page(
            "div.list", [(mirror_path(repost.url), "河源、梅州…政企联席会", "2023-10-26")]
        ),
        "/shjd/": list_page(
            "div.list", [(mirror_path(repost.url), "河源、梅州…政企联席会", "2023-10-26")]
        ),
        mirror_path(shanxi.url): article_page(shanxi),
        mirror_path(repost.url): article_page(repost),
    }
    data = tmp_path / "data"
    with MirrorServer(routes) as server:
        log = crawl("txyddy", server, data)
        assert server.hits["/hydt/list_2.html"] == 1
    records = archived(data)
    assert set(records) == {shanxi.url, repost.url}
    assert_archived_as_expected(records, shanxi)
    assert_archived_as_expected(records, repost)
    assert stat(log, "postcrawl/store/stored") == 2
    conn = sqlite3.connect(data / "index.sqlite3")
    claimed = conn.execute("SELECT claimed_original FROM urls WHERE url = ?", (repost.url,))
    assert claimed.fetchone()[0] == repost.expected["original_url"]


def test_e0734_traditional_page_stored_simplified_and_off_topic_skipped(tmp_path: Path) -> None:
    trad = fixture_named("e0734", "001_e0734_traditional")
    other_url = "http://www.e0734.com/index.php?a=show&catid=707&id=660301"
    routes = {
        "/index.php?a=lists&catid=707": list_page(
            "ul.list",
            [
                (mirror_path(other_url), "衡阳市召开安全生产工作会议", "2024-04-02"),
                (mirror_path(trad.url), "衡陽(yáng)市郵政普遍服務(wù)…", "2024-03-30"),
            ],
        ),
        # The CMS numbers list pages in the query; past the end it lists nothing.
        "/index.php?a=lists&catid=707&page=2": list_page("ul.list", []),
        mirror_path(trad.url): article_page(trad),
        mirror_path(other_url): off_topic_page(trad, "衡阳市召开2024年全市安全生产工作会议"),
    }
    data = tmp_path / "data"
    with MirrorServer(routes) as server:
        log = crawl("e0734", server, data)
        assert server.hits["/index.php?a=lists&catid=707&page=2"] == 1
        assert stat(log, "postcrawl/failed") == 0
        records = archived(data)
        assert set(records) == {trad.url}
        assert_archived_as_expected(records, trad)
        text = (data / records[trad.url]["path"]).read_text(encoding="utf-8")
        assert "(yáng)" not in text and "衡阳" in text and "衡陽" not in text
        assert stat(log, "postcrawl/topic/dropped") == 1
        assert seen_status(data)[other_url] == "skipped"
        # The next run fetches neither page again: one is archived, the other skipped.
        server.reset_hits()
        crawl("e0734", server, data)
        assert server.hits[mirror_path(trad.url)] == 0
        assert server.hits[mirror_path(other_url)] == 0
        assert server.hits["/index.php?a=lists&catid=707"] == 1
    skips = [r for r in read_manifest(data) if r and r.get("event") == "skip"]
    assert [(r["url"], r["reason"]) for r in skips] == [(other_url, "off-topic")]


def test_sxrb_both_url_shapes_and_pager(tmp_path: Path) -> None:
    trad = fixture_named("sxrb", "002_sxrb_traditional")
    old = fixture_named("sxrb", "005_sxrb_2019")
    other_url = "http://news.sxrb.com/GB/314064/10212999.html"
    routes = {
        "/GB/314064/index.html": list_page(
            "div.mod_bd",
            [(mirror_path(other_url), "全省安全生产工作会议召开", "2023-04-02")],
            next_href="/GB/314064/index2.html",
        ),
        "/GB/314064/index2.html": list_page(
            "div.mod_bd", [(mirror_path(trad.url), "山西省郵政管理局…", "2023-03-30")]
        ),
        "/sxxww/xwpd/sx/index.shtml": list_page(
            "ul.list",
            [(mirror_path(old.url), "全省邮政业安全生产工作会议在太原召开", "2019-05-10")],
        ),
        mirror_path(trad.url): article_page(trad),
        mirror_path(old.url): article_page(old),
        mirror_path(other_url): off_topic_page(old, "全省安全生产工作会议召开"),
    }
    data = tmp_path / "data"
    with MirrorServer(routes) as server:
        log = crawl("sxrb", server, data)
    records = archived(data)
    assert set(records) == {trad.url, old.url}
    assert_archived_as_expected(records, trad)
    assert_archived_as_expected(records, old)
    assert records[old.url]["source"] == "山西日报"
    assert stat(log, "postcrawl/topic/dropped") == 1
    assert stat(log, "postcrawl/normalize/traditional") == 1


def test_dezhou_portal_repost(tmp_path: Path) -> None:
    fx = fixture_named("dezhou", "000_dezhou_portal")
    other_url = "http://www.dezhoudaily.com/p/1512346.html"
    routes = {
        "/": list_page(
            "div.news-list",
            [
                (mirror_path(fx.url), "增速全省第一！德州邮政寄递业务首季“开门红”", "2024-05-11"),
                (mirror_path(other_url), "我市部署安全生产工作", "2024-05-11"),
            ],
        ),
        mirror_path(fx.url): article_page(fx),
        mirror_path(other_url): off_topic_page(fx, "我市部署安全生产工作"),
    }
    data = tmp_path / "data"
    with MirrorServer(routes) as server:
        log = crawl("dezhou", server, data)
    records = archived(data)
    assert set(records) == {fx.url}
    assert_archived_as_expected(records, fx)
    assert records[fx.url]["source"] == "德州发布"
    assert records[fx.url]["forwarded_from"] == "德州发布"
    assert stat(log, "postcrawl/topic/dropped") == 1
    assert json.dumps(records[fx.url]["doc"].paragraphs, ensure_ascii=False).count("今日热搜") == 0
