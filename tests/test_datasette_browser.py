"""Browsing the index with Datasette, checked in a real browser (headless Debian Chromium).

The archive is built by the pipeline from the fixture pages; Datasette serves it on 127.0.0.1
with the metadata ``postcrawl datasette-metadata`` writes; Chromium renders the pages.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from postcrawl.cli import main
from tests.corpus_archive import BuiltArchive, build_archive

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing under CI: .ci/run must install it")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("browse") / "data")


@pytest.fixture(scope="module")
def datasette_url(archive: BuiltArchive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chromium_path()  # skip before starting a server nobody will look at
    meta = tmp_path_factory.mktemp("meta") / "metadata.json"
    assert main(["datasette-metadata", "--data-dir", str(archive.root), "--out", str(meta)]) == 0
    port = free_port()
    log = (tmp_path_factory.mktemp("log") / "datasette.log").open("w")
    command = [sys.executable, "-m", "datasette", "serve", str(archive.root / "index.sqlite3")]
    proc = subprocess.Popen(
        [*command, "-m", str(meta), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # bounded: until Datasette answers, or the deadline
            try:
                with urllib.request.urlopen(f"{url}/-/versions.json", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("datasette did not start: " + Path(log.name).read_text())
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def rendered_dom(url: str, profile: Path) -> str:
    """The page's DOM after Chromium ran it."""
    result = subprocess.run(
        [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_articles_table_lists_articles_with_facets(
    archive: BuiltArchive, datasette_url: str, tmp_path: Path
) -> None:
    dom = rendered_dom(f"{datasette_url}/index/articles", tmp_path / "profile")
    assert "7 rows" in dom
    for article in archive.stored.values():
        assert article.title in dom
    # The facets the metadata asks for, and the search box (FTS configured).
    for facet in ("site", "source", "month"):
        assert f'data-column="{facet}"' in dom, facet
    assert 'name="_search"' in dom
    assert "One row per archived article" in dom  # the table description


def test_full_text_search_finds_the_article(
    archive: BuiltArchive, datasette_url: str, tmp_path: Path
) -> None:
    gd = archive.stored[archive.labels["gd"]]
    phrase = "三季度政企联席会"
    dom = rendered_dom(
        f"{datasette_url}/index/articles?_search={quote(phrase)}", tmp_path / "profile"
    )
    assert gd.title in dom
    assert "1 row where search matches" in dom
    others = [a.title for h, a in archive.stored.items() if h != gd.body_hash]
    assert not [t for t in others if t in dom]
    # The same search as JSON: exactly the article that contains the phrase.
    with urllib.request.urlopen(
        f"{datasette_url}/index/articles.json?_search={quote(phrase)}&_shape=objects", timeout=10
    ) as resp:
        rows = json.load(resp)["rows"]
    assert [r["hash"] for r in rows] == [gd.body_hash]
