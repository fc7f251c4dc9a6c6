"""Distributed mode's parts against a real Redis server (the ``redis_url`` fixture starts a
private ``redis-server``): the seen store and the frontier in Redis answer as the SQLite ones
do, their read-modify-writes are atomic, the shared queue loses no request of a killed worker,
items survive the trip through the stream, and the archiver's write path archives each item
once however often it is delivered."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import Request
from scrapy.settings import Settings

from postcrawl import index
from postcrawl.archive import read_manifest, verify
from postcrawl.article_text import normalize_extracted
from postcrawl.distributed import keys
from postcrawl.distributed.archiver import Archiver, Entry
from postcrawl.distributed.frontier import RedisFrontier
from postcrawl.distributed.itemcodec import ItemCodecError, decode_item, encode_item
from postcrawl.distributed.mode import archive_steps, configure
from postcrawl.distributed.presence import Presence
from postcrawl.distributed.queue import ReliablePriorityQueue, in_flight, reclaim_dead
from postcrawl.distributed.seen import RedisSeenStore
from postcrawl.extraction import Extracted, PageHints, extract_article
from postcrawl.frontier import Frontier, Listed, SqliteFrontier, Watermark
from postcrawl.items import ArticleItem, FetchedPage, SkippedPage
from postcrawl.seen import SeenStore
from postcrawl.sites import SITES
from postcrawl.spiders.aggregators import AGGREGATOR_SPIDERS
from postcrawl.spiders.bureau import BUREAU_SPIDERS
from tests.conftest import ROOT, fixture_named

# -- the frontier: Redis answers as SQLite does ------------------------------------------------


@pytest.fixture(params=["sqlite", "redis"])
def frontier(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Frontier, Callable[[str], None]]]:
    """A frontier of each backend, and how to mark a URL seen in it."""
    if request.param == "sqlite":
        conn = index.connect(tmp_path / "index.sqlite3")
        yield SqliteFrontier(conn), lambda url: index.mark_seen(conn, url, "h", "stored", None)
        conn.close()
        return
    url = request.getfixturevalue("redis_url")
    front, seen = RedisFrontier(redis.Redis.from_url(url, decode_responses=True)), None
    seen = RedisSeenStore(redis.Redis.from_url(url, decode_responses=True))
    yield front, lambda u: seen.mark(u, "h", "stored", None)
    front.close()
    seen.close()


def test_frontier_pending_failures_watermarks_channels(
    frontier: tuple[Frontier, Callable[[str], None]],
) -> None:
    front, mark_seen = frontier
    assert isinstance(front, Frontier)
    for n in range(3):
        front.add(Listed(f"https://x/{n}", "gd_spb", title=f"t{n}", published=f"2024-01-0{n + 1}"))
    front.add(Listed("https://x/0", "gd_spb", title="again"))  # no change: on record already
    front.add(Listed("https://x/u", "gd_spb"))  # undated: last
    front.add(Listed("https://y/9", "sh_spb"))
    mark_seen("https://x/1")
    pending = front.pending("gd_spb")
    assert [(e.url, e.title) for e in pending] == [
        ("https://x/2", "t2"),
        ("https://x/0", "t0"),
        ("https://x/u", None),
    ]
    assert front.is_listed("https://x/1") and not front.is_listed("https://x/5")

    failures = {
        "https://x/0": "HTTP 404",
        "https://x/2": "TimeoutError",
        "https://x/list": "HTTP 404",
    }
    for run in ("r1", "r1", "r2"):  # the same run twice counts once
        assert front.record_failures(failures, run, give_up_runs=3, transient_runs=5) == []
    assert {e.url: e.failures for e in front.outstanding("gd_spb")} == {
        "https://x/0": 2,
        "https://x/2": 2,
    }
    given_up = front.record_failures(failures, "r3", give_up_runs=3, transient_runs=5)
    assert given_up == [("https://x/0", "HTTP 404, 3 runs in a row")]
    assert [e.url for e in front.pending("gd_spb")] == ["https://x/2", "https://x/u"]
    assert [(e.url, e.last_reason) for e in front.given_up("gd_spb")] == [  # type: ignore[attr-defined]
        ("https://x/0", "HTTP 404")
    ]

    assert front.watermark("gd_spb:list:a") is None
    front.complete_walk("gd_spb:list:a", Watermark("https://x/9", "2024-03-05"))
    assert front.watermark("gd_spb:list:a") == Watermark("https://x/9", "2024-03-05")

    assert front.channels("gd_spb") == ([], None)
    found = [{"list": "https://x/a/list", "label": "通知", "channel_id": "c1", "api": "yes"}]
    front.save_channels("gd_spb", found)  # type: ignore[arg-type]
    channels, when = front.channels("gd_spb")
    assert [(c["list"], c["label"], c["code"], c["api"]) for c in channels] == [
        ("https://x/a/list", "通知", None, "yes")
    ]
    assert when is not None
    front.save_channels("gd_spb", [])
    assert front.channels("gd_spb") == ([], None)


def test_redis_frontier_read_modify_writes_are_atomic(redis_url: str) -> None:
    """Many workers at once: the first listing wins, and one run counts once per URL."""
    fronts = [
        RedisFrontier(redis.Redis.from_url(redis_url, decode_responses=True)) for _ in range(8)
    ]

    def work(n: int) -> None:
        front = fronts[n]
        front.add(Listed("https://x/a", "gd_spb", title=f"worker {n}"))
        front.record_failures(
            {"https://x/a": "HTTP 503"}, "run-1", give_up_runs=3, transient_runs=0
        )

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (entry,) = fronts[0].pending("gd_spb")
    assert entry.failures == 1 and entry.title.startswith("worker ")  # type: ignore[union-attr]
    for n, front in enumerate(fronts):  # eight runs: eight counts
        front.record_failures(
            {"https://x/a": "HTTP 503"}, f"run-{n + 2}", give_up_runs=3, transient_runs=0
        )
    assert fronts[0].pending("gd_spb")[0].failures == 9


def test_redis_seen_store(redis_url: str) -> None:
    seen = RedisSeenStore(redis.Redis.from_url(redis_url, decode_responses=True))
    assert isinstance(seen, SeenStore)
    assert not seen.url_seen("https://x/1") and not seen.hash_seen("abc")
    seen.mark("https://x/1", "abc", "stored", "2024-01-01T00:00:00Z")
    seen.mark("https://x/2", "abc", "duplicate", None)
    seen.mark("https://x/3", None, "skipped", None)
    assert seen.url_seen("https://x/2") and seen.url_seen("https://x/3") and seen.hash_seen("abc")
    assert not seen.hash_seen("def")
    assert seen.status("https://x/3") == {"status": "skipped", "hash": None, "seen_at": None}
    seen.close()


# -- the shared queue ---------------------------------------------------------------------------


def queue_for(client: redis.Redis, spider: Any, worker: str | None) -> ReliablePriorityQueue:
    queue = ReliablePriorityQueue(client, spider, keys.QUEUE_PATTERN)
    if worker:
        queue.bind(worker)
    return queue


def test_queue_keeps_a_killed_workers_requests(redis_url: str) -> None:
    """A popped request stays in the worker's in-flight set until done; a dead worker's go
    back to the queue with their priority, callbacks and arguments intact."""
    client = redis.Redis.from_url(redis_url)
    text = redis.Redis.from_url(redis_url, decode_responses=True)
    spider = BUREAU_SPIDERS["gd_spb"]()
    hints = PageHints(title="标题", published="2024-01-02")
    listed = Listed("https://gd.spb.gov.cn/a.shtml", "gd_spb", title="标题")
    pusher = queue_for(client, spider, None)
    for n, priority in ((1, 0), (2, 5), (3, 0)):
        request = Request(
            f"http://127.0.0.1:1/{n}",
            callback=spider.parse_article,
            errback=spider.on_error,
            cb_kwargs={"hints": hints, "list_url": None},
            priority=priority,
            meta={"postcrawl_listed": listed},
        )
        pusher.push(request)
    Presence(text, "worker", ttl=30, ident="w-alive").beat()
    alive, dead = queue_for(client, spider, "w-alive"), queue_for(client, spider, "w-dead")
    first = alive.pop()
    assert first is not None and first.url.endswith("/2")  # the highest priority first
    assert first.callback == spider.parse_article and first.errback == spider.on_error
    assert first.cb_kwargs["hints"] == hints and first.meta["postcrawl_listed"] == listed
    taken = dead.pop()
    assert taken is not None and len(pusher) == 1 and in_flight(text, "gd_spb") == 2
    alive.done(first)
    assert in_flight(text, "gd_spb") == 1
    # w-dead never beat: it is dead, and its request goes back (w-alive is left alone).
    assert reclaim_dead(text, "gd_spb") == 1
    assert len(pusher) == 2 and in_flight(text, "gd_spb") == 0
    again = alive.pop()
    assert again is not None and again.url == taken.url and again.priority == taken.priority
    assert alive.give_back() == 1 and len(pusher) == 2


def test_an_idle_worker_takes_back_requests_of_a_take_redis_did_not_answer(
    redis_url: str,
) -> None:
    """Redis applied a take (the requests moved into the worker's in-flight set) but the
    worker never got the answer: idle, the worker puts them back in the queue; while it
    holds requests it leaves its in-flight set alone."""
    client = redis.Redis.from_url(redis_url)
    text = redis.Redis.from_url(redis_url, decode_responses=True)
    spider = BUREAU_SPIDERS["gd_spb"]()
    pusher = queue_for(client, spider, None)
    for n in range(3):
        pusher.push(Request(f"http://127.0.0.1:1/{n}", callback=spider.parse_article))
    worker = queue_for(client, spider, "w-1")
    assert worker.inflight_key is not None
    worker._take(keys=[worker.key, worker.inflight_key], args=[2])  # the answer never came
    assert len(pusher) == 1 and in_flight(text, "gd_spb") == 2 and worker.held() == 0
    held = worker.pop()
    assert held is not None and worker.reclaim_unanswered() == 0  # busy: nothing moves
    worker.done(held)
    assert worker.reclaim_unanswered() == 2  # idle: the two unanswered go back
    assert len(pusher) == 2 and in_flight(text, "gd_spb") == 0


def test_output_staged_while_redis_was_away_is_sent_by_the_next_take(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request finished while Redis was away keeps its output staged. With no request left
    in the engine's hands, no done() would send it, and the staged pushes keep the engine from
    idling: the next take sends it first, so the run goes on (it hung before)."""
    client = redis.Redis.from_url(redis_url)
    text = redis.Redis.from_url(redis_url, decode_responses=True)
    spider = BUREAU_SPIDERS["gd_spb"]()
    queue_for(client, spider, None).push(Request("http://127.0.0.1:1/list", callback=spider.parse))
    worker = queue_for(client, spider, "w-1")
    listing = worker.pop()
    assert listing is not None
    worker.stage_push(Request("http://127.0.0.1:1/a", callback=spider.parse_article), "fp-a")
    with monkeypatch.context() as away:
        away.setattr(worker.server, "pipeline", lambda **_: _raise(redis.ConnectionError("away")))
        with pytest.raises(redis.ConnectionError):
            worker.done(listing)
    assert worker.held() == 0 and worker.local() == 1 and in_flight(text, "gd_spb") == 1
    article = worker.pop()  # Redis is back
    assert article is not None and article.url == "http://127.0.0.1:1/a"
    worker.done(article)
    assert worker.local() == 0 and in_flight(text, "gd_spb") == 0 and worker.pop() is None


def _raise(exc: Exception) -> Any:
    raise exc


def test_queue_refuses_callbacks_of_other_objects(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    spider = AGGREGATOR_SPIDERS["txyddy"]()
    with pytest.raises(ValueError, match="not a method of the spider"):
        queue_for(client, spider, None).push(Request("http://x/", callback=print))


# -- items through the stream -------------------------------------------------------------------


def normalized(site: str, stem: str) -> Extracted:
    fx = fixture_named(site, stem)
    article = extract_article(fx.html.read_bytes(), fx.url, site=SITES[site])
    return normalize_extracted(article)


def article_item(site: str, stem: str) -> ArticleItem:
    article = normalized(site, stem)
    page = FetchedPage(body=b"", listed_url=article.url, aliases=(article.url + "?old",))
    return ArticleItem(article.url, site, page, PageHints(title="t"), article=article)


def test_items_round_trip_as_versioned_json() -> None:
    item = article_item("gd_spb", "004_original")
    assert item.article is not None
    item.article = dataclasses.replace(item.article, dropped=Counter({"footer": 2}))
    text = encode_item(item)
    assert json.loads(text)["v"] == 1 and "body" not in json.loads(text)["page"]
    assert decode_item(text) == item
    skipped = SkippedPage("https://x/stub", "gd_spb", "redirect stub to https://x/a")
    assert decode_item(encode_item(skipped)) == skipped
    newer = json.loads(text) | {"added_later": 1}
    assert decode_item(json.dumps(newer)) == item  # fields it does not know are left out
    with pytest.raises(ItemCodecError, match="version 2"):
        decode_item(json.dumps(json.loads(text) | {"v": 2}))
    with pytest.raises(ItemCodecError):
        decode_item("{not json")


# -- the archiver's write path ------------------------------------------------------------------


def archiver_settings(redis_url: str, root: Path) -> Settings:
    settings = Settings()
    settings.setmodule("postcrawl.settings", priority="project")
    settings.setdict(
        {
            "POSTCRAWL_REDIS_URL": redis_url,
            "POSTCRAWL_DATA_DIR": str(root),
            "POSTCRAWL_FSYNC": False,
        },
        priority="cmdline",
    )
    configure(settings, "archiver")
    return settings


def test_archive_batch_archives_each_item_once_however_often_delivered(
    redis_url: str, archive_root: Path
) -> None:
    settings = archiver_settings(redis_url, archive_root)
    assert [path.rsplit(".", 1)[1] for path, _ in archive_steps(settings)] == [
        "TopicPipeline",
        "DedupePipeline",
        "StorePipeline",
    ]
    repost, original = (
        article_item("txyddy", "004_txyddy_repost"),
        article_item("gd_spb", "004_original"),
    )
    other = article_item("txyddy", "003_txyddy_shanxi")
    stub = SkippedPage("https://gd.spb.gov.cn/stub.html", "gd_spb", "redirect stub")
    entries = [Entry(f"{n}-0", item) for n, item in enumerate([repost, other, original, stub], 1)]
    archiver = Archiver(settings)
    try:
        results = archiver.archive_batch(entries)  # one group commit
        assert [r.outcome for r in results] == ["archived", "archived", "archived", "skipped"]
        assert all(r.ack for r in results)
        # The repost came first; the bureau's own page took its place.
        assert archiver.summary() == {"stored": 2, "replaced": 1, "skipped pages": 1}
        lines = list(read_manifest(archive_root))
        # Delivered again after a crash (an archiver died before acknowledging): recognized.
        again = archiver.archive_batch([Entry(e.id, e.item, deliveries=2) for e in entries])
        assert {r.outcome for r in again} == {"archived already"}
        assert list(read_manifest(archive_root)) == lines
        # Sent twice by a worker that died after sending: found archived, nothing written.
        twice = archiver.archive_batch([Entry("9-0", repost), Entry("10-0", original)])
        assert [r.outcome for r in twice] == ["dropped", "dropped"]
        assert all("duplicate" in r.detail for r in twice), twice
        assert list(read_manifest(archive_root)) == lines
        # Redis lost its data (or a first distributed run on an embedded crawl's archive):
        # the archive's seen rows are copied back, once.
        redis.Redis.from_url(redis_url).delete(keys.SEEN_URLS, keys.SEEN_HASHES)
        assert archiver.seed_seen() == 7 and archiver.seed_seen() == 0  # 3 URLs, 3 aliases, 1 stub
    finally:
        archiver.close()
    events = Counter(line["event"] for line in lines)
    assert events["article"] == 3 and events["skip"] == 1
    assert verify(archive_root).findings == []
    seen = RedisSeenStore(redis.Redis.from_url(redis_url, decode_responses=True))
    for item in (repost, original, other, stub):
        assert seen.url_seen(item.url), item.url
    assert seen.url_seen(original.url + "?old")  # its redirect alias
    assert seen.status(original.url)["status"] == "stored"  # type: ignore[index]
    seen.close()


# -- the switch -----------------------------------------------------------------------------


def test_an_embedded_crawl_is_refused_while_distributed_mode_is_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No server needed: with POSTCRAWL_REDIS_URL set, `postcrawl crawl` (without --worker)
    stops before anything starts, naming the distributed commands; without it, the
    distributed commands say what is missing."""
    from postcrawl.cli import main

    monkeypatch.setenv("POSTCRAWL_REDIS_URL", "redis://:secret@127.0.0.1:1/0")
    data = f"POSTCRAWL_DATA_DIR={tmp_path / 'data'}"
    assert main(["crawl", "gd_spb", "-s", data]) == 2
    err = capsys.readouterr().err
    assert "postcrawl crawl --worker" in err and "secret" not in err
    assert not (tmp_path / "data").exists()  # no archive, no run lock
    scrapy = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "gd_spb", "-s", data],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert scrapy.returncode == 2 and "postcrawl enqueue" in scrapy.stderr
    assert not (tmp_path / "data").exists()
    assert main(["status", "-s", "POSTCRAWL_REDIS_URL="]) == 2
    assert "POSTCRAWL_REDIS_URL" in capsys.readouterr().err
