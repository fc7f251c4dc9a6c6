"""Raw responses as fetched, in WARC files under ``data/warc/``, for re-extraction later.

One gzipped WARC per crawl run (``<spider>-<UTC time>-<pid>.warc.gz``), one ``response`` record
per downloaded page, written as the crawl goes. A crash costs at most the record being written:
each record is its own gzip member, so readers (warcio) stop cleanly at a torn tail.
"""

from __future__ import annotations

import io
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

WARC_DIR = "warc"


class WarcRecorder:
    """Writes every downloaded response to the run's WARC file (``POSTCRAWL_WARC_ENABLED``)."""

    def __init__(self, root: Path, spider_name: str, fsync: bool) -> None:
        folder = root / WARC_DIR
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = folder / f"{spider_name}-{stamp}-{os.getpid()}.warc.gz"
        self._fh: IO[bytes] = open(self.path, "ab")  # noqa: SIM115 - closed at spider_closed
        self._writer = WARCWriter(self._fh, gzip=True)
        self._fsync = fsync
        self.records = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorder:
        settings = crawler.settings
        if not settings.getbool("POSTCRAWL_WARC_ENABLED", True):
            raise NotConfigured
        root = Path(settings.get("POSTCRAWL_DATA_DIR") or "data")
        name = crawler.spidercls.name if crawler.spidercls else "crawl"
        recorder = cls(root, name, settings.getbool("POSTCRAWL_FSYNC", True))
        crawler.signals.connect(recorder.response_received, signal=signals.response_received)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        crawler.stats.set_value("postcrawl/warc/file", str(recorder.path))
        recorder._stats = crawler.stats
        return recorder

    def write(self, response: Response) -> None:
        """Append one ``response`` record for *response*."""
        reason = "OK" if response.status == 200 else ""
        headers = [
            (k.decode("latin-1"), b", ".join(vs).decode("latin-1"))
            for k, vs in response.headers.items()
            if k.lower() not in (b"content-encoding", b"transfer-encoding")
        ]
        http_headers = StatusAndHeaders(
            f"{response.status} {reason}".strip(), headers, protocol="HTTP/1.1"
        )
        record = self._writer.create_warc_record(
            response.url,
            "response",
            payload=io.BytesIO(response.body),
            http_headers=http_headers,
        )
        self._writer.write_record(record)
        self._fh.flush()
        self.records += 1

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        try:
            self.write(response)
        except OSError as exc:  # a full disk must not stop the crawl; the article is still archived
            logger.error("could not write %s to %s: %s", response.url, self.path, exc)
            self._stats.inc_value("postcrawl/warc/errors")
            return
        self._stats.inc_value("postcrawl/warc/records")

    def spider_closed(self, spider: Spider) -> None:
        if self._fsync:
            os.fsync(self._fh.fileno())
        self._fh.close()
        if self.records == 0:
            self.path.unlink(missing_ok=True)
