"""``postcrawl mirror``: serves the bureau site and prints the crawl command."""

from __future__ import annotations

import itertools
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from scrapy.settings import Settings

from postcrawl import settings as project_settings
from postcrawl.archive import article_files, read_manifest
from postcrawl.cli import main
from tests.conftest import ROOT

MIRROR = [sys.executable, "-m", "postcrawl", "mirror"]


def test_mirror_serves_and_prints_the_crawl_command() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "postcrawl", "mirror", "--port", "0", "--articles", "60"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        base = lines[0].rsplit(" at ", 1)[1].strip()
        assert base.startswith("http://127.0.0.1:")
        assert lines[3].strip() == (
            f"scrapy crawl gd_spb -a base_url={base} -s POSTCRAWL_DATA_DIR=mirror-data "
            "-s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False -s POSTCRAWL_RETRY_BACKOFF_BASE=0"
        )
        with urllib.request.urlopen(base + "/robots.txt", timeout=10) as answer:
            assert b"Disallow: /gdsyzglj/nbgl/" in answer.read()
        url = base + "/gdsyzglj/c100057/c100061/common_list.shtml"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert b"common_listmore.shtml?channelId=" in answer.read()
        with urllib.request.urlopen(base + "/gdsyzglj/index.shtml", timeout=10) as answer:
            assert b"common_list.shtml" in answer.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_unknown_site_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mirror", "--site", "zz"]) == 2
    assert "unknown bureau 'zz'" in capsys.readouterr().err


def test_the_printed_command_crawls_the_mirror_with_the_delays_off(tmp_path: Path) -> None:
    """The command is run as printed (only ``scrapy`` becomes this Python's ``-m scrapy``)."""
    data = tmp_path / "mirror data"  # a space: the command must quote it
    proc = subprocess.Popen(
        [*MIRROR, "--port", "0", "--articles", "20", "--page-size", "10", "--data-dir", str(data)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        argv = shlex.split([proc.stdout.readline() for _ in range(4)][3])
        assert argv[:3] == ["scrapy", "crawl", "gd_spb"]
        # Every delay the polite defaults add is off once the command's -s settings apply.
        overrides = dict(v.split("=", 1) for a, v in itertools.pairwise(argv) if a == "-s")
        settings = Settings()
        settings.setmodule(project_settings, priority="project")
        settings.setdict(overrides, priority="cmdline")
        assert settings.getfloat("DOWNLOAD_DELAY") == 0
        assert settings.getbool("AUTOTHROTTLE_ENABLED") is False
        assert settings.getfloat("POSTCRAWL_RETRY_BACKOFF_BASE") == 0
        assert settings["POSTCRAWL_DATA_DIR"] == str(data)
        crawl = subprocess.run(
            [sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        stored = [r for r in read_manifest(data) if r and r.get("event") == "article"]
        assert stored and len(list(article_files(data))) == len(stored)
        assert "postcrawl/store/stored" in crawl.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
