"""What ``postcrawl enqueue``, ``postcrawl crawl --worker``, ``postcrawl archiver`` and
``postcrawl status`` do (their options are in ``postcrawl/cli/``)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from postcrawl.cli import CliError, plural
from postcrawl.distributed import keys
from postcrawl.distributed.connection import RedisUnavailable, check, connect, safe_url
from postcrawl.distributed.mode import Role, configure

logger = logging.getLogger(__name__)


def redis_for(settings: Any, role: Role) -> tuple[Any, str]:
    """*settings* made distributed for *role*, and a client of its server (checked)."""
    try:
        url = configure(settings, role)
        client = connect(url)
        check(client, url)
    except (ValueError, RedisUnavailable) as exc:
        raise CliError(str(exc), 2 if isinstance(exc, ValueError) else 1) from None
    return client, url


def _quiet_logging(settings: Any, overrides: dict[str, str]) -> None:
    """Scrapy's log handler only (the postcrawl command's plain one would print every record
    twice); WARNING unless ``-s LOG_LEVEL=`` says otherwise."""
    if "LOG_LEVEL" not in overrides:
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    for handler in logging.getLogger().handlers[:]:
        logging.getLogger().removeHandler(handler)


# -- enqueue ---------------------------------------------------------------------------------
def run_enqueue(
    settings: Any,
    overrides: dict[str, str],
    names: list[str],
    spargs: dict[str, str],
    *,
    restart: bool,
) -> int:
    """Start a run of each spider: its start requests into its shared queue (once, here, so
    that N workers do not each issue them). A spider whose run is still going (requests queued
    or held by a worker) is left alone unless *restart*."""
    from scrapy.crawler import CrawlerProcess

    from postcrawl.distributed.queue import in_flight, inflight_keys

    client, url = redis_for(settings, "enqueue")
    seed = []
    for name in names:
        queued, held = int(client.zcard(keys.queue(name))), in_flight(client, name)
        if (queued or held) and not restart:
            print(
                f"{name}: a run is in progress ({queued} queued, {held} in flight): not seeded "
                "again; start workers to finish it (or --restart to drop it)"
            )
            continue
        # A new run: the request fingerprints of the last one go (the seen store, not the
        # fingerprints, is what keeps articles from being fetched twice across runs).
        client.delete(keys.queue(name), keys.dupefilter(name), *inflight_keys(client, name))
        client.sadd(keys.SPIDERS, name)
        seed.append(name)
    waiting = int(client.xlen(keys.ITEMS))
    if waiting and seed:
        print(
            f"note: {plural(waiting, 'item')} still wait for the archiver; pending URLs among "
            "them are fetched again and recognized as archived"
        )
    if not seed:
        return 0
    _quiet_logging(settings, overrides)
    process = CrawlerProcess(settings)
    crawlers = []
    for name in seed:
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler, **spargs)
    process.start()
    status = 1 if process.bootstrap_failed else 0
    for crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        pushed = int(stats.get("scheduler/enqueued/redis", 0))
        queued = int(client.zcard(keys.queue(crawler.spidercls.name)))
        print(
            f"{crawler.spidercls.name}: {plural(pushed, 'start request')} queued "
            f"({queued} in the queue) on {safe_url(url)}"
        )
        if stats.get("finish_reason") not in (None, "finished"):
            status = 1
    return status


# -- worker ----------------------------------------------------------------------------------
def run_worker(
    settings: Any, overrides: dict[str, str], names: list[str], spargs: dict[str, str]
) -> int:
    """Run the spiders as one worker until their shared queues are done."""
    from postcrawl.cli.crawl import _run_crawlers
    from postcrawl.commands.crawl import run_problem

    client, url = redis_for(settings, "worker")
    client.close()
    _quiet_logging(settings, overrides)
    began = time.monotonic()
    print(f"postcrawl: worker for {', '.join(names)} on {safe_url(url)}", flush=True)
    process, crawlers = _run_crawlers(settings, names, spargs, live=False)
    status = 1 if process.bootstrap_failed else 0
    for crawler in crawlers:
        name = crawler.spidercls.name
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        print(
            f"{name}: {int(stats.get('downloader/response_count', 0))} pages fetched, "
            f"{int(stats.get('postcrawl/stream/articles', 0))} articles and "
            f"{int(stats.get('postcrawl/stream/skipped', 0))} skipped pages sent to the archiver, "
            f"{int(stats.get('postcrawl/failed', 0))} failed, "
            f"finish reason {stats.get('finish_reason')}",
            flush=True,
        )
        problem = run_problem(stats, name)
        if problem:
            print(f"postcrawl: {problem}", flush=True)
            status = 1
    print(f"worker done in {time.monotonic() - began:.1f} s", flush=True)
    return status


# -- archiver --------------------------------------------------------------------------------
def run_archiver(settings: Any, overrides: dict[str, str], *, forever: bool) -> int:
    """Write the stream into the archive until done (or forever)."""
    from postcrawl.archive import ArchiveError
    from postcrawl.commands.crawl import check_archive
    from postcrawl.distributed.archiver import Archiver
    from postcrawl.distributed.consumer import Consumer
    from postcrawl.paths import data_dir_setting

    client, url = redis_for(settings, "archiver")
    root = data_dir_setting(settings)
    problem = check_archive(root)
    if problem:
        raise CliError(problem)
    _quiet_logging(settings, overrides)
    logging.basicConfig(
        level=settings.get("LOG_LEVEL") or "WARNING",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        archiver = Archiver(settings)
    except (ArchiveError, ValueError) as exc:
        raise CliError(str(exc)) from None
    consumer = Consumer(client, archiver, settings, forever=forever)
    print(f"postcrawl: archiver {consumer.name} on {safe_url(url)} into {root}", flush=True)
    seeded = archiver.seed_seen()
    if seeded:
        print(
            f"the seen store in Redis lacked URLs: {plural(seeded, 'seen URL')} of the archive copied"
        )
    began = time.monotonic()
    try:
        status = consumer.run()
    finally:
        archiver.close()
        client.close()
    done = archiver.summary() | {
        k: v for k, v in consumer.outcomes.items() if k in ("error", "unreadable") and v
    }
    counts = ", ".join(f"{k} {v}" for k, v in sorted(done.items())) or "nothing"
    print(f"archiver done in {time.monotonic() - began:.1f} s: {counts}", flush=True)
    return status


# -- status ----------------------------------------------------------------------------------
def gather_status(client: Any) -> dict[str, Any]:
    """Queues, in-flight requests, the stream and its consumers, workers and archivers."""
    from postcrawl.distributed.presence import members
    from postcrawl.distributed.queue import in_flight

    now = time.time()
    spiders = {}
    for name in sorted(client.smembers(keys.SPIDERS)):
        spiders[name] = {
            "queued": int(client.zcard(keys.queue(name))),
            "in_flight": in_flight(client, name),
            "requests_this_run": int(client.scard(keys.dupefilter(name))),
        }
    stream: dict[str, Any] = {
        "waiting": int(client.xlen(keys.ITEMS)) if client.exists(keys.ITEMS) else 0
    }
    stream["dead_letters"] = (
        int(client.xlen(keys.DEAD_ITEMS)) if client.exists(keys.DEAD_ITEMS) else 0
    )
    stream["undelivered"] = stream["pending"] = 0
    if client.exists(keys.ITEMS):
        for group in client.xinfo_groups(keys.ITEMS):
            if group.get("name") == keys.ARCHIVER_GROUP:
                stream["undelivered"] = int(group.get("lag") or 0)
                stream["pending"] = int(group.get("pending") or 0)
        first = client.xrange(keys.ITEMS, count=1)
        if first:
            stream["oldest_age_s"] = round(now - int(first[0][0].split("-")[0]) / 1000, 1)
    server = client.info()
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "redis": {
            "version": server.get("redis_version"),
            "used_memory": server.get("used_memory_human"),
            "aof_enabled": bool(server.get("aof_enabled")),
            "rdb_last_save": server.get("rdb_last_save_time"),
        },
        "spiders": spiders,
        "stream": stream,
        "workers": _ages(members(client, "worker"), now),
        "archivers": _ages(members(client, "archiver"), now),
        "seen_urls": int(client.hlen(keys.SEEN_URLS)),
        "frontier_urls": int(client.hlen(keys.FRONTIER)),
    }


def _ages(entries: dict[str, dict[str, Any]], now: float) -> dict[str, dict[str, Any]]:
    for entry in entries.values():
        entry["last_beat_s"] = round(now - float(entry.get("beat", now)), 1)
    return entries


def status_text(status: dict[str, Any], url: str) -> str:
    """``postcrawl status`` as plain lines."""
    r = status["redis"]
    lines = [
        f"Redis {safe_url(url)}: version {r['version']}, {r['used_memory']} used, "
        f"AOF {'on' if r['aof_enabled'] else 'off'}",
        f"seen URLs {status['seen_urls']}, frontier URLs {status['frontier_urls']}",
        "spiders (queued / in flight / requests this run):",
    ]
    for name, s in status["spiders"].items():
        lines.append(
            f"  {name:<14} {s['queued']:>7} {s['in_flight']:>7} {s['requests_this_run']:>8}"
        )
    if not status["spiders"]:
        lines.append("  none seeded (postcrawl enqueue)")
    st = status["stream"]
    lag = f", oldest waiting {st['oldest_age_s']} s" if "oldest_age_s" in st else ""
    lines.append(
        f"items for the archiver: {st['waiting']} waiting ({st['undelivered']} not yet read, "
        f"{st['pending']} being archived){lag}; dead letters {st['dead_letters']}"
    )
    for kind in ("workers", "archivers"):
        entries = status[kind]
        alive_n = sum(1 for e in entries.values() if e["alive"])
        lines.append(f"{kind}: {alive_n} alive, {len(entries) - alive_n} gone")
        for ident, e in entries.items():
            what = (
                ", ".join(e.get("spiders", []))
                if kind == "workers"
                else ", ".join(f"{k} {v}" for k, v in sorted((e.get("outcomes") or {}).items()))
            )
            state = "alive" if e["alive"] else "gone"
            lines.append(f"  {ident:<32} {state:<5} beat {e['last_beat_s']} s ago  {what}")
    return "\n".join(lines)
