"""``postcrawl mirror``: serves the bureau site and prints the crawl command."""

from __future__ import annotations

import itertools
import json
import shlex
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.settings import Settings

from postcrawl import settings as project_settings
from postcrawl.archive import article_files, read_manifest
from postcrawl.cli import main
from postcrawl.mirror.aggregators import AggregatorMirror, aggregator_mirrors, combined_routes
from postcrawl.mirror.bureau import BureauMirror
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
    err = capsys.readouterr().err
    assert "unknown site 'zz'; known: www, bj, " in err and ", gd, " in err
    assert err.rstrip().endswith("txyddy, e0734, sxrb, dezhou, all")


def test_two_bureaus_cannot_share_one_mirror(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mirror", "--site", "gd", "zj_spb", "txyddy"]) == 2
    assert "one bureau per mirror: bureau sites are served at / (got gd, zj)" in (
        capsys.readouterr().err
    )


def test_the_families_share_only_the_root() -> None:
    """The bureau mirror and every aggregator mirror on one server: their paths differ except
    /, which dezhou lists its articles on; there it is dezhou's home with the bureau's nav."""
    bureau = BureauMirror("gd", articles=12, originals=True)
    aggregators = aggregator_mirrors()
    families = [set(bureau.routes()), *(set(m.routes()) for m in aggregators)]
    shared = {path for i, a in enumerate(families) for b in families[i + 1 :] for path in a & b}
    assert shared == {"/"}
    routes = combined_routes(bureau, aggregators)
    assert len(routes) == sum(map(len, families)) - 1
    root = routes["/"].body.decode("utf-8")
    assert '/gdsyzglj/c100057/c100061/common_list.shtml">工作动态' in root
    assert all(f'href="{p.path}"' in root for p in AggregatorMirror("dezhou").articles())
    # The repost's original is on the bureau mirror, at the path its 原文链接 names.
    (original,) = bureau.originals
    repost = AggregatorMirror("txyddy").saved_page("004_txyddy_repost")
    assert repost.repost_of is not None and repost.repost_of.endswith(original.home_path)
    assert original.title.encode() in routes[original.home_path].body
    with pytest.raises(ValueError, match="txyddy and txyddy both serve /hydt/"):
        combined_routes(None, [AggregatorMirror("txyddy"), AggregatorMirror("txyddy")])


def start_mirror(*args: str) -> tuple[subprocess.Popen[str], list[str], str]:
    """``postcrawl mirror ARGS`` in a subprocess: the process, the lines it printed before the
    command, and the command."""
    proc = subprocess.Popen(
        [*MIRROR, "--port", "0", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "Crawl it with:":
        line = proc.stdout.readline()
        assert line, "the mirror exited early"
        lines.append(line.strip())
    return proc, lines, proc.stdout.readline().strip()


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def test_an_aggregator_mirror_alone() -> None:
    proc, lines, command = start_mirror("--site", "e0734")
    try:
        base = lines[0].rsplit(" at ", 1)[1]
        assert lines[0].startswith("Mirror of 中国衡阳新闻网 (e0734.com) at http://127.0.0.1:")
        assert lines[1] == "e0734: 4 articles (1 off-topic), lists /index.php?a=lists&catid=707"
        assert command == (
            f"scrapy crawl e0734 -a base_url={base} -s POSTCRAWL_DATA_DIR=mirror-data "
            "-s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False -s POSTCRAWL_RETRY_BACKOFF_BASE=0"
        )
        listed = get(base + "/index.php?a=lists&catid=707").decode("utf-8")
        assert '<ul class="list">' in listed and "index.php?a=show&amp;catid=707&amp;id=" in listed
        assert "衡陽(yáng)" in get(base + "/index.php?a=show&catid=707&id=660270").decode("utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_every_family_on_one_port_crawled_by_the_printed_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, lines, command = start_mirror(
        "--site", "all", "--articles", "12", "--clean", "--data-dir", str(data)
    )
    try:
        base = lines[0].rsplit(" at ", 1)[1]
        assert lines[0].startswith("Mirror of 广东省邮政管理局 (gd.spb.gov.cn), 通讯邮递调研网")
        argv = shlex.split(command)
        assert argv[:7] == ["postcrawl", "crawl", "gd_spb", "txyddy", "e0734", "sxrb", "dezhou"]
        assert argv[7:9] == ["-a", f"base_url={base}"]
        assert "DOWNLOAD_DELAY=0" in argv and "AUTOTHROTTLE_ENABLED=False" in argv
        # Each family's pages on the one port.
        assert b"common_list.shtml" in get(base + "/gdsyzglj/index.shtml")
        for mirror in aggregator_mirrors():
            for path in mirror.list_paths():
                assert get(base + path)
        crawl = subprocess.run(
            [sys.executable, "-m", *argv, "-s", "POSTCRAWL_FSYNC=False"],
            cwd=tmp_path, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert crawl.returncode == 0, crawl.stderr[-3000:]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    (report,) = [json.loads(p.read_text("utf-8")) for p in (data / "runs").glob("*.json")]
    assert report["status"] == "ok"
    by_spider = {e["spider"]: e for e in report["spiders"]}
    assert by_spider["gd_spb"]["articles_fetched"] == 13  # 12 generated, the original
    assert_every_aggregator_archived(data, report)


def assert_every_aggregator_archived(data: Path, report: dict[str, Any]) -> None:
    """Every aggregator's postal articles are archived, its off-topic ones filtered, and the
    txyddy repost joined its gd original: the original is the stored article (whichever
    spider fetched first; an official page replaces a repost stored before it) and the
    repost one more URL of it."""
    by_spider = {e["spider"]: e for e in report["spiders"]}
    conn = sqlite3.connect(data / "index.sqlite3")
    try:
        urls = dict(conn.execute("SELECT url, hash FROM urls").fetchall())
        stored = dict(conn.execute("SELECT url, hash FROM articles").fetchall())
    finally:
        conn.close()
    for mirror in aggregator_mirrors():
        assert by_spider[mirror.name]["filtered_topic"] == len(mirror.off_topic())
        for page in mirror.expected():
            if page.repost_of is None:
                assert page.url in stored, page.url
                continue
            # The original's path; its host is the bureau spider's that stored it (with
            # several bureau spiders on one bureau mirror, any of them).
            path = urlsplit(page.repost_of).path
            (original,) = [url for url in stored if urlsplit(url).path == path]
            assert (urlsplit(original).hostname or "").endswith(".spb.gov.cn")
            assert page.url not in stored
            assert urls[page.url] == stored[original]
        for page in mirror.off_topic():
            assert page.url not in urls


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
