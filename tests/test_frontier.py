"""The crawl frontier (postcrawl/frontier.py): what is pending, failures per run, giving up,
list watermarks."""

from __future__ import annotations

from pathlib import Path

from postcrawl import index
from postcrawl.frontier import Listed, SqliteFrontier, Watermark, is_permanent


def frontier(tmp_path: Path) -> tuple[SqliteFrontier, object]:
    conn = index.connect(tmp_path / "index.sqlite3")
    return SqliteFrontier(conn), conn


def test_pending_is_listed_and_not_seen(tmp_path: Path) -> None:
    front, conn = frontier(tmp_path)
    for n in range(3):
        front.add(Listed(f"https://x/{n}", "gd_spb", title=f"t{n}", published=f"2024-01-0{n + 1}"))
    front.add(Listed("https://x/0", "gd_spb", title="again"))  # no change: on record already
    front.add(Listed("https://y/9", "sh_spb"))
    index.mark_seen(conn, "https://x/1", "abc", "stored", None)  # type: ignore[arg-type]
    pending = front.pending("gd_spb")
    assert [(e.url, e.title) for e in pending] == [("https://x/2", "t2"), ("https://x/0", "t0")]
    assert front.is_listed("https://x/1") and not front.is_listed("https://x/5")


def test_failures_count_once_per_run_and_give_up(tmp_path: Path) -> None:
    front, _ = frontier(tmp_path)
    front.add(Listed("https://x/404", "gd_spb"))
    front.add(Listed("https://x/slow", "gd_spb"))
    failures = {"https://x/404": "HTTP 404", "https://x/slow": "TimeoutError"}
    for run in ("r1", "r1", "r2"):  # the same run twice counts once
        assert front.record_failures(failures, run, give_up_runs=3, transient_runs=5) == []
    assert {e.url: e.failures for e in front.outstanding("gd_spb")} == {
        "https://x/404": 2,
        "https://x/slow": 2,
    }
    given_up = front.record_failures(failures, "r3", give_up_runs=3, transient_runs=5)
    assert given_up == [("https://x/404", "HTTP 404, 3 runs in a row")]
    assert [e.url for e in front.pending("gd_spb")] == ["https://x/slow"]
    assert [e.last_reason for e in front.given_up("gd_spb")] == ["HTTP 404"]
    # Not a listed article (a list page): not counted, never given up.
    assert (
        front.record_failures(
            {"https://x/list": "HTTP 404"}, "r4", give_up_runs=1, transient_runs=1
        )
        == []
    )
    assert is_permanent("no article: nothing left") and not is_permanent("HTTP 503")


def test_watermarks(tmp_path: Path) -> None:
    front, _ = frontier(tmp_path)
    assert front.watermark("gd_spb:list:a") is None
    front.complete_walk("gd_spb:list:a", Watermark("https://x/9", "2024-03-05"))
    mark = front.watermark("gd_spb:list:a")
    assert mark == Watermark("https://x/9", "2024-03-05")
    assert mark.covers("https://x/9", None)
    assert mark.covers("https://x/1", "2024-03-04 10:00:00")
    assert not mark.covers("https://x/8", "2024-03-05")  # the same day: not known to be older
    assert not mark.covers("https://x/7", None)
