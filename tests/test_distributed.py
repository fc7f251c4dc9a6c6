"""Distributed mode end to end: real ``redis-server`` (the ``redis_url`` fixture), real
processes — ``postcrawl enqueue``, two ``postcrawl crawl --worker`` and ``postcrawl archiver``
— against a local mirror: the gd bureau with 300 articles and txyddy reposting every third of
them (400 article pages, 300 bodies). What an embedded crawl of the same mirror archives is the
reference.

* Undisturbed, with two archivers sharing the archive: both workers take part, no page is
  fetched twice (the mirror counts requests), every article is archived once, the same body
  hashes as the embedded crawl, ``verify`` clean.
* Killed: one worker is SIGKILLed mid-run (the other takes its in-flight requests once its
  heartbeat has expired and finishes the queue) and the archiver is SIGKILLed mid-run and
  started again (it claims the dead one's unacknowledged entries): nothing lost, nothing
  archived twice, ``verify`` clean.
* Redis killed mid-run and started again from its append-only file: the processes wait for it
  and finish; nothing lost, nothing fetched twice.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import pytest
import redis

from postcrawl.archive import read_manifest
from postcrawl.distributed import keys
from postcrawl.mirror.aggregators import combined_routes
from postcrawl.mirror.bureau import BureauMirror
from postcrawl.mirror.reposts import RepostMirror
from postcrawl.mirror.server import MirrorServer
from tests.conftest import ROOT, free_port

ARTICLES = 300
SPIDERS = ["gd_spb", "txyddy"]
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "POSTCRAWL_RETRY_BACKOFF_BASE": "0",
    "ROBOTSTXT_OBEY": "False",
    "POSTCRAWL_FSYNC": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
}
# Short heartbeats and timeouts: a dead process is noticed in 2 s, a finished one leaves in 1.5 s.
QUICK = {
    "POSTCRAWL_HEARTBEAT_INTERVAL": "0.3",
    "POSTCRAWL_HEARTBEAT_TTL": "2",
    "POSTCRAWL_WORKER_IDLE_TIMEOUT": "1.5",
    "POSTCRAWL_ARCHIVER_IDLE_TIMEOUT": "1.5",
    "POSTCRAWL_ARCHIVER_CLAIM_IDLE": "1",
    "POSTCRAWL_ARCHIVER_BATCH": "20",
}
POSTCRAWL = [sys.executable, "-m", "postcrawl"]


def settings(values: dict[str, str]) -> list[str]:
    return [arg for name, value in values.items() for arg in ("-s", f"{name}={value}")]


@pytest.fixture(scope="module")
def mirror() -> Iterator[MirrorServer]:
    bureau = BureauMirror("gd", articles=ARTICLES, faults=False)
    reposts = RepostMirror(bureau, every=3)
    assert len(reposts.originals) == 100
    # A little latency, so that the runs last long enough to be killed in the middle.
    with MirrorServer(combined_routes(bureau, [reposts]), latency=0.004) as server:
        yield server


def archive_state(data: Path) -> dict[str, object]:
    """What an archive holds: body hashes, article files, and how often each URL is in the
    manifest (once: stored, a further URL of an article, or the repost an official page
    replaced)."""
    conn = sqlite3.connect(data / "index.sqlite3")
    try:
        hashes = {h for (h,) in conn.execute("SELECT hash FROM articles")}
    finally:
        conn.close()
    urls = Counter(
        r["url"] for r in read_manifest(data) if r and r.get("event") in ("article", "url")
    )
    files = sorted(p for p in data.glob("[0-9]*/*/*/*.txt"))
    return {"hashes": hashes, "files": len(files), "urls": urls}


@pytest.fixture(scope="module")
def embedded(mirror: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The reference: an embedded crawl of the same mirror, and the pages it fetched."""
    data = tmp_path_factory.mktemp("embedded") / "data"
    mirror.reset_hits()
    options = settings(FAST | {"POSTCRAWL_DATA_DIR": str(data)})
    proc = subprocess.run(
        [*POSTCRAWL, "crawl", *SPIDERS, "-a", f"base_url={mirror.base_url}", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "POSTCRAWL_REDIS_URL"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = archive_state(data)
    state["pages"] = set(mirror.hits)
    mirror.reset_hits()
    assert len(state["hashes"]) == ARTICLES  # type: ignore[arg-type]
    return state


class Cluster:
    """Processes of one distributed run, their output in files under *folder*."""

    def __init__(self, folder: Path, redis_url: str, mirror: MirrorServer) -> None:
        self.folder = folder
        self.env = {**os.environ, "POSTCRAWL_REDIS_URL": redis_url}
        self.mirror = mirror
        self.data = folder / "data"
        self._logs: list[IO[str]] = []
        self._procs: list[subprocess.Popen[str]] = []

    def spider_args(self) -> list[str]:
        return [*SPIDERS, "-a", f"base_url={self.mirror.base_url}", *settings(FAST | QUICK)]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*POSTCRAWL, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60
        )

    def start(self, name: str, *args: str) -> subprocess.Popen[str]:
        out = open(self.folder / f"{name}.out", "w")  # noqa: SIM115 - closed in close()
        self._logs.append(out)
        proc = subprocess.Popen(
            [*POSTCRAWL, *args],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._procs.append(proc)
        return proc

    def worker(self, name: str) -> subprocess.Popen[str]:
        return self.start(name, "crawl", "--worker", *self.spider_args())

    def archiver(self, name: str) -> subprocess.Popen[str]:
        extra = settings(FAST | QUICK | {"POSTCRAWL_DATA_DIR": str(self.data)})
        return self.start(name, "archiver", "-a", f"base_url={self.mirror.base_url}", *extra)

    def output(self, name: str) -> str:
        return (self.folder / f"{name}.out").read_text(encoding="utf-8")

    def close(self) -> None:
        """Kill what is still running (a test that failed halfway leaves processes that
        would wait on a Redis that is gone, into the tests after it), close the logs."""
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        for log in self._logs:
            log.close()


def wait(proc: subprocess.Popen[str], cluster: Cluster, name: str, timeout: float = 90) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{name} did not finish:\n{_tail(cluster.output(name))}")
    assert proc.returncode == 0, _tail(cluster.output(name))


def _tail(output: str, chars: int = 6000) -> str:
    """The end of a process's output, with the warnings an outage repeats for every request
    and heartbeat kept to their first three, so what came after them fits."""
    seen: Counter[str] = Counter()
    kept = []
    for line in output.splitlines():
        kind = next((k for k in ("did not take", "heartbeat not sent") if k in line), None)
        if kind is not None:
            seen[kind] += 1
            if seen[kind] > 3:
                continue
        kept.append(line)
    dropped = sum(max(0, n - 3) for n in seen.values())
    tail = "\n".join(kept)[-chars:]
    return f"({dropped} repeated warnings left out)\n{tail}" if dropped else tail


def wait_until(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("the run never got there")
        time.sleep(0.05)


def assert_like_embedded(cluster: Cluster, embedded: dict[str, object]) -> None:
    state = archive_state(cluster.data)
    assert state["hashes"] == embedded["hashes"]  # nothing lost
    assert state["files"] == ARTICLES  # one file per article
    urls: Counter[str] = state["urls"]  # type: ignore[assignment]
    assert set(urls) == set(embedded["urls"])  # type: ignore[arg-type]
    assert set(urls.values()) == {1}, [u for u, n in urls.items() if n > 1][:5]  # nothing twice
    verify = cluster.run("verify", "--data-dir", str(cluster.data))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    status = cluster.run("status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"waiting": 0' in status.stdout and '"queued": 0' in status.stdout


def test_two_workers_and_two_archivers_fetch_each_page_once(
    redis_url: str, mirror: MirrorServer, embedded: dict[str, object], tmp_path: Path
) -> None:
    cluster = Cluster(tmp_path, redis_url, mirror)
    try:
        seeded = cluster.run("enqueue", *cluster.spider_args())
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        assert "gd_spb: 1 start request queued" in seeded.stdout
        again = cluster.run("enqueue", *cluster.spider_args())  # a run in progress: left alone
        assert "gd_spb: a run is in progress (1 queued, 0 in flight)" in again.stdout
        archivers = [cluster.archiver(f"archiver{n}") for n in (1, 2)]
        workers = [cluster.worker(f"worker{n}") for n in (1, 2)]
        for n, proc in enumerate(workers, 1):
            wait(proc, cluster, f"worker{n}")
        for n, proc in enumerate(archivers, 1):
            wait(proc, cluster, f"archiver{n}")
    finally:
        cluster.close()
    hits = dict(mirror.hits)
    mirror.reset_hits()
    assert set(hits) == embedded["pages"]  # the same pages as the embedded crawl …
    assert set(hits.values()) == {1}  # … each fetched once, by one worker or the other
    for n in (1, 2):  # both took part
        fetched = re.search(r"^gd_spb: (\d+) pages fetched", cluster.output(f"worker{n}"), re.M)
        assert fetched and int(fetched[1]) > 0, cluster.output(f"worker{n}")[-3000:]
    assert_like_embedded(cluster, embedded)


def test_killed_worker_and_archiver_lose_nothing_and_double_nothing(
    redis_url: str, mirror: MirrorServer, embedded: dict[str, object], tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    cluster = Cluster(tmp_path, redis_url, mirror)
    try:
        assert cluster.run("enqueue", *cluster.spider_args()).returncode == 0
        archiver = cluster.archiver("archiver1")
        doomed, survivor = cluster.worker("worker1"), cluster.worker("worker2")
        # Mid-run: a third of the pages fetched, requests in flight at both workers.
        wait_until(lambda: sum(mirror.hits.values()) >= 140)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        # The archiver, once it has archived a hundred items and is in the middle of more.
        wait_until(lambda: client.hlen(keys.SEEN_URLS) >= 100)
        archiver.send_signal(signal.SIGKILL)
        archiver.wait()
        restarted = cluster.archiver("archiver2")
        wait(survivor, cluster, "worker2")
        wait(restarted, cluster, "archiver2")
    finally:
        cluster.close()
        client.close()
    mirror.reset_hits()
    assert "dead workers back in the queue" in cluster.output("worker2")
    assert_like_embedded(cluster, embedded)


def test_a_redis_restart_with_its_append_only_file_loses_nothing(
    redis_server: str, tmp_path: Path
) -> None:
    """Redis killed (SIGKILL) mid-run and started again from its AOF two seconds later: the
    worker and the archiver wait for it and finish, every article archived once. No page is
    fetched twice but the ones whose callback failed on Redis while it was down: the worker
    logs each ("… failed on Redis …; it goes back to the queue") and fetches it once more.

    With ``appendfsync always``: Redis then answers a write only once it is in the AOF, so the
    kill loses nothing it acknowledged. Under ``everysec`` Redis may answer writes it has not
    yet written to the file (while an fsync is slow it holds them back for up to two
    seconds): a lost take puts a request back in the queue, to be fetched again unannounced
    (docs/distributed.md, "Redis restarts with its data")."""
    binary = shutil.which("redis-server")
    assert binary is not None  # redis_server would have skipped (or failed, under CI)
    port = free_port()
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)]
    options += ["--appendonly", "yes", "--appendfsync", "always"]

    def start() -> subprocess.Popen[bytes]:
        server = subprocess.Popen([binary, *options], stdout=subprocess.DEVNULL)
        wait_until(lambda: _answers(port), timeout=10)
        return server

    bureau = BureauMirror("gd", articles=100, faults=False)
    redis_proc = start()
    with MirrorServer(bureau.routes(), latency=0.01) as mirror:
        cluster = Cluster(tmp_path, f"redis://127.0.0.1:{port}/0", mirror)
        try:
            args = ["gd_spb", "-a", f"base_url={mirror.base_url}", *settings(FAST | QUICK)]
            assert cluster.run("enqueue", *args).returncode == 0
            archiver, worker = (
                cluster.archiver("archiver"),
                cluster.start("worker", "crawl", "--worker", *args),
            )
            wait_until(lambda: sum(mirror.hits.values()) >= 40)
            redis_proc.send_signal(signal.SIGKILL)
            redis_proc.wait()
            time.sleep(2)
            redis_proc = start()
            wait(worker, cluster, "worker")
            wait(archiver, cluster, "archiver")
            requeued = {  # in the mirror's terms: path and query
                parts.path + (f"?{parts.query}" if parts.query else "")
                for url in re.findall(r"(\S+) failed on Redis \(", cluster.output("worker"))
                if (parts := urlsplit(url))
            }
            twice = {path: n for path, n in mirror.hits.items() if n > 1}
            assert set(twice.values()) <= {2} and set(twice) <= requeued, (twice, requeued)
        finally:
            cluster.close()
            redis_proc.terminate()
            redis_proc.wait()
    state = archive_state(cluster.data)
    assert state["files"] == len(state["hashes"]) == len(bureau.expected())  # type: ignore[arg-type]
    assert "Redis did not answer" in cluster.output("archiver")
    verify = cluster.run("verify", "--data-dir", str(cluster.data))
    assert verify.returncode == 0, verify.stdout


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
