"""The project's default settings are polite to the bureaus' servers and expose nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from postcrawl.extensions import StatsFile


def test_defaults_are_polite() -> None:
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    # AutoThrottle never goes below DOWNLOAD_DELAY: a 1-2 s floor per host.
    assert 1.0 <= settings.getfloat("DOWNLOAD_DELAY") <= 2.0
    assert settings.getfloat("AUTOTHROTTLE_START_DELAY") >= settings.getfloat("DOWNLOAD_DELAY")
    assert 1 <= settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    agent = settings.get("USER_AGENT")
    assert "postcrawl" in agent and "https://" in agent
    assert settings.getbool("RETRY_ENABLED") and settings.getint("RETRY_TIMES") >= 2
    assert {500, 502, 503, 504} <= set(settings.getlist("RETRY_HTTP_CODES"))
    assert settings.getfloat("POSTCRAWL_RETRY_BACKOFF_BASE") > 0
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["postcrawl.middlewares.RetryBackoffMiddleware"] is not None
    assert middlewares["postcrawl.middlewares.RobotsTxtMiddleware"] is not None
    assert middlewares["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    assert 0 < settings.getint("DOWNLOAD_MAXSIZE") <= 64 * 1024 * 1024
    assert 0 < settings.getint("DOWNLOAD_TIMEOUT") <= 60
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")


def test_stats_file_is_off_unless_named(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        StatsFile.from_crawler(get_crawler(settings_dict={"POSTCRAWL_STATS_FILE": None}))
    target = tmp_path / "out" / "stats.json"
    crawler = get_crawler(settings_dict={"POSTCRAWL_STATS_FILE": str(target)})
    ext = StatsFile.from_crawler(crawler)
    crawler.stats.set_value("postcrawl/failures", ["https://gd.spb.gov.cn/x (HTTP 404)"])
    crawler.stats.inc_value("postcrawl/failed")
    ext.spider_closed(None, "finished")  # type: ignore[arg-type]
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["postcrawl/failed"] == 1
    assert written["finish_reason"] == "finished"
    assert written["postcrawl/failures"] == ["https://gd.spb.gov.cn/x (HTTP 404)"]
