"""``postcrawl reextract``: articles rebuilt from the WARC responses of a real mirror crawl.

One crawl of a small bureau mirror (``scrapy crawl gd_spb``, WARC on) per module; each test
works on its own copy of that archive.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from postcrawl.archive import article_files, read_manifest, rebuild_index, verify
from postcrawl.cli import main
from postcrawl.cli.reextract import reextract_archive
from postcrawl.extraction import PageHints
from postcrawl.mirror import MirrorServer
from postcrawl.mirror.bureau import BureauMirror, MirrorArticle
from postcrawl.reextract import Report
from postcrawl.siteroots import SiteRoots
from postcrawl.sites import SITES
from postcrawl.warc import HINTS_HEADER, REAL_URL_HEADER, ROLE_HEADER, WarcRecorder
from tests.test_bureau_crawl import REAL, crawl, stored

ARTICLES = 40


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BureauMirror]:
    """An archive made by a real crawl of the mirror, with its WARC."""
    mirror = BureauMirror("gd", articles=ARTICLES, page_size=20)
    data = tmp_path_factory.mktemp("crawl") / "data"
    with MirrorServer(mirror.routes()) as server:
        crawl("gd_spb", server.base_url, data, settings={"POSTCRAWL_WARC_ENABLED": "True"})
    assert list((data / "warc").glob("gd_spb-*.warc.gz"))
    return data, mirror


@pytest.fixture
def archive(crawled: tuple[Path, BureauMirror], tmp_path: Path) -> tuple[Path, BureauMirror]:
    data, _ = crawled
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    return copy, BureauMirror("gd", articles=ARTICLES, page_size=20)  # the same, deterministic


def run(root: Path, **kwargs: Any) -> Report:
    return reextract_archive(root, **kwargs)[0]


def chosen(mirror: BureauMirror) -> list[MirrorArticle]:
    """Articles whose last paragraph the changed rule removes: three plain ones and the
    original of the duplicate pair (its twin has the same text)."""
    plain = [a for a in mirror.articles if a.fault is None and a.shape == "cms"][:3]
    twin = next(a for a in mirror.articles if a.fault == "duplicate")
    original = next(a for a in mirror.articles if a.key == twin.key - 1)
    return [*plain, original]


def change_rule(monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> None:
    site = SITES["gd_spb"]
    rules = dataclasses.replace(site.rules, chrome_lines=(*site.rules.chrome_lines, *lines))
    monkeypatch.setitem(SITES, "gd_spb", dataclasses.replace(site, rules=rules))


def test_an_unchanged_extractor_reports_no_change(archive: tuple[Path, BureauMirror]) -> None:
    root, _ = archive
    one, two = run(root, workers=1), run(root, workers=2)
    assert one.changes == 0
    assert one.unchanged == len(stored(root)) > 20
    assert one.to_json() == two.to_json()


def test_a_changed_rule_reports_and_applies_exactly_the_affected_articles(
    archive: tuple[Path, BureauMirror], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, mirror = archive
    before = stored(root)
    articles = chosen(mirror)
    removed = [a.paragraphs[-1] for a in articles]
    texts = {a.paragraphs for a in articles}
    expected = {REAL + a.home_path for a in mirror.articles if a.paragraphs in texts} & set(before)
    assert len(expected) == len(articles)  # one stored URL per body (the twin is a sighting)
    change_rule(monkeypatch, removed)

    report = run(root, workers=2)
    assert {c["url"] for c in report.changed_body} == expected
    assert report.changes == len(expected)  # titles, dates, sources unchanged; nothing new
    assert report.unchanged == len(before) - len(expected)
    assert run(root, workers=1).to_json() == report.to_json()
    assert stored(root) == before  # a dry run writes nothing

    applied = run(root, workers=2, apply=True)
    assert applied.applied is not None
    assert {e["url"] for e in applied.applied["superseded"]} == expected
    assert not applied.applied["stored"] and not applied.applied["left_alone"]
    assert verify(root).findings == []
    after = stored(root)
    for url in expected:
        record = after[url]
        assert record["replaces"] == before[url]["hash"]
        assert record["replaced_relation"] == "reextracted"
        assert record["hash"] != before[url]["hash"]
        assert not (root / before[url]["path"]).exists()
        text = (root / record["path"]).read_text(encoding="utf-8")
        assert not any(p in text for p in removed)
    files = list(article_files(root))
    assert len(files) == len(before)
    # The twin's URL moved to the new article with the rest of its provenance.
    again = run(root, workers=2)
    assert again.changes == 0
    assert again.unchanged == len(before)

    # A rebuild replays the supersessions to the same archive.
    rebuild_index(root)
    assert verify(root).findings == []
    assert run(root, workers=1).changes == 0


def test_older_warcs_without_postcrawl_headers_give_the_same_report(
    archive: tuple[Path, BureauMirror], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, mirror = archive
    change_rule(monkeypatch, [chosen(mirror)[0].paragraphs[-1]])
    current = run(root, workers=1)
    (path,) = (root / "warc").glob("*.warc.gz")
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            for name in list(record.rec_headers.headers):
                if name[0].startswith("WARC-Postcrawl-"):
                    record.rec_headers.remove_header(name[0])
            writer.write_record(record)
    path.write_bytes(out.getvalue())
    with gzip.open(path, "rb") as fh:
        assert b"WARC-Postcrawl-" not in fh.read()
    old = run(root, workers=1)
    assert old.to_json() == current.to_json()
    assert len(current.changed_body) == 1


def _record(root: Path, url: str, body: bytes, hints: PageHints) -> None:
    """One more crawl run's WARC holding one article response for *url* (a mirror URL)."""
    spider_cls = type("GdSpb", (Spider,), {"name": "gd_spb"})
    spider = spider_cls()
    spider.site = SITES["gd_spb"]  # type: ignore[attr-defined]
    spider.roots = SiteRoots(REAL, "http://127.0.0.1:1")  # type: ignore[attr-defined]

    def parse_article(response: Any, hints: PageHints) -> None:  # what the recorder looks for
        return None

    recorder = WarcRecorder(root, "gd_spb", fsync=False)
    request = Request(url, callback=parse_article, cb_kwargs={"hints": hints})
    response = HtmlResponse(
        url, body=body, headers={"Content-Type": "text/html; charset=utf-8"}, request=request
    )
    recorder.write(response, request, spider)
    recorder._fh.close()


def test_new_pages_and_the_newest_record_of_a_url(
    archive: tuple[Path, BureauMirror], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, mirror = archive
    before = stored(root)
    target = chosen(mirror)[0]
    (new,) = mirror.add_articles(1)
    page, _ = mirror.article_page(new)
    hints = PageHints(new.title, new.published.strftime("%Y-%m-%d"))
    _record(root, "http://127.0.0.1:1" + new.home_path, page, hints)
    # A later fetch of an archived page, now with a paragraph more: the newest record wins.
    changed = dataclasses.replace(target, paragraphs=(*target.paragraphs, "新增的一段正文内容。"))
    body, _ = mirror.article_page(changed)
    _record(root, "http://127.0.0.1:1" + target.home_path, body, PageHints(target.title))
    assert len(list((root / "warc").glob("*.warc.gz"))) >= 2

    report = run(root, workers=2)
    assert [c["url"] for c in report.new] == [REAL + new.home_path]
    assert [c["url"] for c in report.changed_body] == [REAL + target.home_path]
    assert run(root, since=date(2999, 1, 1)).pages == 0

    applied = run(root, workers=1, apply=True)
    assert applied.applied is not None
    assert [e["url"] for e in applied.applied["stored"]] == [REAL + new.home_path]
    after = stored(root)
    assert after[REAL + new.home_path]["path"].startswith(new.day.replace("-", "/"))
    assert len(after) == len(before) + 1
    assert verify(root).findings == []
    assert run(root, workers=2).changes == 0


def test_the_command(archive: tuple[Path, BureauMirror], tmp_path: Path, capsys: Any) -> None:
    root, _ = archive
    out = tmp_path / "report.json"
    code = main(["reextract", "--data-dir", str(root), "--workers", "2", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr()
    assert "no changes" in printed.out and "unchanged" in printed.out
    assert "re-extracted" in printed.err  # the progress lines (not a terminal)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["changes"] == 0 and data["workers"] == 2 and data["applied"] is None
    assert main(["reextract", "--data-dir", str(root), "--site", "nope"]) == 1
    assert main(["reextract", "--data-dir", str(root), "--since", "yesterday"]) == 1
    assert "--since must be a day" in capsys.readouterr().err
    assert main(["reextract", "--data-dir", str(root), "--site", "sh_spb", "--apply"]) == 0
    assert "0 article pages" in capsys.readouterr().out
    manifest = [r for r in read_manifest(root) if r]
    assert not any(r.get("replaced_relation") == "reextracted" for r in manifest)


def test_warc_records_name_the_real_url_and_hints(archive: tuple[Path, BureauMirror]) -> None:
    root, _ = archive
    (path,) = (root / "warc").glob("*.warc.gz")
    roles: dict[str, int] = {}
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                continue
            headers = record.rec_headers
            role = headers.get_header(ROLE_HEADER)
            roles[role] = roles.get(role, 0) + 1
            assert headers.get_header(REAL_URL_HEADER).startswith(REAL)
            assert headers.get_header("WARC-Target-URI").startswith("http://127.0.0.1")
            if role == "article":
                assert json.loads(headers.get_header(HINTS_HEADER))["published"]
    assert roles["article"] > 30 and roles["list"] >= 2


# -- ArchiveStore.supersede ----------------------------------------------------------------
def _synthetic(n: int, extra: str = "") -> Any:
    from postcrawl.article_text import normalize_extracted
    from postcrawl.extraction import Extracted

    return normalize_extracted(
        Extracted(
            url=f"https://gd.spb.gov.cn/a/{n}.shtml",
            site="gd_spb",
            title=f"通知{n}",
            paragraphs=[f"第{n}号通知：邮政管理局召开第{n}次会议，部署寄递渠道安全工作。", extra],
            published="2024-01-02 08:00:00",
            source="广东省邮政管理局",
        )
    )


def test_supersede_leaves_alone_a_body_archived_as_another_article(tmp_path: Path) -> None:
    from postcrawl.archive import ArchiveStore

    root = tmp_path / "data"
    with ArchiveStore(root, fsync=False) as store:
        first = store.add(_synthetic(1), official=True)
        other = store.add(_synthetic(2), official=True)
        # Page 1 now reads exactly as article 2: no second file for article 2's hash.
        clash = dataclasses.replace(_synthetic(2), url=_synthetic(1).url)
        result = store.supersede(clash, first.body_hash, official=True)
        assert result.status == "duplicate" and result.path == other.path
        # The URL belongs to another article than the caller thought: nothing written.
        stale = store.supersede(_synthetic(1, "新的一段。"), other.body_hash, official=True)
        assert stale.status == "duplicate"
    assert len([r for r in read_manifest(root) if r]) == 2
    assert verify(root).findings == []


_CRASH = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.test_reextract import _synthetic
from postcrawl.archive import ArchiveStore
with ArchiveStore(Path({data!r}), fsync=False) as store:
    store.supersede(_synthetic(1, "新的一段。"), {old!r}, official=True)
"""


@pytest.mark.parametrize("point", ["store:temp-written", "store:manifest-appended", "store:placed"])
def test_a_crash_while_superseding_leaves_the_old_or_the_new_article(
    tmp_path: Path, point: str
) -> None:
    import os
    import subprocess
    import sys

    from postcrawl.archive import ArchiveStore
    from tests.conftest import ROOT

    data = tmp_path / "data"
    with ArchiveStore(data, fsync=False) as store:
        old = store.add(_synthetic(1), official=True)
    new_hash = _synthetic(1, "新的一段。").body_hash
    code = _CRASH.format(root=str(ROOT), data=str(data), old=old.body_hash)
    env = {**os.environ, "POSTCRAWL_FAILPOINT": point}
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, timeout=60)
    assert proc.returncode == -9  # killed at the failpoint
    ArchiveStore(data, fsync=False).close()  # recovery, as any writer or `verify` runs it
    assert verify(data).findings == []
    (record,) = [r for r in stored(data).values()]
    committed = point != "store:temp-written"  # the manifest line is the commit point
    assert record["hash"] == (new_hash if committed else old.body_hash)
    files = list(article_files(data))
    assert len(files) == 1
    assert ("新的一段" in files[0].read_text(encoding="utf-8")) is committed


@pytest.mark.parametrize("cut", [0.999, 0.97, 0.9])
def test_a_warc_torn_by_a_killed_crawl_is_read_up_to_the_tear(
    archive: tuple[Path, BureauMirror], cut: float
) -> None:
    """A crawl killed while writing its WARC leaves a torn last record: reextract reads every
    record before it, never turns the torn one into a (truncated) changed article, and does
    not crash."""
    root, _ = archive
    before = run(root, workers=1)
    (warc,) = sorted((root / "warc").glob("*.warc.gz"))
    data = warc.read_bytes()
    warc.write_bytes(data[: int(len(data) * cut)])
    after = run(root, workers=1)
    # Nothing torn is taken for a new or changed body; the torn record, if the iterator
    # yielded it, is reported as unreadable (never applied), and the rest read as before.
    assert after.new == [] and after.changed_body == [] and after.changed_title == []
    assert [f["kind"] for f in after.now_failing] in ([], ["torn-record"])
    # Every record before the tear still counts: a page is lost only with its own record.
    lost_records = before.records - after.records
    assert lost_records >= 0 and after.unchanged <= before.unchanged
    assert after.unchanged + len(after.now_failing) >= before.unchanged - lost_records
