"""Raw responses recorded in data/warc/ and read back with warcio."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from postcrawl.warc import WarcRecorder
from tests.conftest import fixture_named


class _Spider(Spider):
    name = "gd_spb"


def _recorder(root: Path, **settings: object) -> tuple[WarcRecorder, object]:
    crawler = get_crawler(
        _Spider, {"POSTCRAWL_DATA_DIR": str(root), "POSTCRAWL_FSYNC": False, **settings}
    )
    return WarcRecorder.from_crawler(crawler), crawler


def _responses(path: Path) -> list[tuple[str, bytes]]:
    with open(path, "rb") as fh:
        return [
            (r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
            for r in ArchiveIterator(fh)
            if r.rec_type == "response"
        ]


def test_responses_are_recorded_and_read_back(archive_root: Path) -> None:
    fx = fixture_named("gd_spb", "004_original")
    recorder, crawler = _recorder(archive_root)
    spider = _Spider()
    for url, body in (
        (fx.url, fx.html.read_bytes()),
        ("https://gd.spb.gov.cn/robots.txt", b"User-agent: *"),
    ):
        response = HtmlResponse(
            url, body=body, headers={"Content-Type": "text/html; charset=utf-8"}
        )
        recorder.response_received(response, Request(url), spider)
    recorder.spider_closed(spider)
    (path,) = (archive_root / "warc").glob("gd_spb-*.warc.gz")
    assert _responses(path) == [
        (fx.url, fx.html.read_bytes()),
        ("https://gd.spb.gov.cn/robots.txt", b"User-agent: *"),
    ]
    assert crawler.stats.get_value("postcrawl/warc/records") == 2


def test_a_torn_tail_loses_only_the_last_record(archive_root: Path) -> None:
    recorder, _ = _recorder(archive_root)
    spider = _Spider()
    for n in range(3):
        url = f"https://gd.spb.gov.cn/{n}.shtml"
        recorder.response_received(
            HtmlResponse(url, body=f"<p>第{n}页</p>".encode()), Request(url), spider
        )
    recorder.spider_closed(spider)
    (path,) = (archive_root / "warc").glob("*.warc.gz")
    data = path.read_bytes()
    path.write_bytes(data[:-40])  # a crash in the middle of the last record
    recovered = _responses(path)
    assert recovered[:2] == [
        ("https://gd.spb.gov.cn/0.shtml", "<p>第0页</p>".encode()),
        ("https://gd.spb.gov.cn/1.shtml", "<p>第1页</p>".encode()),
    ]


def test_off_switch(archive_root: Path) -> None:
    with pytest.raises(NotConfigured):
        _recorder(archive_root, POSTCRAWL_WARC_ENABLED=False)
