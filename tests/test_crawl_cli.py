"""``postcrawl crawl``: several spiders in one process from any folder, progress lines when
not on a terminal, one run report, usage errors, and one crawl at a time per archive root."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from postcrawl.archive import article_files, read_manifest
from postcrawl.mirror import MirrorServer
from postcrawl.mirror.aggregators import AggregatorMirror, aggregator_mirrors, combined_routes
from postcrawl.mirror.bureau import BureauMirror
from postcrawl.mirror.server import Route
from postcrawl.runlock import RunLock
from postcrawl.sites.bureaus import BUREAUS
from tests.test_cli_mirror import assert_every_aggregator_archived

FAST = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "POSTCRAWL_RETRY_BACKOFF_BASE=0",
    "-s", "POSTCRAWL_FSYNC=False",
    "-s", "POSTCRAWL_WARC_ENABLED=False",
]  # fmt: skip


TXYDDY = AggregatorMirror("txyddy")


def postcrawl_crawl(
    *args: str, data: Path, cwd: Path, wait: bool = True
) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "postcrawl", "crawl", *args, *FAST]
    cmd += ["-s", f"POSTCRAWL_DATA_DIR={data}"]
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    if not wait:
        return subprocess.Popen(
            cmd, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def reports(data: Path) -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((data / "runs").glob("*.json"))
    ]


def bureau(articles: int = 30, delay: float = 0.0) -> dict[str, Route]:
    """The gd mirror with every path allowed by robots.txt; article pages *delay* s slow."""
    routes = BureauMirror("gd", articles=articles, page_size=20, faults=False).routes()
    routes["/robots.txt"] = Route(b"User-agent: *\nDisallow:\n", content_type="text/plain")
    if delay:
        for path, route in routes.items():
            if path.endswith(".shtml") and "common_list" not in path:
                route.delay = delay
    return routes


def bureau_and_repost_site() -> dict[str, Route]:
    """One mirror for two spiders: the gd bureau (discovered from ``/``) and the txyddy mirror
    (its two sections, four articles, one a repost of a gd article)."""
    routes = bureau()
    routes.update(TXYDDY.routes())
    return routes


def test_two_spiders_in_one_process_from_any_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    elsewhere = tmp_path / "elsewhere"  # no scrapy.cfg here
    elsewhere.mkdir()
    with MirrorServer(bureau_and_repost_site()) as server:
        done = postcrawl_crawl(
            "gd_spb", "txyddy", "-a", f"base_url={server.base_url}",
            "-s", "POSTCRAWL_PROGRESS_INTERVAL=0.2",
            data=data, cwd=elsewhere,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # Not a terminal: plain progress lines, then the report table.
    assert "progress gd_spb: lists" in done.stdout and "progress txyddy: lists" in done.stdout
    assert "run " in done.stdout and ": ok" in done.stdout
    (report,) = reports(data)
    assert report["name"] == "crawl" and report["status"] == "ok"
    assert [e["spider"] for e in report["spiders"]] == ["gd_spb", "txyddy"]
    gd, txyddy = report["spiders"]
    assert gd["articles_fetched"] == 30 and gd["stored"] == 30
    # /hydt/ (two pages) and /shjd/: six rows, four articles (two listed in both sections).
    assert txyddy["list_rows"] == 6 and txyddy["articles_fetched"] == 4 == len(TXYDDY.expected())
    stored = sum(e["stored"] for e in report["spiders"])
    assert stored == len(list(article_files(data)))
    assert not (elsewhere / "data").exists()
    # postcrawl runs lists it; runs show prints it; the index has it as a table.
    listed = subprocess.run(
        [sys.executable, "-m", "postcrawl", "runs", "--data-dir", str(data)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert report["id"] in listed.stdout and "gd_spb, txyddy" in listed.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "postcrawl", "runs", "--data-dir", str(data), "show", report["id"]],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "txyddy  ok" in shown.stdout
    with sqlite3.connect(data / "index.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (2,)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "name the spiders to crawl, or --all, or --group bureaus|aggregators"),
        (("nosuch",), "no spider named 'nosuch'"),
        (("gd_spb", "-a", "since=2023-13-45"), "since must be a date YYYY-MM-DD"),
        (("--group", "aggregators", "-a", "colour=blue"), "unknown argument colour for"),
        (("gd_spb", "-s", "NOVALUE"), "-s wants NAME=VALUE"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    done = postcrawl_crawl(*args, data=tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()


def test_a_second_run_on_the_same_archive_exits_75_or_waits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with RunLock(data):
        done = postcrawl_crawl(
            "gd_spb", "-a", "base_url=http://127.0.0.1:9", data=data, cwd=tmp_path
        )
        assert done.returncode == 75
        line = done.stderr.strip().splitlines()[-1]
        assert line.startswith(
            f"postcrawl: another crawl is running on {data} (pid {os.getpid()}, since "
        )
        scrapy = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "gd_spb", "-s", f"POSTCRAWL_DATA_DIR={data}"],
            cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert scrapy.returncode == 75
        assert "another crawl is running on" in scrapy.stderr


def test_two_runs_started_at_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with MirrorServer(bureau(articles=20, delay=0.1)) as server:
        base = (
            "gd_spb",
            "-a",
            f"base_url={server.base_url}",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        )
        # Without --wait: one crawls, the other exits 75 at once.
        procs = [postcrawl_crawl(*base, data=data, cwd=tmp_path, wait=False) for _ in range(2)]
        outs = [(p.wait(timeout=180), *p.communicate()) for p in procs]
        codes = sorted(code for code, _, _ in outs)
        assert codes == [0, 75], [err[-1500:] for _, _, err in outs]
        loser = next(err for code, _, err in outs if code == 75)
        assert "another crawl is running on" in loser
        assert len(reports(data)) == 1
        # With --wait: both finish, one after the other; the second finds nothing new.
        server.routes.update(BureauMirror("gd", articles=25, page_size=20, faults=False).routes())
        began = time.monotonic()
        procs = [
            postcrawl_crawl(*base, "--wait", data=data, cwd=tmp_path, wait=False) for _ in range(2)
        ]
        outs = [(p.wait(timeout=180), *p.communicate()) for p in procs]
        assert [code for code, _, _ in outs] == [0, 0], [err[-1500:] for _, _, err in outs]
        assert any("waiting for it to finish" in err for _, _, err in outs)
        assert time.monotonic() - began < 170
    runs = reports(data)
    assert len(runs) == 3
    assert sorted(r["spiders"][0]["stored"] for r in runs[1:]) == [0, 5]
    assert len(list(article_files(data))) == 25


def test_crawl_all_against_mirrors_of_every_family(tmp_path: Path) -> None:
    """``postcrawl crawl --all`` with one mirror server: the gd bureau mirror at ``/`` (12
    articles and the original txyddy reposts) and every aggregator mirror at its paths.

    All 33 bureau spiders discover the same bureau mirror (``-a base_url=`` sends them all to
    the one host), each under its own site's URLs: every one fetches all 13 articles, and the
    archive stores each body once; the other bureau spiders record it as a duplicate."""
    bureau_mirror = BureauMirror("gd", articles=12, page_size=20, faults=False, originals=True)
    aggregators = aggregator_mirrors()
    data = tmp_path / "data"
    began = time.monotonic()
    with MirrorServer(combined_routes(bureau_mirror, aggregators)) as server:
        done = postcrawl_crawl(
            "--all", "-a", f"base_url={server.base_url}", data=data, cwd=tmp_path
        )
    elapsed = time.monotonic() - began
    (report,) = reports(data)
    # Exit status as the report says.
    assert report["status"] == "ok", report["findings"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert elapsed < 60
    spiders = {e["spider"]: e for e in report["spiders"]}
    bureau_names = {b.spider_name for b in BUREAUS}
    assert set(spiders) == bureau_names | {m.name for m in aggregators}
    assert len(report["spiders"]) == len(spiders) == 37  # 33 bureaus and 4 aggregators
    assert all(e["status"] == "ok" and e["finish_reason"] == "finished" for e in spiders.values())
    assert all(e["failed"] == 0 and e["requests_failed"] == 0 for e in spiders.values())
    # The one article an official page replaced (the repost stored first) is counted in
    # neither stored nor duplicates: the manifest's "replaces" names it.
    replaced: dict[str, int] = {}
    for record in read_manifest(data):
        if record and record.get("event") == "article" and record.get("replaces"):
            replaced[record["site"]] = replaced.get(record["site"], 0) + 1
    bodies = len(bureau_mirror.expected())
    assert bodies == 13
    for name in bureau_names:
        entry = spiders[name]
        assert entry["channels_discovered"] == 3, name
        assert entry["articles_fetched"] == bodies, name
        seen = entry["stored"] + entry["duplicates"] + entry["near_duplicates"]
        assert seen + replaced.get(name, 0) == bodies, name
    # Each bureau article stored once, by whichever bureau spider fetched it first.
    assert sum(spiders[n]["stored"] + replaced.get(n, 0) for n in bureau_names) == bodies
    copies = sum(spiders[n]["duplicates"] + spiders[n]["near_duplicates"] for n in bureau_names)
    assert copies == bodies * (len(bureau_names) - 1)
    conn = sqlite3.connect(data / "index.sqlite3")
    try:
        by_site = dict(conn.execute("SELECT site, count(*) FROM articles GROUP BY site"))
        total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        conn.close()
    assert sum(by_site.get(n, 0) for n in bureau_names) == bodies
    # Every aggregator's postal articles; the txyddy repost joined its gd original.
    assert_every_aggregator_archived(data, report)
    for mirror in aggregators:
        entry = spiders[mirror.name]
        seen = entry["stored"] + entry["duplicates"] + entry["near_duplicates"]
        assert seen == len(mirror.expected()), mirror.name
        assert by_site.get(mirror.name, 0) == sum(1 for p in mirror.expected() if not p.repost_of)
    assert total == bodies + sum(len(m.expected()) for m in aggregators) - 1
    assert total == len(list(article_files(data)))
