"""Run reports and monitors (postcrawl/runs.py): a crawl that archives navigation and a
maintenance notice instead of articles, or whose lists went empty, is ``broken``, named, and
exits 1; nothing boilerplate-only is archived and no URL of it is marked seen."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from postcrawl import runs
from postcrawl.archive import article_files, read_manifest
from postcrawl.extraction import ExtractionError, boilerplate_reason, extract_article
from postcrawl.items import ArticleItem, FetchedPage
from postcrawl.mirror import MirrorServer
from postcrawl.mirror.bureau import BureauMirror
from postcrawl.mirror.server import Route
from postcrawl.pipelines.dedupe import DedupePipeline
from postcrawl.pipelines.extract import ExtractPipeline
from postcrawl.pipelines.normalize import NormalizePipeline
from postcrawl.pipelines.store import StorePipeline
from tests.conftest import ROOT

NOTICE = "尊敬的用户:本网站正在进行系统升级维护,文章内容暂时无法显示,给您带来的不便敬请谅解。"
MENU = [
    "首页",
    "机构概况",
    "政务公开",
    "新闻中心",
    "行业动态",
    "通知公告",
    "政策法规",
    "办事服务",
    "互动交流",
    "专题专栏",
    "邮政业安全",
    "快递市场监管",
]
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "POSTCRAWL_RETRY_BACKOFF_BASE": "0",
    "POSTCRAWL_FSYNC": "False",
    "POSTCRAWL_WARC_ENABLED": "False",
}


def under_maintenance(page: bytes) -> bytes:
    """The reported failure: the article text moved out of ``.detail-news``, which now holds a
    short notice, and a site menu plus a maintenance notice sit above the page."""
    html = page.decode("utf-8")
    html, n = re.subn(
        r'<div class="detail-news">.*?</div>\s*</div>',
        '<div class="detail-news"><p>系统维护中</p></div>',
        html,
        flags=re.S,
    )
    assert n == 1
    nav = "".join(
        f'<li><a href="/gdsyzglj/c{i}/common_list.shtml">{t}</a></li>' for i, t in enumerate(MENU)
    )
    return html.replace(
        '<div class="w1200 crumb">',
        f'<div class="nav"><ul>{nav}</ul></div><div class="notice"><p>{NOTICE}</p></div>'
        '<div class="w1200 crumb">',
    ).encode("utf-8")


def maintenance_routes(mirror: BureauMirror) -> dict[str, Route]:
    routes = mirror.routes()
    for article in mirror.articles:
        route = routes[article.home_path]
        routes[article.home_path] = Route(
            under_maintenance(route.body), content_type=route.content_type
        )
    return routes


def crawl(base_url: str, data: Path, **settings: str) -> tuple[int, dict[str, Any], str]:
    stats_file = data.parent / f"stats-{len(list(data.parent.glob('stats-*')))}.json"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "gd_spb", "-a", f"base_url={base_url}"]
    for key, value in {
        **FAST,
        "POSTCRAWL_DATA_DIR": str(data),
        "POSTCRAWL_STATS_FILE": str(stats_file),
        **settings,
    }.items():
        cmd += ["-s", f"{key}={value}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180)
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    return proc.returncode, stats, proc.stderr


def seen_urls(data: Path) -> list[str]:
    with sqlite3.connect(data / "index.sqlite3") as conn:
        return [u for (u,) in conn.execute("SELECT url FROM seen")]


def only_report(data: Path) -> dict[str, Any]:
    (path,) = sorted((data / "runs").glob("*.json"))
    return json.loads(path.read_text(encoding="utf-8"))


# -- the reported failure, end to end ------------------------------------------------------------
def test_a_menu_and_maintenance_notice_is_never_archived_and_the_run_is_broken(
    tmp_path: Path,
) -> None:
    mirror = BureauMirror("gd", articles=20, page_size=20, faults=False)
    data = tmp_path / "data"
    with MirrorServer(maintenance_routes(mirror)) as server:
        code, stats, err = crawl(server.base_url, data)
    assert code == 1, err[-2000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith("postcrawl: gd_spb: the run is broken:")
    assert "boilerplate: 20 of 20 pages were navigation, a notice or boilerplate" in last
    assert "Traceback" not in err
    # Nothing archived, nothing recorded as a duplicate, no URL marked seen.
    assert list(article_files(data)) == []
    assert [r for r in read_manifest(data) if r] == []
    assert seen_urls(data) == []
    assert stats["postcrawl/extract/dropped/boilerplate"] == 20
    assert "postcrawl/dedupe/duplicate" not in stats
    assert "postcrawl/dedupe/near-duplicate" not in stats
    # The report names the spider, the rule and the figures.
    report = only_report(data)
    assert report["status"] == "broken" and report["name"] == "gd_spb"
    (entry,) = report["spiders"]
    assert entry["spider"] == "gd_spb" and entry["status"] == "broken"
    assert entry["stored"] == 0 and entry["boilerplate"] == 20
    # Each of the 20 articles is a row twice: in its list's static rows and its API page.
    assert entry["list_rows"] == 40 and entry["articles_fetched"] == 20
    rules = {f["rule"]: f for f in entry["findings"]}
    assert rules["boilerplate"]["severity"] == "broken"
    assert rules["boilerplate"]["figures"]["fetched"] == 20
    assert rules["no-articles"]["spider"] == "gd_spb"
    # The pages are retried next run (a transient failure): once the site is back, all 20.
    with MirrorServer(mirror.routes()) as server:
        code, stats, err = crawl(server.base_url, data)
    assert code == 0, err[-2000:]
    assert stats["postcrawl/frontier/pending_at_start"] == 20
    assert stats["postcrawl/store/stored"] == 20
    assert len(list(article_files(data))) == 20
    assert stats["postcrawl/run/status"] == "ok"


def test_lists_that_went_empty_make_a_broken_run(tmp_path: Path) -> None:
    mirror = BureauMirror("gd", articles=20, page_size=20, faults=False)
    empty = BureauMirror("gd", articles=0, page_size=20, faults=False)
    data = tmp_path / "data"
    with MirrorServer(empty.routes()) as server:
        code, _stats, err = crawl(server.base_url, data)
    assert code == 1
    assert "gd_spb: the run is broken: no-list-rows: the lists gave no rows" in err
    entry = only_report(data)["spiders"][0]
    assert [f["rule"] for f in entry["findings"]] == ["no-list-rows"]
    assert entry["list_rows"] == 0 and entry["lists_read"] >= 1
    assert mirror.articles  # the healthy mirror, for contrast, is the next test's business


# -- the extraction check ---------------------------------------------------------------------
def test_the_generic_extractor_reading_a_menu_and_notice_raises_boilerplate() -> None:
    mirror = BureauMirror("gd", articles=1, page_size=20, faults=False)
    (article,) = mirror.articles
    page, _ = mirror.article_page(article)
    url = "https://gd.spb.gov.cn" + article.home_path
    assert extract_article(page, url).paragraphs  # the healthy page reads
    with pytest.raises(ExtractionError) as caught:
        extract_article(under_maintenance(page), url)
    assert caught.value.kind == "boilerplate"
    assert "0 sentences" in str(caught.value)


@pytest.mark.parametrize(
    ("paragraphs", "verdict"),
    [
        ([*MENU, NOTICE], "boilerplate, not an article"),
        (["本站正在升级维护。", "首页"], "boilerplate, not an article"),
        (["近日,广东省邮政管理局召开会议,部署寄递渠道安全工作。会议要求各地加强检查。"], None),
        (
            [
                "一、先进集体",
                "广州市邮政管理局",
                "深圳市邮政管理局",
                "会议表彰了先进集体。会议要求各单位学习先进经验,做好全年工作。",
            ],
            None,
        ),
    ],
)
def test_boilerplate_reason(paragraphs: list[str], verdict: str | None) -> None:
    got = boilerplate_reason(paragraphs, set(MENU), generic=False)
    assert (got or "").startswith(verdict or "") and (got is None) == (verdict is None)


def test_mostly_link_text_from_the_generic_extractor_is_boilerplate() -> None:
    prose = ["会议要求各单位学习先进经验。做好全年工作,确保寄递渠道安全畅通。"]
    assert boilerplate_reason(prose + MENU, set(MENU), generic=False) is None
    assert "mostly links" in (boilerplate_reason(prose + MENU, set(MENU), generic=True) or "")


# -- one body for many URLs of one site in one run ----------------------------------------------
def test_one_body_at_many_urls_of_a_site_is_suspicious_not_seen(archive_root: Path) -> None:
    crawler = get_crawler(
        settings_dict={"POSTCRAWL_DATA_DIR": str(archive_root), "POSTCRAWL_FSYNC": False}
    )
    steps = [
        cls.from_crawler(crawler)
        for cls in (ExtractPipeline, NormalizePipeline, DedupePipeline, StorePipeline)
    ]
    mirror = BureauMirror("gd", articles=1, page_size=20, faults=False)
    page, _ = mirror.article_page(mirror.articles[0])
    outcomes = []
    for n in range(6):
        item = ArticleItem(
            url=f"https://gd.spb.gov.cn/a/{n}.shtml", site="gd_spb", page=FetchedPage(page)
        )
        try:
            for step in steps:
                item = step.process_item(item)
            outcomes.append("stored")
        except DropItem as exc:
            outcomes.append("suspicious" if "suspicious" in str(exc) else "duplicate")
    assert outcomes == [
        "stored",
        "duplicate",
        "duplicate",
        "suspicious",
        "suspicious",
        "suspicious",
    ]
    stats = crawler.stats.get_stats()
    assert stats["postcrawl/dedupe/suspicious"] == 3
    assert len(stats["postcrawl/failed_urls"]) == 3
    with sqlite3.connect(archive_root / "index.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM seen").fetchone() == (3,)


# -- the monitors on figures ----------------------------------------------------------------
def counts(**over: Any) -> dict[str, Any]:
    base = runs.spider_counts(
        {
            "postcrawl/list/pages": 2,
            "postcrawl/list/entries": 40,
            "postcrawl/spider/articles_fetched": 40,
            "postcrawl/extract/articles": 40,
            "postcrawl/extract/method/selector": 40,
            "postcrawl/store/stored": 40,
        }
    )
    return {**base, **over}


def rules(found: list[runs.Finding]) -> dict[str, str]:
    return {f.rule: f.severity for f in found}


def test_a_healthy_run_is_ok() -> None:
    assert runs.evaluate("gd_spb", counts(), "finished", previous_yields=[80, 80, 80]) == []


@pytest.mark.parametrize(
    ("over", "reason", "expected"),
    [
        (
            {"extract_methods": {"selector": 10, "trafilatura": 30}},
            "finished",
            {"extractor-fallback": "degraded"},
        ),
        ({"undated": 20}, "finished", {"undated": "degraded"}),
        ({"untitled": 10}, "finished", {"untitled": "degraded"}),
        ({"failed": 20, "failure_reasons": {"HTTP 404": 20}}, "finished", {"failures": "degraded"}),
        ({"chrome_hits": 4000}, "finished", {"chrome": "degraded"}),
        ({"boilerplate": 2}, "finished", {"boilerplate": "degraded"}),
        ({"boilerplate": 20}, "finished", {"boilerplate": "broken"}),
        ({}, "shutdown", {"finish-reason": "broken"}),
        ({}, "closespider_itemcount", {}),
    ],
)
def test_each_monitor(over: dict[str, Any], reason: str, expected: dict[str, str]) -> None:
    found = runs.evaluate("gd_spb", counts(**over), reason)
    assert rules(found) == expected
    assert all(f.spider == "gd_spb" and f.figures for f in found if f.rule != "finish-reason")


def test_yield_dropping_to_a_tenth_of_the_median_is_broken() -> None:
    low = counts(list_rows=5, articles_extracted=0, list_rows_wanted=0)
    found = runs.evaluate("gd_spb", low, "finished", previous_yields=[80, 90, 100])
    assert rules(found) == {"yield-drop": "broken"}
    assert found[0].figures == {"yield_": 5, "median": 90, "runs": 3}
    # Too few earlier runs: not judged.
    assert runs.evaluate("gd_spb", low, "finished", previous_yields=[80, 90]) == []


def test_reports_are_listed_loaded_into_the_index_and_yields_read_back(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    sqlite3.connect(root / "index.sqlite3").close()
    for n in range(3):
        seen = {"postcrawl/list/entries": 10 + n, "postcrawl/list/known": 10 + n}
        entry = runs.spider_entry("gd_spb", seen, finish_reason="finished", root=root)
        assert entry["status"] == "ok"
        runs.write_report(root, runs.make_report([entry], root=root, name="gd_spb"))
    reports = runs.read_reports(root)
    assert len(reports) == 3 and len({r["id"] for r in reports}) == 3
    assert runs.previous_yields(root, "gd_spb") == [10, 11, 12]
    assert runs.load_runs_table(root) == 3
    with sqlite3.connect(root / "index.sqlite3") as conn:
        assert conn.execute("SELECT count(*), min(spider) FROM runs").fetchone() == (3, "gd_spb")
    assert not list((root / "runs").glob(".*.tmp"))


def test_notification_by_command_and_url(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = tmp_path / "notified.json"
        entry = runs.spider_entry("gd_spb", {}, finish_reason="finished")
        report = runs.make_report([entry], root=tmp_path, name="gd_spb")
        assert report["status"] == "broken"
        problems = runs.notify(
            report, f"cat > {out}", f"http://127.0.0.1:{server.server_port}/hook"
        )
    finally:
        server.shutdown()
    assert problems == []
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == report["id"]
    assert received[0]["spiders"][0]["spider"] == "gd_spb"
    assert runs.notify(report, "exit 3", "http://127.0.0.1:9/") != []  # logged, not raised
    assert runs.should_notify(report, "problems") and not runs.should_notify(
        {**report, "status": "ok"}, "problems"
    )
