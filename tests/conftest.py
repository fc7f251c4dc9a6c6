"""Shared test helpers: the saved fixture pages and their expected extractions."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Tests do not time things (benchmarks do): no per-example deadline.
settings.register_profile("postcrawl", deadline=None, print_blob=True)
settings.load_profile("postcrawl")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = ROOT / "seeds"


@dataclass(frozen=True)
class Fixture:
    """A saved page and what a correct extractor makes of it."""

    html: Path
    expected: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.html.parent.name}/{self.html.stem}"

    @property
    def url(self) -> str:
        return str(self.expected["url"])


def page_fixtures() -> list[Fixture]:
    """Every ``tests/fixtures/<site>/<name>.html`` that has a ``<name>.json`` beside it."""
    out = []
    for html in sorted(FIXTURES.glob("*/*.html")):
        expected = html.with_suffix(".json")
        if expected.exists():
            out.append(Fixture(html, json.loads(expected.read_text(encoding="utf-8"))))
    return out


def fixture_named(site: str, stem: str) -> Fixture:
    for fx in page_fixtures():
        if fx.html.parent.name == site and fx.html.stem == stem:
            return fx
    raise LookupError(f"no fixture {site}/{stem}")


@pytest.fixture
def archive_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    return root


# -- a real Redis server for the distributed-mode tests ---------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private ``redis-server`` on 127.0.0.1 and a free port, no persistence, in a temp
    folder (no system service needed); its URL. Skipped where Debian's ``redis-server`` is not
    installed, except under CI (``CI=true``), where that is a failure."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed (Debian: apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the distributed-mode tests", pytrace=False)
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    # --save '' --appendonly no: nothing written to disk; the temp folder is its working dir.
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [binary, *options, "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"redis-server did not start: {(folder / 'redis.log').read_text()[-500:]}")
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The test Redis server's URL, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server
