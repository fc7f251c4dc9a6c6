"""Drills for the reliability guarantees (docs/archive-format.md, "Writing and recovery" and
"The crawl frontier"): a crawl killed at random moments and inside the store step, a site that
fails a fifth of its requests in four different ways, and a disk that fills up mid-crawl.

Each drill runs the real ``scrapy crawl gd_spb`` in a subprocess against a local mirror and
compares the archive with the one an uninterrupted crawl of the same mirror makes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from postcrawl.archive import ArchiveStore, article_files, read_manifest, verify
from postcrawl.archive.files import hash_of
from postcrawl.mirror import MirrorServer
from postcrawl.mirror.bureau import BureauMirror
from tests.conftest import ROOT

FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "POSTCRAWL_RETRY_BACKOFF_BASE": "0",
    "POSTCRAWL_FSYNC": "False",
    "POSTCRAWL_WARC_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    # Groups of at most 16: still several items per group commit (a kill lands inside one),
    # but a kill after the commit point cannot archive 200 at once and leave the later
    # failpoints of the drill too few articles to reach their count.
    "POSTCRAWL_GROUP_MAX": "16",
}


def crawl_cmd(base_url: str, data: Path, stats: Path, settings: dict[str, str]) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "gd_spb", "-a", f"base_url={base_url}"]
    for key, value in {
        **FAST,
        "POSTCRAWL_DATA_DIR": str(data),
        "POSTCRAWL_STATS_FILE": str(stats),
        **settings,
    }.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def run_crawl(
    base_url: str,
    data: Path,
    *,
    env: dict[str, str] | None = None,
    stats_dir: Path | None = None,
    **settings: str,
) -> tuple[int, dict[str, Any], str]:
    """One crawl to its end: exit status, final stats, stderr."""
    stats = (stats_dir or data.parent) / f"stats-{time.monotonic_ns()}.json"
    proc = subprocess.run(
        crawl_cmd(base_url, data, stats, settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    final = json.loads(stats.read_text(encoding="utf-8")) if stats.exists() else {}
    return proc.returncode, final, proc.stderr


def killed_crawl(base_url: str, data: Path, after: float) -> None:
    """A crawl SIGKILLed *after* seconds (or when it ends by itself first)."""
    stats = data.parent / f"stats-{time.monotonic_ns()}.json"
    proc = subprocess.Popen(
        crawl_cmd(base_url, data, stats, {}),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        proc.wait(timeout=after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def recovered_and_clean(data: Path) -> None:
    """What ``postcrawl verify`` does: open the archive (crash recovery), then check it."""
    with ArchiveStore(data, fsync=False):
        pass
    report = verify(data)
    assert report.findings == [], report
    assert report.temp_files == []


def archived_hashes(data: Path) -> list[str]:
    return sorted(h for p in article_files(data) if (h := hash_of(p)))


def stray_files(data: Path) -> list[str]:
    """Anything under the archive that is neither an article file nor a known archive file."""
    known = {
        "manifest.jsonl",
        "index.sqlite3",
        "index.sqlite3-wal",
        "index.sqlite3-shm",
        ".lock",
        ".run.lock",
    }
    article_paths = {p.relative_to(data).as_posix() for p in article_files(data)}
    out = []
    for path in data.rglob("*"):
        rel = path.relative_to(data).as_posix()
        if rel.startswith("runs/") and rel.endswith(".json"):
            continue  # the run reports
        if path.is_file() and rel not in known and rel not in article_paths:
            out.append(rel)
    return out


@pytest.fixture(scope="module")
def mirror_600() -> BureauMirror:
    return BureauMirror("gd", articles=600, page_size=20, faults=False)


@pytest.fixture(scope="module")
def reference(mirror_600: BureauMirror, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The hashes an uninterrupted crawl of the 600-article mirror archives."""
    data = tmp_path_factory.mktemp("reference") / "data"
    with MirrorServer(mirror_600.routes()) as server:
        rc, stats, err = run_crawl(server.base_url, data)
    assert rc == 0, err[-2000:]
    hashes = archived_hashes(data)
    assert len(hashes) == len(set(hashes)) == stats["postcrawl/store/stored"] >= 590
    return hashes


def test_kill_drill_loses_nothing_and_doubles_nothing(
    mirror_600: BureauMirror, reference: list[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    rng = random.Random(8)
    # The failpoints first: a crawl archives the 600 articles in a few seconds, so random
    # kills before them could leave too few articles for a failpoint to reach its count.
    kills = [
        ("store:manifest-appended@40", None),  # between the commit point and the rename
        ("random", rng.uniform(1.0, 2.0)),
        ("store:placed@25", None),  # file in place, index not yet committed
        ("store:temp-written@30", None),  # temp file written, no manifest line
        ("random", rng.uniform(0.5, 2.0)),
        ("random", rng.uniform(0.5, 2.0)),
    ]
    with MirrorServer(mirror_600.routes()) as server:
        for kind, after in kills:
            if kind == "random":
                assert after is not None
                killed_crawl(server.base_url, data, after)
            else:
                rc, _, _ = run_crawl(server.base_url, data, env={"POSTCRAWL_FAILPOINT": kind})
                # The failpoint fired inside the store step.
                assert rc == -signal.SIGKILL, (kind, len(archived_hashes(data)))
            recovered_and_clean(data)
            partial = archived_hashes(data)
            assert len(partial) == len(set(partial)) and set(partial) <= set(reference)
        assert 0 < len(archived_hashes(data)) < len(reference)  # the kills cut work short
        for _ in range(2):
            rc, stats, err = run_crawl(server.base_url, data)
            assert rc == 0, err[-2000:]
            recovered_and_clean(data)
    assert archived_hashes(data) == reference  # every article, each in exactly one file
    assert stray_files(data) == []
    assert stats.get("postcrawl/store/stored", 0) == 0  # the second complete run found all done
    manifest_hashes = [r["hash"] for r in read_manifest(data) if r and r["event"] == "article"]
    assert sorted(manifest_hashes) == reference  # no article recorded twice


# -- a site that fails: 500s, hangs, resets, truncated bodies ------------------------------------
FAULTS = ("500", "hang", "reset", "truncated")
FAULT_RATE = 0.2  # of all requests (robots.txt aside)
HANG_SECONDS = 2.5  # past the drill's DOWNLOAD_TIMEOUT


class FaultyMirror(MirrorServer):
    """The mirror, failing a fifth of the requests it gets (robots.txt aside), each in one of
    four ways. Whether the n-th request for a path fails, and how, comes from a hash of the
    path and n: the same crawl meets the same faults, and a path can fail several tries."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attempts: Counter[str] = Counter()
        self.faults_served: Counter[str] = Counter()

    @staticmethod
    def fault_of(path: str, attempt: int) -> str | None:
        digest = hashlib.sha256(f"{path}#{attempt}".encode()).digest()
        if path == "/robots.txt" or digest[0] / 256 >= FAULT_RATE:
            return None
        return FAULTS[digest[1] % len(FAULTS)]

    def _answer(self, handler: BaseHTTPRequestHandler, head: bool = False) -> None:
        with self._lock:
            self.attempts[handler.path] += 1
            fault = self.fault_of(handler.path, self.attempts[handler.path])
            if fault is not None:
                self.faults_served[fault] += 1
        if fault is None:
            super()._answer(handler, head)
            return
        if fault == "500":
            body = b"<html>500</html>"
            handler.send_response(500)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        elif fault == "hang":
            time.sleep(HANG_SECONDS)
            handler.close_connection = True
        elif fault == "reset":
            # SO_LINGER 0: close() sends RST, the client sees a connection reset.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.close_connection = True
        else:  # truncated: promise more than is sent, then hang up
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", "50000")
            handler.end_headers()
            handler.wfile.write(b"<html><body><div class='detail-news'><p>")
            handler.close_connection = True


def failed_articles(stats: dict[str, Any]) -> set[str]:
    """The article URLs (not list, more or search API pages) that failed in a run."""
    return {
        u
        for u in stats.get("postcrawl/failed_urls", {})
        if "common_list" not in u and "/common/search/" not in u
    }


def ok_or_lists_down(rc: int, stats: dict[str, Any], err: str) -> None:
    """A run exits 0, or 1 as ``broken`` because every list request (or the home page that
    names the lists) failed: no list rows at all."""
    if rc == 0:
        return
    assert rc == 1, err[-2000:]
    assert stats["postcrawl/run/status"] == "broken"
    assert [
        f.split(": ")[1] for f in stats["postcrawl/run/findings"] if f.startswith("broken")
    ] == ["no-list-rows"], err[-2000:]
    assert any(
        "common_list" in u or u.endswith(("/", "index.shtml"))
        for u in stats["postcrawl/failed_urls"]
    )


def test_fault_drill_archives_everything_within_two_reruns(tmp_path: Path) -> None:
    mirror = BureauMirror("gd", articles=300, page_size=20, faults=False)
    # One retry: a page fails a run when both of its tries fail (4% of pages at a 20% rate).
    settings = {"RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "1"}
    ref_data = tmp_path / "ref"
    with MirrorServer(mirror.routes()) as plain:
        assert run_crawl(plain.base_url, ref_data)[0] == 0
    reference = archived_hashes(ref_data)
    data = tmp_path / "data"
    with FaultyMirror(mirror.routes()) as server:
        rc, stats, err = run_crawl(server.base_url, data, **settings)
        ok_or_lists_down(rc, stats, err)
        served = sum(server.attempts.values()) - server.attempts["/robots.txt"]
        assert set(server.faults_served) == set(FAULTS)  # all four kinds met
        assert 0.1 < sum(server.faults_served.values()) / served < 0.3
        assert stats["postcrawl/failed"] > 0
        assert f"failed URLs this run ({stats['postcrawl/failed']})" in err
        assert len(archived_hashes(data)) < len(reference)
        failed_before: set[str] = set()
        for _ in range(2):
            missed = failed_articles(stats)
            failed_before |= missed
            rc, stats, err = run_crawl(server.base_url, data, **settings)
            ok_or_lists_down(rc, stats, err)
            # The articles that failed are requested again first, before any list.
            assert stats["postcrawl/frontier/pending_at_start"] >= len(missed)
            for url in missed:  # each failure is archived now, or still in the summary
                archived = url in {r["url"] for r in read_manifest(data) if r and "url" in r}
                assert archived or url in err, url
        recovered_and_clean(data)
    assert failed_before  # articles did fail along the way, and were recovered
    assert archived_hashes(data) == reference


# -- a full disk ---------------------------------------------------------------------------------
def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 2 MiB tmpfs for the archive where the test may mount one, else ``None``."""
    disk = tmp_path / "disk"
    if not _tmpfs(disk, "2m"):
        yield None
        return
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


@pytest.mark.parametrize("how", ["tmpfs", "injected"])
def test_a_full_disk_stops_the_crawl_and_the_next_run_completes_it(
    how: str, small_disk: Path | None, tmp_path: Path
) -> None:
    mirror = BureauMirror("gd", articles=200, page_size=20, faults=False)
    env: dict[str, str] = {}
    if how == "tmpfs":
        if small_disk is None:
            pytest.skip("cannot mount a tmpfs here (needs root); the injected variant runs")
        data = small_disk / "data"
    else:
        data = tmp_path / "data"
        env = {"POSTCRAWL_FAILPOINT": "files:write@60:enospc"}
    with MirrorServer(mirror.routes()) as server:
        rc, stats, err = run_crawl(server.base_url, data, env=env, stats_dir=tmp_path)
        assert rc == 1
        assert stats["finish_reason"] == "archive_error"
        error = stats["postcrawl/archive_error"]
        assert "No space left on device" in error or "database or disk is full" in error
        last = err.strip().splitlines()[-1]
        assert last.startswith("postcrawl: gd_spb: stopped, the archive could not be written")
        assert err.count("Traceback") == 0
        stored = len(archived_hashes(data))
        assert 0 < stored < 200
        if how == "tmpfs":
            assert small_disk is not None
            subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        recovered_and_clean(data)
        # No empty day folders left by writes that failed (.tmp/ is the writers' own).
        empty = [p for p in data.rglob("*") if p.is_dir() and not any(p.iterdir())]
        assert [p.name for p in empty if p.name != ".tmp"] == []
        rc, stats, err = run_crawl(server.base_url, data)
        assert rc == 0, err[-2000:]
    recovered_and_clean(data)
    assert len(archived_hashes(data)) == 200
    assert stray_files(data) == []


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_dead_pipeline_process_stops_the_crawl_and_the_next_run_completes_it(
    mirror_600: BureauMirror, reference: list[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    stats = tmp_path / "stats.json"
    with MirrorServer(mirror_600.routes()) as server:
        proc = subprocess.Popen(
            crawl_cmd(server.base_url, data, stats, {}),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not (children := _children(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert children, "the crawl started no pipeline process"
        # Kill once part of the site is archived (the first group committed), not after a
        # fixed time: a fast crawl archives the whole site in about a second.
        manifest = data / "manifest.jsonl"
        while time.monotonic() < deadline and not (
            manifest.exists() and manifest.stat().st_size > 0
        ):
            time.sleep(0.01)
        for child in children:
            os.kill(child, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err[-2000:]
        final = json.loads(stats.read_text(encoding="utf-8"))
        assert "pipeline process failed" in final["postcrawl/archive_error"]
        assert final["finish_reason"] == "archive_error"
        recovered_and_clean(data)
        assert set(archived_hashes(data)) < set(reference)
        rc, _, err = run_crawl(server.base_url, data)
        assert rc == 0, err[-2000:]
    recovered_and_clean(data)
    assert archived_hashes(data) == reference
