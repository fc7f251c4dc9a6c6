"""Raw responses as fetched, in WARC files under ``data/warc/``, for re-extraction later.

One gzipped WARC per crawl run (``<spider>-<UTC time>-<pid>.warc.gz``), one ``response`` record
per downloaded page, written as the crawl goes. A crash costs at most the record being written:
each record is its own gzip member, and every record before a torn tail reads back whole. What
warcio (1.8) makes of the torn record itself depends on where it was cut — an error, or the
record with a short body — so readers must be ready for both (``tests/test_warc.py``).

``WARC-Target-URI`` is the URL that was fetched (a mirror's URL, in a mirror crawl). Records
written since re-extraction existed (``postcrawl reextract``, :mod:`postcrawl.reextract`) also
carry what the archive needs to rebuild the article without the crawl:

* ``WARC-Postcrawl-Real-URL``: the real site's URL (the spider's ``roots.real_url()``,
  :class:`postcrawl.siteroots.SiteRoots`), the URL the archive records;
* ``WARC-Postcrawl-Site``: the site row (spider name);
* ``WARC-Postcrawl-Role``: ``article`` for an article page request, else ``list``;
* ``WARC-Postcrawl-Hints``: for an article, what its list said (JSON: title, published,
  source, author), which extraction uses as it did in the crawl.

Older WARCs lack them; :mod:`postcrawl.reextract` then maps the fetched URL back itself.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import queue
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from postcrawl.paths import data_dir_setting
from postcrawl.siteroots import SiteRoots

logger = logging.getLogger(__name__)

WARC_DIR = "warc"
# Responses waiting for the writer thread at most (about 2.5 MB of seed-length pages): when
# the disk stalls, queueing the next one waits, which pauses the crawl instead of growing its
# memory without bound.
WARC_QUEUE_MAX = 256
REAL_URL_HEADER = "WARC-Postcrawl-Real-URL"
SITE_HEADER = "WARC-Postcrawl-Site"
ROLE_HEADER = "WARC-Postcrawl-Role"
HINTS_HEADER = "WARC-Postcrawl-Hints"


def postcrawl_headers(request: Request | None, spider: Spider | None, url: str) -> dict[str, str]:
    """The ``WARC-Postcrawl-*`` headers of a response to *request* at *url* (see above)."""
    headers: dict[str, str] = {}
    roots = getattr(spider, "roots", None)
    headers[REAL_URL_HEADER] = roots.real_url(url) if isinstance(roots, SiteRoots) else url
    site = getattr(spider, "site", None)
    if site is not None and getattr(site, "name", None):
        headers[SITE_HEADER] = site.name
    if request is None:
        return headers
    is_article = getattr(request.callback, "__name__", "") == "parse_article"
    headers[ROLE_HEADER] = "article" if is_article else "list"
    hints = request.cb_kwargs.get("hints") if is_article else None
    if hints is not None and dataclasses.is_dataclass(hints):
        values = {k: v for k, v in dataclasses.asdict(hints).items() if v}
        if values:
            headers[HINTS_HEADER] = json.dumps(values, ensure_ascii=False)
    return headers


class WarcRecorder:
    """Writes every downloaded response to the run's WARC file (``POSTCRAWL_WARC_ENABLED``).

    The records are compressed and written by a thread of their own (zlib lets other threads
    run while it compresses), in the order the responses came; the reactor thread only
    queues them, and waits when :data:`WARC_QUEUE_MAX` are waiting. The file is complete when
    the spider closes."""

    def __init__(
        self, root: Path, spider_name: str, fsync: bool, folder: Path | None = None
    ) -> None:
        folder = folder or root / WARC_DIR
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = folder / f"{spider_name}-{stamp}-{os.getpid()}.warc.gz"
        self._fh: IO[bytes] = open(self.path, "ab")  # noqa: SIM115 - closed at spider_closed
        self._writer = WARCWriter(self._fh, gzip=True)
        self._fsync = fsync
        self.records = 0
        self.errors = 0
        self._stats: StatsCollector | None = None  # set by from_crawler
        self._queue: queue.Queue[_Pending | None] | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorder:
        settings = crawler.settings
        if not settings.getbool("POSTCRAWL_WARC_ENABLED", True):
            raise NotConfigured
        root = data_dir_setting(settings)
        name = crawler.spidercls.name if crawler.spidercls else "crawl"
        # POSTCRAWL_WARC_DIR: a distributed worker's own folder (workers never write the
        # archive's), to be copied into <data>/warc/ for postcrawl reextract.
        folder = settings.get("POSTCRAWL_WARC_DIR")
        recorder = cls(
            root,
            name,
            settings.getbool("POSTCRAWL_FSYNC", True),
            Path(folder) if folder else None,
        )
        crawler.signals.connect(recorder.response_received, signal=signals.response_received)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        crawler.stats.set_value("postcrawl/warc/file", str(recorder.path))
        recorder._stats = crawler.stats
        return recorder

    def write(
        self, response: Response, request: Request | None = None, spider: Spider | None = None
    ) -> None:
        """Append one ``response`` record for *response* (with the ``WARC-Postcrawl-*``
        headers its *request* and *spider* give), here and now."""
        self._write(_pending(response, request, spider))

    def _write(self, pending: _Pending) -> None:
        http_headers = StatusAndHeaders(pending.status_line, pending.headers, protocol="HTTP/1.1")
        record = self._writer.create_warc_record(
            pending.url, "response", payload=io.BytesIO(pending.body), http_headers=http_headers
        )
        for name, value in pending.extra.items():
            # WARC headers are UTF-8 (WARC 1.1); hints hold Chinese text.
            record.rec_headers.add_header(name, value)
        self._writer.write_record(record)
        self._fh.flush()
        self.records += 1

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if self._queue is None:
            self._queue = queue.Queue(maxsize=WARC_QUEUE_MAX)
            self._thread = threading.Thread(
                target=self._write_loop, args=(self._queue,), name="warc-writer", daemon=True
            )
            self._thread.start()
        self._queue.put(_pending(response, request, spider))

    def _write_loop(self, pending_records: queue.Queue[_Pending | None]) -> None:
        while (pending := pending_records.get()) is not None:
            try:
                self._write(pending)
            except OSError as exc:  # a full disk must not stop the crawl: articles still are
                logger.error("could not write %s to %s: %s", pending.url, self.path, exc)
                self.errors += 1

    def spider_closed(self, spider: Spider) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        if self._stats is not None:
            self._stats.inc_value("postcrawl/warc/records", self.records)
            if self.errors:
                self._stats.inc_value("postcrawl/warc/errors", self.errors)
        if self._fsync:
            os.fsync(self._fh.fileno())
        self._fh.close()
        if self.records == 0:
            self.path.unlink(missing_ok=True)


@dataclasses.dataclass(frozen=True)
class _Pending:
    """What a WARC record needs of a response, taken on the reactor thread."""

    url: str
    status_line: str
    headers: list[tuple[str, str]]
    body: bytes
    extra: dict[str, str]


def _pending(response: Response, request: Request | None, spider: Spider | None) -> _Pending:
    reason = "OK" if response.status == 200 else ""
    headers = [
        (k.decode("latin-1"), b", ".join(vs).decode("latin-1"))
        for k, vs in response.headers.items()
        if k.lower() not in (b"content-encoding", b"transfer-encoding")
    ]
    return _Pending(
        response.url,
        f"{response.status} {reason}".strip(),
        headers,
        response.body,
        postcrawl_headers(request, spider, response.url),
    )
