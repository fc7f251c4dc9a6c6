"""Raw responses recorded in data/warc/ and read back with warcio."""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from postcrawl import warc
from postcrawl.warc import WarcRecorder
from tests.conftest import fixture_named


class _Spider(Spider):
    name = "gd_spb"


def _recorder(root: Path, **settings: object) -> tuple[WarcRecorder, object]:
    crawler = get_crawler(
        _Spider, {"POSTCRAWL_DATA_DIR": str(root), "POSTCRAWL_FSYNC": False, **settings}
    )
    return WarcRecorder.from_crawler(crawler), crawler


@dataclass(frozen=True)
class Record:
    """A ``response`` record as a reader gets it back."""

    url: str
    status: int
    body: bytes
    whole: bool  # its WARC-Payload-Digest was checked and matches the body


def _read(path: Path) -> list[Record]:
    """Every ``response`` record a reader gets from *path*, in order, until the end of the file
    or a torn tail. warcio 1.8 does not always stop cleanly at a tear: a half-written header
    raises ArchiveLoadFailed or an AttributeError; the records before it still count."""
    out: list[Record] = []
    with open(path, "rb") as fh:
        try:
            for r in ArchiveIterator(fh, check_digests=True):
                if r.rec_type != "response":
                    continue
                url = r.rec_headers.get_header("WARC-Target-URI")
                status = int(r.http_headers.get_statuscode() or 0)
                body = r.content_stream().read()
                out.append(Record(url, status, body, r.digest_checker.passed is True))
        except (ArchiveLoadFailed, AttributeError):
            pass
    return out


def _record_all(recorder: WarcRecorder, pages: list[tuple[str, int, bytes]]) -> None:
    spider = _Spider()
    for url, status, body in pages:
        response = HtmlResponse(
            url, status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"}
        )
        recorder.response_received(response, Request(url), spider)
    recorder.spider_closed(spider)


def test_responses_are_recorded_and_read_back(archive_root: Path) -> None:
    fx = fixture_named("gd_spb", "004_original")
    pages = [
        (fx.url, 200, fx.html.read_bytes()),
        ("https://gd.spb.gov.cn/robots.txt", 200, b"User-agent: *"),
        ("https://gd.spb.gov.cn/gone.shtml", 404, "<p>页面不存在</p>".encode()),
        ("https://gd.spb.gov.cn/empty.shtml", 200, b""),
    ]
    recorder, crawler = _recorder(archive_root)
    _record_all(recorder, pages)
    (path,) = (archive_root / "warc").glob("gd_spb-*.warc.gz")
    assert _read(path) == [Record(url, status, body, True) for url, status, body in pages]
    assert crawler.stats.get_value("postcrawl/warc/records") == len(pages)


PAGES = [
    (f"https://gd.spb.gov.cn/{n}.shtml", 200, f"<p>第{n}页</p>".encode() * 20) for n in range(3)
]


def _member_starts(data: bytes) -> list[int]:
    """Where each gzip member of a ``.warc.gz`` starts (one record per member)."""
    starts, pos = [], 0
    while pos < len(data):
        starts.append(pos)
        member = zlib.decompressobj(31)
        member.decompress(data[pos:])
        pos = len(data) - len(member.unused_data)
    return starts


@pytest.mark.parametrize("where", [0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_a_torn_tail_loses_only_the_last_record(archive_root: Path, where: float) -> None:
    """A crash part way through the last record (*where*: how much of it reached the disk)."""
    recorder, _ = _recorder(archive_root)
    _record_all(recorder, PAGES)
    (path,) = (archive_root / "warc").glob("*.warc.gz")
    data = path.read_bytes()
    starts = _member_starts(data)
    assert len(starts) == len(PAGES)  # one gzip member per record
    last = starts[-1]
    path.write_bytes(data[: last + int((len(data) - last) * where)])

    recovered = _read(path)
    written = [Record(url, status, body, True) for url, status, body in PAGES]
    assert recovered[:2] == written[:2]
    # The torn record is not read at all, or read as what reached the disk: a start of its
    # body whose digest does not check out (or, torn only in the gzip trailer, whole).
    assert len(recovered) <= 3
    if len(recovered) == 3:
        torn = recovered[2]
        assert torn.url == PAGES[2][0]
        assert PAGES[2][2].startswith(torn.body)
        assert torn.whole == (torn.body == PAGES[2][2])


def test_off_switch(archive_root: Path) -> None:
    with pytest.raises(NotConfigured):
        _recorder(archive_root, POSTCRAWL_WARC_ENABLED=False)


def test_a_stalled_writer_holds_the_crawl_back_instead_of_its_memory(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the writer thread cannot write (a disk that stalls), at most WARC_QUEUE_MAX
    responses wait in memory: queueing the next one waits. Nothing is lost once it writes."""
    monkeypatch.setattr(warc, "WARC_QUEUE_MAX", 4)
    recorder, _ = _recorder(archive_root)
    disk = threading.Event()
    write = recorder._write

    def stalled(pending: object) -> None:
        disk.wait(10)
        write(pending)  # type: ignore[arg-type]

    monkeypatch.setattr(recorder, "_write", stalled)
    pages = [(f"https://gd.spb.gov.cn/{n}.shtml", 200, b"<p>x</p>" * 100) for n in range(12)]
    crawl = threading.Thread(target=_record_all, args=(recorder, pages))
    crawl.start()
    crawl.join(1.0)
    assert crawl.is_alive()  # waiting to queue: one record at the writer, 4 queued
    assert recorder._queue is not None and recorder._queue.qsize() == 4
    disk.set()
    crawl.join(10)
    assert not crawl.is_alive()
    (path,) = (archive_root / "warc").glob("gd_spb-*.warc.gz")
    assert [r.url for r in _read(path)] == [url for url, _, _ in pages]
