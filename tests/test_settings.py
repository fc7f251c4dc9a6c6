"""Politeness and safety defaults: what an unattended crawl runs with."""

from __future__ import annotations

import pytest
from scrapy.exceptions import NotConfigured
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
    assert "scrapy.downloadermiddlewares.retry.RetryMiddleware" not in mws  # Scrapy's, as is
    assert "postcrawl.middlewares.RetryBackoffMiddleware" in mws


def test_scrapy_cfg_points_at_the_settings(monkeypatch) -> None:
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    assert get_project_settings()["BOT_NAME"] == "postcrawl"


def test_backoff_grows_and_is_capped() -> None:
    import asyncio

    from scrapy import Request
    from scrapy.downloadermiddlewares.retry import get_retry_request
    from scrapy.utils.test import get_crawler

    from postcrawl.middlewares import RetryBackoffMiddleware

    crawler = get_crawler(
        settings_dict={
            "POSTCRAWL_RETRY_BACKOFF_BASE": 2.0,
            "POSTCRAWL_RETRY_BACKOFF_MAX": 5.0,
            "RETRY_TIMES": 5,
        }
    )
    spider = crawler._create_spider("test")
    mw = RetryBackoffMiddleware.from_crawler(crawler)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    request = Request("https://gd.spb.gov.cn/")
    real_sleep = asyncio.sleep
    asyncio.sleep = sleep  # type: ignore[assignment]
    try:
        asyncio.run(mw.process_request(request))  # a first try: no wait
        for _ in range(4):
            retry = get_retry_request(request, spider=spider, reason="503")
            assert retry is not None
            request = retry
            asyncio.run(mw.process_request(request))
            asyncio.run(mw.process_request(request))  # the same attempt again: no second wait
    finally:
        asyncio.sleep = real_sleep  # type: ignore[assignment]
    assert waits == [2.0, 4.0, 5.0, 5.0]


def test_backoff_is_off_without_a_base() -> None:
    from scrapy.utils.test import get_crawler

    from postcrawl.middlewares import RetryBackoffMiddleware

    with pytest.raises(NotConfigured):
        RetryBackoffMiddleware.from_crawler(
            get_crawler(settings_dict={"POSTCRAWL_RETRY_BACKOFF_BASE": 0})
        )


def test_the_data_dir_default_is_defined_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from postcrawl.paths import data_dir_setting, default_data_dir

    monkeypatch.delenv("POSTCRAWL_DATA_DIR", raising=False)
    assert default_data_dir() == Path("data")
    assert data_dir_setting(Settings({"POSTCRAWL_DATA_DIR": None})) == Path("data")
    monkeypatch.setenv("POSTCRAWL_DATA_DIR", "/srv/archive")
    assert default_data_dir() == Path("/srv/archive")
    assert data_dir_setting(Settings({"POSTCRAWL_DATA_DIR": "/x"})) == Path("/x")
    # Every reader of the setting goes through postcrawl.paths (no second "data" default).
    from tests.conftest import ROOT

    literal = '"POSTCRAWL_DATA_DIR") or "data"'
    offenders = [
        str(p) for p in (ROOT / "postcrawl").rglob("*.py") if literal in p.read_text("utf-8")
    ]
    assert offenders == []
