"""``postcrawl probe``: the site checks, against local mirrors only (never the internet).

One spider is pointed at a mirror with ``-a base_url=``; ``--all`` goes through an injected
transport that maps every real hostname to a local mirror server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from postcrawl.cli import build_parser, main
from postcrawl.cli import probe as cli_probe
from postcrawl.mirror.aggregators import AggregatorMirror
from postcrawl.mirror.bureau import BureauMirror, MirrorChannel, invented_layout
from postcrawl.mirror.server import MirrorServer, Route
from postcrawl.probe import (
    DEFAULT_DELAY,
    Fetcher,
    FetchResult,
    chrome_survivors,
    urllib_transport,
)
from postcrawl.settings import USER_AGENT
from postcrawl.sites import get_site
from postcrawl.sites.aggregators import AGGREGATOR_ROWS
from postcrawl.sites.bureaus import BUREAUS
from tests.conftest import fixture_named


def run_probe(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str
) -> tuple[int, str, dict]:
    """``postcrawl probe ARGS --delay 0 --json FILE``: exit status, stdout, the JSON report."""
    report = tmp_path / "probe.json"
    status = main(["probe", *args, "--delay", "0", "--json", str(report)])
    out = capsys.readouterr().out
    return status, out, json.loads(report.read_text(encoding="utf-8"))


def probe_mirror(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mirror: BureauMirror
) -> tuple[int, str, dict, MirrorServer]:
    with MirrorServer(mirror.routes()) as server:
        status, out, report = run_probe(
            capsys, tmp_path, mirror.bureau.spider_name, "-a", f"base_url={server.base_url}"
        )
    assert len(report["sites"]) == 1
    return status, out, report["sites"][0], server


def steps(site: dict) -> dict[str, dict]:
    return {step["name"]: step for step in site["steps"]}


def channel_with_id(mirror: BureauMirror, channel_id: str) -> MirrorChannel:
    return next(c for c in mirror.layout.channels if c.channel_id == channel_id)


def test_good_mirror_passes_with_the_mirrors_figures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mirror = BureauMirror("gd", articles=60)
    status, out, site, server = probe_mirror(capsys, tmp_path, mirror)
    assert status == 0
    assert site["status"] == "ok" and site["first_failure"] is None
    assert all(step["status"] == "ok" for step in site["steps"])
    figures = site["figures"]
    # Every channel list the mirror's navigation links to, and only those.
    assert figures["channels"] == len(mirror.layout.channels)
    assert figures["channel_labels"] == ["工作动态", "通知公告", "机构概况", "统计信息"]
    channel = channel_with_id(mirror, figures["list"]["channel_id"])
    assert figures["list"]["code"] == channel.code
    assert figures["list"]["rows"] == mirror.page_size
    assert figures["api_total"] == len(mirror.channel_articles(channel))
    newest = mirror.channel_articles(channel)[0]
    article = figures["article"]
    assert article["url"] == f"https://gd.spb.gov.cn{newest.listed_path}"
    assert article["title"] == newest.title
    assert article["published"] == newest.day
    assert article["chars"] == sum(len(p) for p in newest.paragraphs)
    assert article["chrome_survived"] == []
    # A handful of polite requests: robots.txt once, nothing archived.
    assert site["requests"] <= 8
    assert server.hits["/robots.txt"] == 1
    assert sum(server.hits.values()) == site["requests"]
    row = next(line for line in out.splitlines() if line.startswith("gd_spb "))
    assert row.split()[1:8] == ["ok", "ok", "4", "ok", "10", "ok", "c100061"]
    assert "工作动态" in out and newest.title in out
    assert not list(tmp_path.glob(".probe.json.*"))  # the temp file was renamed


def test_no_navigation_fails_the_navigation_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, site, _ = probe_mirror(capsys, tmp_path, BureauMirror("gd", nav=False))
    assert status == 1
    assert site["status"] == "FAIL"
    assert site["first_failure"] == "navigation: no channel lists found"
    # The row's hints stand in, as in the crawl: gd's hinted list is on this mirror.
    assert site["figures"]["lists_from"] == "row hints"
    assert steps(site)["list rows"]["status"] == "ok"
    assert "navigation: no channel lists found" in out


def test_api_down_is_reported_and_degrades_the_site(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, site, _ = probe_mirror(capsys, tmp_path, BureauMirror("gd", api=False))
    # The static lists still work: the site is degraded, the run does not fail.
    assert status == 0
    assert site["status"] == "degraded"
    assert site["first_failure"] == "API: not JSON"
    api = steps(site)["API"]
    assert (api["status"], api["fatal"]) == ("FAIL", False)
    assert steps(site)["article"]["status"] == "ok"
    assert "degraded" in out and "API: not JSON" in out


def test_lists_without_rows_fail_the_list_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mirror = BureauMirror("gd", page_size=0, api=False)
    status, _, site, _ = probe_mirror(capsys, tmp_path, mirror)
    assert status == 1
    assert site["first_failure"] == "list rows: none (工作动态)"
    assert steps(site)["article"]["status"] == "skipped"


def test_lists_without_rows_degrade_when_the_api_lists_the_channel(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, site, _ = probe_mirror(capsys, tmp_path, BureauMirror("gd", page_size=0))
    assert status == 0
    assert site["status"] == "degraded"
    assert site["first_failure"] == "list rows: none (工作动态); the API lists the channel"
    assert steps(site)["article"]["status"] == "ok"  # an API row


def test_a_missing_home_page_names_its_status(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mirror = BureauMirror("gd")
    routes = mirror.routes()
    del routes["/"]
    with MirrorServer(routes) as server:
        status, _, report = run_probe(
            capsys, tmp_path, "gd_spb", "-a", f"base_url={server.base_url}"
        )
    assert status == 1
    assert report["sites"][0]["first_failure"] == "home page: HTTP 404"


def test_robots_txt_is_obeyed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    routes = BureauMirror("gd").routes()
    routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /\n", content_type="text/plain")
    with MirrorServer(routes) as server:
        status, _, report = run_probe(
            capsys, tmp_path, "gd_spb", "-a", f"base_url={server.base_url}"
        )
        assert set(server.hits) == {"/robots.txt"}
    assert status == 1
    assert report["sites"][0]["first_failure"] == "home page: forbidden by robots.txt"


def test_an_invented_layout_suggests_the_row_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    layout = invented_layout("gd")
    status, out, site, _ = probe_mirror(capsys, tmp_path, BureauMirror("gd", layout=layout))
    assert status == 0  # discovery finds it: the hints only matter without navigation
    assert site["figures"]["list"]["code"] == "c900102"
    assert (
        "row hint prefix gdsyzglj (seen), site uses gdmirroryzj (its navigation)"
        in site["suggestions"][0]
    )
    assert any(
        "c100057/c100061 (工作动态)" in s and "c900101/c900102" in s for s in site["suggestions"]
    )
    # Without navigation the hints are what the crawl has: they 404, and the home page's
    # address still names the prefix.
    mirror = BureauMirror("gd", layout=layout, nav=False)
    status, out, site, _ = probe_mirror(capsys, tmp_path, mirror)
    assert status == 1
    assert site["first_failure"] == "navigation: no channel lists found"
    assert steps(site)["list rows"]["detail"].startswith("HTTP 404")
    assert site["suggestions"] == [
        "row hint prefix gdsyzglj (seen), site uses gdmirroryzj (the home page's address): "
        "set prefix='gdmirroryzj' in the gd row of postcrawl/sites/bureaus.py"
    ]
    assert "suggests: row hint prefix gdsyzglj" in out


def test_chrome_survivors_use_the_filters_rules() -> None:
    site = get_site("e0734")
    assert chrome_survivors(["版权所有：中国衡阳新闻网", "正文一句话。"], site) == ["copyright"]
    assert chrome_survivors(["衡阳新闻网"], site) == ["site-chrome"]
    assert chrome_survivors(["衡陽市郵政管理局召開會議。"], site) == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_fetcher_is_polite_by_default() -> None:
    assert DEFAULT_DELAY >= 1.5
    sent: list[tuple[str, Mapping[str, str]]] = []
    answers = {"/robots.txt": 404, "/a": 200, "/b": 500}

    def transport(url: str, headers: Mapping[str, str], timeout: float) -> FetchResult:
        sent.append((url, headers))
        return FetchResult(url, answers[urlsplit(url).path], b"<html>x</html>", "text/html")

    clock = FakeClock()
    fetcher = Fetcher(transport, sleep=clock.sleep, clock=clock)
    assert fetcher.get("https://gd.spb.gov.cn/a").ok
    assert clock.slept == [DEFAULT_DELAY]  # after robots.txt, on the same host
    assert fetcher.get("https://gd.spb.gov.cn/b").status == 500
    # /b: the delay, then one retry after another delay.
    assert clock.slept == [DEFAULT_DELAY] * 3
    fetcher.get("https://sh.spb.gov.cn/a")  # another host: its robots.txt without waiting
    assert len(clock.slept) == 4
    assert {h["User-Agent"] for _, h in sent} == {USER_AGENT}
    assert [urlsplit(u).path for u, _ in sent] == [
        "/robots.txt",
        "/a",
        "/b",
        "/b",
        "/robots.txt",
        "/a",
    ]
    assert fetcher.requests == 6
    # A hard cap per site, robots.txt included: past it nothing is sent.
    fetcher = Fetcher(transport, delay=0, per_site=2)
    fetcher.begin_site()
    assert fetcher.get("https://gd.spb.gov.cn/a").ok
    answer = fetcher.get("https://gd.spb.gov.cn/a")
    assert answer.error == "not sent: 2 requests per site spent"
    assert fetcher.requests == 2
    fetcher.begin_site()
    assert fetcher.get("https://gd.spb.gov.cn/a").ok


@pytest.mark.parametrize(
    "args, message",
    [
        (["zz_spb"], "unknown spider 'zz_spb'"),
        ([], "name at least one spider"),
        (["--all", "gd_spb"], "not both"),
        (["gd_spb", "sh_spb", "-a", "base_url=http://127.0.0.1:1"], "exactly one spider"),
        (["gd_spb", "-a", "full=1"], "unknown argument 'full'"),
        (["gd_spb", "--delay", "-1"], "--delay"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["probe", *args]) == 2
    assert message in capsys.readouterr().err


# -- --all, through a transport that maps the real hosts to mirrors ---------------------------
@pytest.fixture
def every_site_mirrored() -> Iterator[dict[str, MirrorServer]]:
    """A mirror server per real hostname: every bureau and every aggregator."""
    servers: dict[str, MirrorServer] = {}
    try:
        for bureau in BUREAUS:
            mirror = BureauMirror(bureau, articles=12, faults=False)
            servers[bureau.domain] = MirrorServer(mirror.routes()).start()
        for row in AGGREGATOR_ROWS:
            host = urlsplit(row.base_url).hostname
            assert host is not None
            servers[host] = MirrorServer(AggregatorMirror(row).routes()).start()
        yield servers
    finally:
        # Each shutdown waits out its server's poll interval: stop them side by side.
        with ThreadPoolExecutor(max_workers=len(servers) or 1) as pool:
            list(pool.map(MirrorServer.stop, servers.values()))


def test_all_sites_through_an_injected_transport(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    every_site_mirrored: dict[str, MirrorServer],
) -> None:
    asked: list[str] = []

    def transport(url: str, headers: Mapping[str, str], timeout: float) -> FetchResult:
        parts = urlsplit(url)
        asked.append(parts.netloc)
        server = every_site_mirrored.get(parts.hostname or "")
        if server is None:  # never the internet
            return FetchResult(url, error=f"no mirror for {parts.hostname}")
        real_root = f"{parts.scheme}://{parts.netloc}"
        answer = urllib_transport(server.base_url + url[len(real_root) :], headers, timeout)
        answer.url = real_root + answer.url[len(server.base_url) :]
        return answer

    report_path = tmp_path / "all.json"
    args = build_parser().parse_args(["probe", "--all", "--delay", "0", "--json", str(report_path)])
    status = cli_probe.run(args, transport=transport)
    out = capsys.readouterr().out
    report = json.loads(report_path.read_text(encoding="utf-8"))
    names = [b.spider_name for b in BUREAUS] + [r.name for r in AGGREGATOR_ROWS]
    assert [s["site"] for s in report["sites"]] == names
    table_rows = out.split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split()[0] for line in table_rows] == names
    bad = {s["site"]: s["first_failure"] for s in report["sites"] if s["status"] != "ok"}
    assert bad == {}
    assert status == 0 and report["counts"] == {"ok": len(names), "degraded": 0, "FAIL": 0}
    assert set(asked) <= set(every_site_mirrored)
    assert all(s["requests"] <= 8 for s in report["sites"])
    by_name = {s["site"]: s for s in report["sites"]}
    assert by_name["gd_spb"]["figures"]["channels"] == 4
    assert (
        by_name["sxrb"]["figures"]["article"]["title"]
        == fixture_named("sxrb", "006_sxrb_2025").expected["title"]  # its list's first row
    )
    assert by_name["e0734"]["figures"]["article"]["postal"] is True
    for row in AGGREGATOR_ROWS:  # the rows of the first list page
        first_list = AggregatorMirror(row).lists[0]
        assert by_name[row.name]["figures"]["list"]["rows"] == len(first_list.rows)
    # Each site's own table row, aggregators without the bureau-only steps.
    dezhou = next(line for line in table_rows if line.startswith("dezhou"))
    assert dezhou.split()[1:3] == ["-", "-"]
