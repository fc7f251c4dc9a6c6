"""The crawl's own Scrapy components, in-process: the frontier middleware, the verdict of our
``scrapy crawl``, the frontier's failure count at the end of a run and the run summary.
(The subprocess crawls exercise them end to end; these pin down each rule.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from postcrawl.commands.crawl import run_problem
from postcrawl.crawl_archive import archive_for
from postcrawl.extensions import (
    ARCHIVE_ERROR_KEY,
    FrontierFailures,
    RunSummary,
    note_failure,
)
from postcrawl.frontier import Listed, Watermark
from postcrawl.items import ListWalkDone
from postcrawl.spidermiddlewares import FrontierMiddleware
from postcrawl.spiders.base import LISTED_META

URL = "https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/202406/a.shtml"


@pytest.fixture
def crawler(archive_root: Path) -> Any:
    crawler = get_crawler(
        settings_dict={"POSTCRAWL_DATA_DIR": str(archive_root), "POSTCRAWL_FSYNC": False}
    )
    yield crawler
    archive_for(crawler).close()


def listed_request(url: str) -> Request:
    return Request(url, meta={LISTED_META: Listed(url, "gd_spb", title="标题")})


def outputs(mw: FrontierMiddleware, result: list[Any]) -> list[Any]:
    """What the middleware passes on of a callback's *result*."""

    async def run() -> list[Any]:
        async def source() -> AsyncIterator[Any]:
            for output in result:
                yield output

        return [o async for o in mw.process_spider_output(None, source())]  # type: ignore[arg-type]

    return asyncio.run(run())


def test_the_frontier_middleware_records_listed_urls_and_walks(crawler: Any) -> None:
    mw = FrontierMiddleware.from_crawler(crawler)
    done = ListWalkDone("gd_spb:list:a", URL, "2024-06-01")
    plain = Request("https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/common_list.shtml")
    out = outputs(mw, [listed_request(URL), done, plain])
    assert [o.url for o in out] == [URL, plain.url]  # the walk note goes no further
    frontier = archive_for(crawler).frontier
    assert [e.url for e in frontier.pending("gd_spb")] == [URL]
    assert frontier.watermark("gd_spb:list:a") == Watermark(URL, "2024-06-01")
    stats = crawler.stats.get_stats()
    assert stats["postcrawl/frontier/listed"] == 1
    assert stats["postcrawl/frontier/walks_completed"] == 1


def test_after_an_archive_error_nothing_more_is_recorded_or_scheduled(crawler: Any) -> None:
    mw = FrontierMiddleware.from_crawler(crawler)
    crawler.stats.set_value(ARCHIVE_ERROR_KEY, "No space left on device")
    done = ListWalkDone("gd_spb:list:a", URL, None)
    assert outputs(mw, [listed_request(URL), done]) == []
    frontier = archive_for(crawler).frontier
    assert frontier.pending("gd_spb") == [] and frontier.watermark("gd_spb:list:a") is None


@pytest.mark.parametrize(
    ("stats", "line"),
    [
        ({"finish_reason": "finished", "downloader/response_count": 9}, None),
        ({"finish_reason": "closespider_itemcount", "downloader/response_count": 9}, None),
        ({"finish_reason": "shutdown", "downloader/response_count": 9}, "ended early (shutdown)"),
        (
            {"finish_reason": "archive_error", ARCHIVE_ERROR_KEY: "disk full"},
            "stopped, the archive could not be written: disk full",
        ),
        (
            {
                "finish_reason": "finished",
                "downloader/exception_count": 3,
                "downloader/exception_type_count/twisted.internet.error.DNSLookupError": 3,
            },
            "no answer from the site (3 requests failed: DNSLookupError)",
        ),
    ],
)
def test_the_crawl_verdict(stats: dict[str, Any], line: str | None) -> None:
    problem = run_problem(stats, "gd_spb")
    assert problem == line if line is None else (problem is not None and line in problem)


class _Spider:
    class site:
        name = "gd_spb"


def test_failures_are_counted_in_the_frontier_and_stay_in_the_summary(crawler: Any) -> None:
    frontier = archive_for(crawler).frontier
    frontier.add(Listed(URL, "gd_spb"))
    failures = FrontierFailures.from_crawler(crawler)
    summary = RunSummary.from_crawler(crawler)
    crawler.stats.set_value("start_time", "run-1")
    note_failure(crawler.stats, URL, "HTTP 404")
    failures.spider_closed(_Spider(), "finished")  # type: ignore[arg-type]
    text = summary.summary()
    assert f"failed URLs this run (1):\n    {URL} (HTTP 404)" in text
    assert (
        f"failures still outstanding, retried next run (1):\n    {URL} (HTTP 404; failed 1 run)"
        in text
    )
    json.dumps(crawler.stats.get_stats(), default=str)  # the stats file can hold them
