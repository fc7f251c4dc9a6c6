"""``scrapy crawl`` as an operator meets it: one clear line and a failing status for bad
arguments, an unknown spider, a corrupt index and a site that does not answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def scrapy_crawl(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", *args]
    cmd += ["-s", f"POSTCRAWL_DATA_DIR={data}", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=0"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("since=2023-13-45", "since must be a date YYYY-MM-DD, got '2023-13-45'"),
        ("base_url=garbage", "base_url must be an http(s) URL"),
        ("full=maybe", "full must be 1 or 0"),
        (
            "colour=blue",
            "unknown argument colour for gd_spb; it takes base_url, channels, full, since",
        ),
    ],
)
def test_bad_spider_arguments_are_one_line_and_exit_2(
    argument: str, message: str, tmp_path: Path
) -> None:
    done = scrapy_crawl("gd_spb", "-a", argument, data=tmp_path / "data")
    assert done.returncode == 2
    assert message in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was opened


def test_an_unknown_spider_is_one_line(tmp_path: Path) -> None:
    done = scrapy_crawl("nosuch", data=tmp_path / "data")
    assert done.returncode == 2
    assert "no spider named 'nosuch' (`scrapy list` shows them)" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_corrupt_index_names_the_fix(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    done = scrapy_crawl("gd_spb", data=data)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("postcrawl: the index of the archive at")
    assert f"run `postcrawl reindex --data-dir {data}`" in last
    assert "Traceback" not in done.stderr


def test_no_network_fails_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    # A closed port on loopback: every request is refused, as with no network at all.
    done = scrapy_crawl("gd_spb", "-a", "base_url=http://127.0.0.1:9", data=tmp_path / "data")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("postcrawl: gd_spb: no answer from the site")
    assert "check the network, or the address given with -a base_url=" in last
    assert "Traceback" not in done.stderr
