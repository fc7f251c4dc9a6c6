"""Distributed crawl throughput: 1, 2 and 4 workers and one archiver on one mirror.

    python benchmarks/distributed.py                # 1,200 articles, 50 ms latency, 3 rounds
    python benchmarks/distributed.py --quick        # 400 articles, 2 rounds
    python benchmarks/distributed.py --workers 1 2 --rounds 5 --latency 100

Needs Debian's ``redis-server`` (the benchmark starts its own, on a free port, no persistence).
Serves a clean gd.spb.gov.cn mirror (seed-length bodies) that answers every request after
``--latency`` milliseconds (a distant server), and per round, for each worker count in turn
(rounds interleave the counts, so a busy moment of the machine falls on all of them):

1. a fresh Redis database and a fresh archive; ``postcrawl archiver`` and N
   ``postcrawl crawl --worker gd_spb`` processes started and waited for (their heartbeats), so
   Python's start-up is not measured;
2. ``postcrawl enqueue gd_spb``; the clock runs from the mirror's first answer to the moment the
   last article is archived (every article's URL marked seen in Redis by the archiver); then
   the processes are stopped (SIGTERM).

Per-host politeness is **off** (``DOWNLOAD_DELAY=0``, AutoThrottle off: one host would otherwise
cap every worker count alike) and each worker's concurrency is fixed (``--concurrency``, per
worker and per host), so a speed-up is the workers'. ``robots.txt`` is not read (one request
per worker). The archive is written with fsync, as a crawl writes it (``--no-fsync`` for
comparison). Prints per run and as medians two rates: articles archived per second (end to end,
the clock above) and articles fetched per second (the mirror's first to last answer: the
workers alone), with the speed-up of each count over one worker (median of the per-round
ratios). Targets: 1.7x with 2 workers, 3x with 4.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POSTCRAWL = [sys.executable, "-m", "postcrawl"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([binary, *options, "--dir", str(folder)], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """*cmd* in the background, its output in *log*."""
    with open(log, "w") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import redis

    from postcrawl.distributed import keys
    from postcrawl.distributed.presence import alive
    from postcrawl.mirror.bureau import BureauMirror
    from postcrawl.mirror.server import MirrorServer

    class TimedMirror(MirrorServer):
        """The mirror, noting when it first and last answered."""

        first: float | None = None
        last: float = 0.0

        def _answer(self, handler: Any, head: bool = False) -> None:
            if self.first is None:
                self.first = time.monotonic()
            super()._answer(handler, head)
            self.last = time.monotonic()

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 articles, 2 rounds")
    parser.add_argument("--articles", type=int, help="listed articles (default 1200)")
    parser.add_argument("--rounds", type=int, help="rounds over every worker count (default 3)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=50.0, help="ms per answer (default 50)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests per worker")
    parser.add_argument("--chars", type=int, default=2500, help="article body length floor")
    parser.add_argument("--no-fsync", action="store_true", help="the archiver does not fsync")
    args = parser.parse_args()
    count = args.articles or (400 if args.quick else 1200)
    rounds = args.rounds or (2 if args.quick else 3)
    mirror = BureauMirror("gd", articles=count, page_size=20, faults=False, body_chars=args.chars)
    expected = len(mirror.expected())
    settings = {
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
        "ROBOTSTXT_OBEY": "False",
        "CONCURRENT_REQUESTS": str(args.concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(args.concurrency),
        "POSTCRAWL_RETRY_BACKOFF_BASE": "0",
        "POSTCRAWL_FSYNC": str(not args.no_fsync),
        # Nobody leaves before the enqueue: they are stopped once everything is archived.
        "POSTCRAWL_WORKER_IDLE_TIMEOUT": "0",
        "POSTCRAWL_HEARTBEAT_INTERVAL": "0.5",
        "POSTCRAWL_HEARTBEAT_TTL": "3",
        "LOG_LEVEL": "WARNING",
    }
    options = [arg for k, v in settings.items() for arg in ("-s", f"{k}={v}")]
    rates: dict[int, list[float]] = {n: [] for n in args.workers}
    fetch_rates: dict[int, list[float]] = {n: [] for n in args.workers}
    with (
        tempfile.TemporaryDirectory() as tmp,
        TimedMirror(mirror.routes(), latency=args.latency / 1000) as server,
    ):
        folder = Path(tmp)
        redis_proc, url = start_redis(folder)
        client = redis.Redis.from_url(url, decode_responses=True)
        env = {**os.environ, "POSTCRAWL_REDIS_URL": url}
        spider = ["gd_spb", "-a", f"base_url={server.base_url}", *options]
        print(
            f"mirror: {count} articles ({expected} to archive), {args.latency:.0f} ms per answer; "
            f"{args.concurrency} concurrent requests per worker, no download delay; "
            f"archive fsync {'off' if args.no_fsync else 'on'}; {rounds} rounds",
            flush=True,
        )
        try:
            for r in range(rounds):
                for n in args.workers:
                    client.flushall()
                    data = folder / f"data-{r}-{n}"
                    logs = folder / f"logs-{r}-{n}"
                    logs.mkdir()
                    archive = ["-s", f"POSTCRAWL_DATA_DIR={data}"]
                    procs = [spawn([*POSTCRAWL, "archiver", *options, *archive], env, logs / "a")]
                    procs += [
                        spawn([*POSTCRAWL, "crawl", "--worker", *spider], env, logs / f"w{w}")
                        for w in range(n)
                    ]
                    deadline = time.monotonic() + 60
                    while len(alive(client, "worker")) < n or not alive(client, "archiver"):
                        if time.monotonic() > deadline:
                            sys.exit(f"workers did not start; logs in {logs}")
                        time.sleep(0.1)
                    server.first = None
                    subprocess.run(
                        [*POSTCRAWL, "enqueue", *spider], cwd=ROOT, env=env, check=True,
                        stdout=subprocess.DEVNULL,
                    )  # fmt: skip
                    while client.hlen(keys.SEEN_URLS) < expected:
                        time.sleep(0.02)
                    done = time.monotonic()
                    assert server.first is not None
                    rates[n].append(expected / (done - server.first))
                    fetch_rates[n].append(expected / (server.last - server.first))
                    # Everyone leaves: workers and archiver stop cleanly on SIGTERM.
                    for proc in procs:
                        proc.terminate()
                    for proc in procs:
                        proc.wait(timeout=120)
                    print(
                        f"  round {r + 1}, {n} worker{'s' if n > 1 else ''}: "
                        f"{rates[n][-1]:.1f} articles/s archived ({done - server.first:.1f} s), "
                        f"{fetch_rates[n][-1]:.1f}/s fetched ({server.last - server.first:.1f} s)",
                        flush=True,
                    )
        finally:
            client.close()
            redis_proc.terminate()
    base = args.workers[0]
    for title, table in (("archived (end to end)", rates), ("fetched (the workers)", fetch_rates)):
        print(f"\n{title}: articles/s median (min–max), speed-up over {base} median (min–max)")
        for n in args.workers:
            ratios = [a / b for a, b in zip(table[n], table[base], strict=True)]
            print(
                f"  {n} worker{'s' if n > 1 else ' '}  {statistics.median(table[n]):6.1f} "
                f"({min(table[n]):.1f}–{max(table[n]):.1f})   {statistics.median(ratios):.2f}x "
                f"({min(ratios):.2f}–{max(ratios):.2f}x)"
            )


if __name__ == "__main__":
    threading.current_thread().name = "benchmark"
    main()
