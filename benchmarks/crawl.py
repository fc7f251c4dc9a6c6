"""Crawl throughput: ``scrapy crawl gd_spb`` against a local mirror vs a truly bare spider.

    python benchmarks/crawl.py                 # 2,000 seed-length articles, 5 pairs
    python benchmarks/crawl.py --quick         # 400 articles, 3 pairs
    python benchmarks/crawl.py --cores 1       # both sides pinned to one core
    python benchmarks/crawl.py --memory 100000 # memory of one crawl of 100,000 articles

Serves a clean mirror of gd.spb.gov.cn (:class:`postcrawl.mirror.bureau.BureauMirror`, article
bodies of about 2,500 characters like the seeds, TCP_NODELAY so no delayed-ACK stall) on
127.0.0.1, then runs, each as its own process with delays off and the same concurrency, in
pairs A B A B …:

A. ``scrapy crawl gd_spb`` into an empty archive: what users run (discovery, extraction,
   normalization, dedupe, store with fsync, the WARC, the frontier, run report);
B. a bare Scrapy spider (below) run with Scrapy's defaults — no project settings, no
   pipelines, no WARC, no robots.txt — that downloads the same API pages and article pages and
   keeps nothing: the cost of downloading alone.

Prints, for each side, the median and min–max of articles/s (from Scrapy's own
``elapsed_time_seconds``) and CPU seconds per 1,000 articles (the child process's user+sys),
the median ratio A/B (target >= 0.8), and the requests an unchanged re-run makes.
This file is also the bare spider's module (``scrapy runspider benchmarks/crawl.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": "False",
}


class BareSpider(scrapy.Spider):
    """Downloads the bureau's API pages and their article pages; keeps nothing (the baseline)."""

    name = "bare_bureau"

    def __init__(self, base_url: str, lists: str, stats: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.lists = lists.split(",")
        self.stats_path = Path(stats)

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

    def closed(self, reason: str) -> None:
        """Write what the benchmark reads (no project extension does it here): the articles
        and the time since the engine opened the spider, as ``elapsed_time_seconds`` is."""
        stats = self.crawler.stats
        started = stats.get_value("start_time")
        elapsed = (datetime.now(UTC) - started).total_seconds()
        payload = {
            "bare/articles": stats.get_value("bare/articles", 0),
            "elapsed_time_seconds": elapsed,
        }
        self.stats_path.write_text(json.dumps(payload), encoding="utf-8")


def run(
    cmd: list[str], settings: dict[str, str], stats_file: Path, cwd: Path, cores: int | None
) -> tuple[dict[str, Any], float, dict[str, float]]:
    """One crawl process: its final stats, the CPU seconds (user + sys) it and its children
    used, and that CPU by process (crawl, page, archive), sampled every 0.1 s while it runs
    (what a process uses after its last sample is missed)."""
    for key, value in {**CONCURRENCY, **settings, "POSTCRAWL_STATS_FILE": str(stats_file)}.items():
        # (The bare side ignores POSTCRAWL_STATS_FILE; its spider writes the file itself.)
        cmd += ["-s", f"{key}={value}"]
    env = dict(os.environ)
    env.pop("SCRAPY_SETTINGS_MODULE", None)

    def pin() -> None:
        if cores:
            os.sched_setaffinity(0, set(range(cores)))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=pin,
    )  # fmt: skip
    by_process: dict[str, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            archive, pages = pipeline_children(proc.pid)
            for role, pid in (("crawl", proc.pid), ("page", pages), ("archive", archive)):
                if pid is not None and (seconds := cpu_seconds(pid)) is not None:
                    by_process[role] = seconds

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"crawl failed:\n{stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(stats_file.read_text(encoding="utf-8")), cpu, by_process


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds process *pid* has used so far (not its children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def gd_spb_cmd(base_url: str) -> list[str]:
    """``scrapy crawl gd_spb`` against the mirror at *base_url* (settings are added after)."""
    return [sys.executable, "-m", "scrapy", "crawl", "gd_spb", "-a", f"base_url={base_url}"]


def rss_mb(pid: int) -> float:
    """Resident memory of process *pid* (MiB), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pipeline_children(pid: int) -> tuple[int | None, int | None]:
    """The archive and page processes of crawl process *pid* (started in that order; the
    multiprocessing resource tracker, also a child, is left out)."""
    found = []
    for child in sorted(children_of(pid)):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            found.append(child)
    return (found[0] if found else None), (found[1] if len(found) > 1 else None)


def memory_run(base_url: str, data: Path, total: int, cores: int | None) -> None:
    """One ``scrapy crawl gd_spb`` of the whole mirror, its memory sampled as it goes: the
    crawl process and the pipeline's page and archive processes, at each tenth of the
    articles archived."""
    cmd = gd_spb_cmd(base_url)
    for key, value in {**CONCURRENCY, "POSTCRAWL_DATA_DIR": str(data)}.items():
        cmd += ["-s", f"{key}={value}"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=(lambda: os.sched_setaffinity(0, set(range(cores)))) if cores else None,
    )
    manifest = data / "manifest.jsonl"
    lines, offset, next_mark, peak = 0, 0, 0, (0.0, 0.0, 0.0)
    print("  archived   crawl RSS   page process   archive process   elapsed")
    started = time.monotonic()
    while proc.poll() is None:
        time.sleep(1.0)
        if manifest.exists():
            with open(manifest, "rb") as fh:
                fh.seek(offset)
                chunk = fh.read()
            lines += chunk.count(b"\n")
            offset += len(chunk)
        archive_pid, pages_pid = pipeline_children(proc.pid)
        crawl = rss_mb(proc.pid)
        pages = rss_mb(pages_pid) if pages_pid else 0.0
        archive = rss_mb(archive_pid) if archive_pid else 0.0
        peak = (max(peak[0], crawl), max(peak[1], pages), max(peak[2], archive))
        if lines >= next_mark:
            print(
                f"  {lines:>8,}   {crawl:>6.0f} MiB   {pages:>8.0f} MiB   {archive:>11.0f} MiB   "
                f"{time.monotonic() - started:>5.0f} s"
            )
            next_mark = lines + max(1, total // 10)
    if proc.returncode != 0:
        sys.exit(f"crawl failed with exit status {proc.returncode}")
    print(
        f"  {lines:>8,} manifest lines at the end; peak RSS crawl {peak[0]:.0f} MiB, "
        f"page process {peak[1]:.0f} MiB, archive process {peak[2]:.0f} MiB"
    )


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    """``median (min–max)``."""
    return (
        f"{fmt.format(statistics.median(values))} "
        f"({fmt.format(min(values))}–{fmt.format(max(values))})"
    )


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from postcrawl.bureau_lists import api_url
    from postcrawl.mirror import MirrorServer
    from postcrawl.mirror.bureau import BureauMirror

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 articles, 3 pairs")
    parser.add_argument("--articles", type=int, help="listed articles (default 2000)")
    parser.add_argument("--pairs", type=int, help="A/B pairs (default 5)")
    parser.add_argument("--cores", type=int, help="pin each crawl process to this many cores")
    parser.add_argument("--chars", type=int, default=2500, help="article body length floor")
    parser.add_argument(
        "--memory",
        type=int,
        metavar="N",
        help="instead: one crawl of N articles, printing its memory as it goes",
    )
    args = parser.parse_args()
    if args.memory:
        mirror = BureauMirror(
            "gd", articles=args.memory, page_size=50, faults=False, body_chars=args.chars
        )
        with MirrorServer(mirror.routes()) as server, tempfile.TemporaryDirectory() as tmp:
            print(f"memory: one gd_spb crawl of a {args.memory:,}-article mirror")
            memory_run(server.base_url, Path(tmp) / "data", args.memory, args.cores)
        return
    count = args.articles or (400 if args.quick else 2000)
    pairs = args.pairs or (3 if args.quick else 5)
    mirror = BureauMirror("gd", articles=count, page_size=50, faults=False, body_chars=args.chars)
    lists = [api_url("", c.channel_id, 1) for c in mirror.channels]
    articles = {a.listed_path for a in mirror.articles}
    chars = statistics.mean(sum(len(p) for p in a.paragraphs) for a in mirror.articles)

    rates: dict[str, list[float]] = {"postcrawl": [], "bare": []}
    cpu_per_k: dict[str, list[float]] = {"postcrawl": [], "bare": []}
    cpu_by_process: dict[str, list[float]] = {}
    ratios: list[float] = []
    with MirrorServer(mirror.routes()) as server, tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        bare_cwd = tmpdir / "bare"  # no scrapy.cfg: Scrapy's defaults, not the project's
        bare_cwd.mkdir()
        print(
            f"mirror: {count} articles ({chars:.0f} characters on average), "
            f"{len(mirror.channels)} channels, {server.base_url}; {pairs} pairs"
            + (f", pinned to {args.cores} core(s)" if args.cores else "")
        )
        for n in range(pairs):
            data = tmpdir / f"data-{n}"
            full, cpu, by_process = run(
                gd_spb_cmd(server.base_url),
                {"POSTCRAWL_DATA_DIR": str(data)},
                tmpdir / f"full-{n}.json",
                ROOT,
                args.cores,
            )
            stored = full.get("postcrawl/store/stored", 0)
            rates["postcrawl"].append(stored / full["elapsed_time_seconds"])
            cpu_per_k["postcrawl"].append(cpu / stored * 1000)
            for role, seconds in by_process.items():
                cpu_by_process.setdefault(role, []).append(seconds / stored * 1000)
            bare, cpu, _ = run(
                [
                    sys.executable, "-m", "scrapy", "runspider", str(Path(__file__).resolve()),
                    "-a", f"base_url={server.base_url}", "-a", f"lists={','.join(lists)}",
                    "-a", f"stats={tmpdir / f'bare-{n}.json'}",
                ],
                {},
                tmpdir / f"bare-{n}.json",
                bare_cwd,
                args.cores,
            )  # fmt: skip
            fetched = bare.get("bare/articles", 0)
            rates["bare"].append(fetched / bare["elapsed_time_seconds"])
            cpu_per_k["bare"].append(cpu / fetched * 1000)
            ratios.append(rates["postcrawl"][-1] / rates["bare"][-1])
            print(
                f"  pair {n + 1}: gd_spb {rates['postcrawl'][-1]:.0f}/s ({stored} stored), "
                f"bare {rates['bare'][-1]:.0f}/s ({fetched} fetched), ratio {ratios[-1]:.2f}"
            )
        server.reset_hits()
        again, _, _ = run(
            gd_spb_cmd(server.base_url),
            {"POSTCRAWL_DATA_DIR": str(tmpdir / "data-0")},
            tmpdir / "again.json",
            ROOT,
            args.cores,
        )
        article_requests = sum(n for p, n in server.hits.items() if p in articles)
        list_requests = sum(
            n for p, n in server.hits.items() if "common_list" in p or "/common/search/" in p
        )

    print(
        f"gd_spb (what users run): {spread(rates['postcrawl'])} articles/s, "
        f"{spread(cpu_per_k['postcrawl'], '{:.1f}')} CPU s per 1,000 articles"
    )
    print(
        "  of which, by process:  "
        + ", ".join(f"{role} {spread(values, '{:.1f}')}" for role, values in cpu_by_process.items())
    )
    print(
        f"bare download spider:    {spread(rates['bare'])} articles/s, "
        f"{spread(cpu_per_k['bare'], '{:.1f}')} CPU s per 1,000 articles"
    )
    print(f"ratio gd_spb / bare:     {spread(ratios, '{:.2f}')} (target >= 0.8)")
    print(
        f"incremental re-run:      {again.get('downloader/request_count', 0)} requests "
        f"({list_requests} list or API pages, {article_requests} articles), "
        f"{again.get('postcrawl/store/stored', 0)} stored"
    )


if __name__ == "__main__":
    main()
