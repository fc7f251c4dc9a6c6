"""Politeness and safety defaults: what an unattended crawl runs with."""

from __future__ import annotations

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from postcrawl import settings as project_settings


def _settings() -> Settings:
    s = Settings()
    s.setmodule(project_settings, priority="project")
    return s


def test_nothing_is_exposed() -> None:
    s = _settings()
    assert s.getbool("TELNETCONSOLE_ENABLED") is False
    assert s.getbool("REMOTE_CONTROL_ENABLED") is False


def test_polite_defaults() -> None:
    s = _settings()
    assert s.getbool("ROBOTSTXT_OBEY")
    assert s.getbool("AUTOTHROTTLE_ENABLED")
    assert 1.0 <= s.getfloat("DOWNLOAD_DELAY") <= 2.0
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert "postcrawl" in s["USER_AGENT"] and "https://" in s["USER_AGENT"]
    assert s.getint("RETRY_TIMES") >= 2 and 503 in s.getlist("RETRY_HTTP_CODES")
    assert s.getfloat("POSTCRAWL_RETRY_BACKOFF_BASE") > 0
    assert 0 < s.getint("DOWNLOAD_MAXSIZE") <= 64 * 1024 * 1024
    mws = s.getdict("DOWNLOADER_MIDDLEWARES")
    assert mws["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "postcrawl.middlewares.BackoffRetryMiddleware" in mws


def test_scrapy_cfg_points_at_the_settings(monkeypatch) -> None:
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    assert get_project_settings()["BOT_NAME"] == "postcrawl"


def test_backoff_grows_and_is_capped() -> None:
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from postcrawl.middlewares import DELAY_KEY, BackoffRetryMiddleware

    crawler = get_crawler(
        settings_dict={
            "POSTCRAWL_RETRY_BACKOFF_BASE": 2.0,
            "POSTCRAWL_RETRY_BACKOFF_MAX": 5.0,
            "RETRY_TIMES": 5,
        }
    )
    crawler.spider = crawler._create_spider("test")
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request, delays = Request("https://gd.spb.gov.cn/"), []
    for _ in range(4):
        request = mw._retry(request, "503")
        delays.append(request.meta[DELAY_KEY])
    assert delays == [2.0, 4.0, 5.0, 5.0]
