"""``postcrawl mirror``: serves the bureau site and prints the crawl command."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest

from postcrawl.cli import main
from tests.conftest import ROOT


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
            f"scrapy crawl gd_spb -a base_url={base} -s POSTCRAWL_DATA_DIR=mirror-data"
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
