"""Crawl throughput: ``scrapy crawl gd_spb`` against a local mirror vs a bare download spider.

    python benchmarks/crawl.py            # 2,000 articles
    python benchmarks/crawl.py --quick    # 400 articles, well under a minute

Serves a clean mirror of gd.spb.gov.cn (:class:`postcrawl.mirror.bureau.BureauMirror`) on
127.0.0.1, then runs, each as its own ``scrapy`` process with delays off and the same
concurrency:

1. ``scrapy crawl gd_spb`` into an empty archive (extraction, normalization, dedupe, store);
2. a bare Scrapy spider (below) that downloads the same list and article pages and does nothing
   with them;
3. ``scrapy crawl gd_spb`` again on the unchanged mirror (incremental: list pages only).

Prints articles/s for (1) and (2) from Scrapy's own ``elapsed_time_seconds``, their ratio
(target >= 0.8 on 2 cores), and the requests (3) made. This file is also the bare spider's
module (``scrapy runspider benchmarks/crawl.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

ROOT = Path(__file__).resolve().parent.parent
COMMON = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "WARNING",
}


class BareSpider(scrapy.Spider):
    """Downloads the bureau's API pages and their article pages; keeps nothing (the baseline)."""

    name = "bare_bureau"
    custom_settings: ClassVar[dict[str, Any]] = {"ITEM_PIPELINES": {}}

    def __init__(self, base_url: str, lists: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.lists = lists.split(",")

    async def start(self) -> Any:
        for path in self.lists:
            yield scrapy.Request(self.base_url + path, callback=self.parse_list)

    def parse_list(self, response: Response) -> Iterable[scrapy.Request]:
        """One search-API page: its articles (fetched from the mirror), then the next page."""
        data = json.loads(response.body)["data"]
        for result in data["results"]:
            path = "/" + result["url"].split("/", 3)[3]
            yield scrapy.Request(self.base_url + path, callback=self.parse_article)
        if data["results"]:
            page = int(response.url.rsplit("page=", 1)[1])
            yield scrapy.Request(
                response.url.rsplit("page=", 1)[0] + f"page={page + 1}", callback=self.parse_list
            )

    def parse_article(self, response: Response) -> None:
        self.crawler.stats.inc_value("bare/articles")


def _run(cmd: list[str], settings: dict[str, str], stats_file: Path) -> dict[str, Any]:
    for key, value in {**COMMON, **settings, "POSTCRAWL_STATS_FILE": str(stats_file)}.items():
        cmd += ["-s", f"{key}={value}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"crawl failed:\n{proc.stderr[-3000:]}")
    return json.loads(stats_file.read_text(encoding="utf-8"))


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from postcrawl.bureau_lists import api_url
    from postcrawl.mirror import MirrorServer
    from postcrawl.mirror.bureau import BureauMirror

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 articles instead of 2,000")
    parser.add_argument("--articles", type=int, help="listed articles (default 2000)")
    parser.add_argument("--no-fsync", action="store_true", help="POSTCRAWL_FSYNC=False")
    args = parser.parse_args()
    count = args.articles or (400 if args.quick else 2000)
    mirror = BureauMirror("gd", articles=count, page_size=50, faults=False)
    lists = [api_url("", c.channel_id, 1) for c in mirror.channels]
    articles = {a.listed_path for a in mirror.articles}
    fsync = {"POSTCRAWL_FSYNC": "False"} if args.no_fsync else {}

    with MirrorServer(mirror.routes()) as server, tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        data = tmpdir / "data"
        scrapy_cmd = [sys.executable, "-m", "scrapy"]
        print(
            f"mirror: {count} articles, {len(mirror.channels)} channels, {server.base_url}"
        )

        full = _run(
            [*scrapy_cmd, "crawl", "gd_spb", "-a", f"base_url={server.base_url}"],
            {"POSTCRAWL_DATA_DIR": str(data), **fsync},
            tmpdir / "full.json",
        )
        stored = full.get("postcrawl/store/stored", 0)
        full_rate = stored / full["elapsed_time_seconds"]

        server.reset_hits()
        bare = _run(
            [
                *scrapy_cmd,
                "runspider",
                str(Path(__file__).resolve()),
                "-a",
                f"base_url={server.base_url}",
                "-a",
                f"lists={','.join(lists)}",
            ],
            {"POSTCRAWL_DATA_DIR": str(tmpdir / "unused")},
            tmpdir / "bare.json",
        )
        bare_rate = bare.get("bare/articles", 0) / bare["elapsed_time_seconds"]

        server.reset_hits()
        again = _run(
            [*scrapy_cmd, "crawl", "gd_spb", "-a", f"base_url={server.base_url}"],
            {"POSTCRAWL_DATA_DIR": str(data), **fsync},
            tmpdir / "again.json",
        )
        article_requests = sum(n for p, n in server.hits.items() if p in articles)
        list_requests = sum(
            n for p, n in server.hits.items() if "common_list" in p or "/common/search/" in p
        )

    print(
        f"gd_spb (full crawl):  {stored} articles archived in "
        f"{full['elapsed_time_seconds']:.1f} s = {full_rate:.0f} articles/s"
        + (" (fsync off)" if args.no_fsync else " (fsync on)")
    )
    print(
        f"bare download spider: {bare.get('bare/articles', 0)} articles in "
        f"{bare['elapsed_time_seconds']:.1f} s = {bare_rate:.0f} articles/s"
    )
    print(f"ratio gd_spb / bare:  {full_rate / bare_rate:.2f} (target >= 0.8)")
    print(
        f"incremental re-run:   {again.get('downloader/request_count', 0)} requests "
        f"({list_requests} list pages, {article_requests} articles, robots.txt), "
        f"{again.get('postcrawl/store/stored', 0)} stored (target: list pages only)"
    )


if __name__ == "__main__":
    main()
