"""The archive store: files, manifest, index, duplicates, crashes, concurrency, reindex."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from postcrawl import document
from postcrawl.archive import (
    MANIFEST,
    ArchiveError,
    ArchiveStore,
    article_files,
    read_manifest,
    rebuild_index,
    verify,
)
from postcrawl.article_text import normalize_extracted
from postcrawl.extraction import Extracted, extract_article
from tests.conftest import fixture_named, page_fixtures


def _article(site: str, stem: str) -> Extracted:
    fx = fixture_named(site, stem)
    return normalize_extracted(extract_article(fx.html.read_bytes(), fx.url))


def _synthetic(n: int, published: str | None = "2024-01-02 08:00:00") -> Extracted:
    body = [
        f"第{n}号通知：邮政管理局召开第{n}次会议，部署寄递渠道安全工作。",
        f"会议要求各单位落实第{n}项任务。",
    ]
    return normalize_extracted(
        Extracted(
            url=f"https://gd.spb.gov.cn/a/{n}.shtml",
            site="gd_spb",
            title=f"通知{n}",
            paragraphs=body,
            published=published,
            source="广东省邮政管理局",
        )
    )


def _rows(root: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(root / "index.sqlite3") as conn:
        return [tuple(r) for r in conn.execute(sql)]


def test_store_writes_the_dated_file_manifest_and_index(archive_root: Path) -> None:
    article = _article("gd_spb", "004_original")
    with ArchiveStore(archive_root) as store:
        result = store.add(article, official=True, province="广东")
    assert result.status == "stored"
    assert result.path == f"2023/10/26/000_{article.body_hash}.txt"
    text = (archive_root / result.path).read_text(encoding="utf-8")
    assert text == (
        f"{article.title}\n\n2023-10-26 - 广东省邮政管理局\n\n"
        + "\n\n".join(article.paragraphs)
        + "\n"
    )
    assert not text.endswith("\n\n") and " \n" not in text
    (record,) = [r for r in read_manifest(archive_root) if r]
    assert record["event"] == "article" and record["hash"] == article.body_hash
    assert record["path"] == result.path and record["url"] == article.url and record["official"]
    assert _rows(archive_root, "SELECT hash, path, official_url, province FROM articles") == [
        (article.body_hash, result.path, article.url, "广东")
    ]
    hits = _rows(
        archive_root,
        "SELECT hash FROM articles_fts JOIN articles ON articles.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH '茂名市邮政'",
    )
    assert hits == [(article.body_hash,)]


def test_repost_and_original_are_one_file_with_both_urls(archive_root: Path) -> None:
    repost = _article("txyddy", "004_txyddy_repost")
    original = _article("gd_spb", "004_original")
    with ArchiveStore(archive_root) as store:
        first = store.add(repost)
        second = store.add(original, official=True)
    # The bureau's page arrived second and becomes the stored copy (issue 4: official is canonical).
    assert first.status == "stored" and second.status == "replaced"
    assert second.body_hash == first.body_hash
    assert [p.relative_to(archive_root).as_posix() for p in archive_root.rglob("*.txt")] == [
        second.path
    ]
    urls = _rows(
        archive_root, "SELECT url, relation, official, claimed_original FROM urls ORDER BY url"
    )
    assert urls == [
        (original.url, "stored", 1, None),
        (repost.url, "duplicate", 0, original.url),
    ]
    assert _rows(archive_root, "SELECT url, official_url FROM articles") == [
        (original.url, original.url)
    ]
    events = [(r["event"], r.get("replaces")) for r in read_manifest(archive_root) if r]
    assert events == [("article", None), ("article", first.body_hash)]


def test_original_then_repost_keeps_the_original(archive_root: Path) -> None:
    repost = _article("txyddy", "004_txyddy_repost")
    original = _article("gd_spb", "004_original")
    with ArchiveStore(archive_root) as store:
        first = store.add(original, official=True)
        second = store.add(repost)
    assert (first.status, second.status) == ("stored", "duplicate")
    assert second.path == first.path
    assert len(list(archive_root.rglob("*.txt"))) == 1
    assert [r["event"] for r in read_manifest(archive_root) if r] == ["article", "url"]


def test_same_url_twice_adds_nothing(archive_root: Path) -> None:
    article = _synthetic(1)
    with ArchiveStore(archive_root) as store:
        store.add(article)
        again = store.add(article)
    assert again.status == "duplicate"
    assert [r["event"] for r in read_manifest(archive_root) if r] == ["article"]


def test_sequence_numbers_and_undated_folder(archive_root: Path) -> None:
    with ArchiveStore(archive_root) as store:
        paths = [store.add(_synthetic(n)).path for n in range(3)]
        undated = store.add(
            replace(_synthetic(9, published=None), undated_reason="no date on the page")
        )
    assert [p.split("/")[-1][:4] for p in paths] == ["000_", "001_", "002_"]
    assert all(p.startswith("2024/01/02/") for p in paths)
    assert undated.path.startswith("undated/000_")
    assert _rows(archive_root, "SELECT undated_reason FROM articles WHERE published IS NULL") == [
        ("no date on the page",)
    ]
    text = (archive_root / undated.path).read_text(encoding="utf-8")
    assert text.split("\n")[2] == "广东省邮政管理局"


def test_a_torn_manifest_tail_is_cut_off_before_the_next_append(archive_root: Path) -> None:
    with ArchiveStore(archive_root) as store:
        store.add(_synthetic(1))
    with open(archive_root / MANIFEST, "ab") as fh:
        fh.write(b'{"event":"article","hash":"abc')  # a crash mid-line
    assert verify(archive_root).torn_tail_bytes == 30
    with ArchiveStore(archive_root) as store:
        assert store.recovery.torn_bytes == 30
        store.add(_synthetic(2))
    records = list(read_manifest(archive_root))
    assert [r and r["hash"] for r in records] == [_synthetic(1).body_hash, _synthetic(2).body_hash]
    assert (archive_root / MANIFEST).read_bytes().count(b"abc") == 0
    report = rebuild_index(archive_root)
    assert report.articles == 2 and report.bad_manifest_lines == 0
    assert verify(archive_root).findings == []


def test_reindex_reproduces_the_index(archive_root: Path) -> None:
    hashes = []
    first: dict[str, Extracted] = {}  # hash -> the article stored under it
    with ArchiveStore(archive_root) as store:
        for fx in page_fixtures():
            article = normalize_extracted(extract_article(fx.html.read_bytes(), fx.url))
            store.add(article, official=fx.html.parent.name == "gd_spb")
            hashes.append(article.body_hash)
            first.setdefault(article.body_hash, article)
        store.record_skip("https://www.e0734.com/index.php?a=show&id=1", "e0734", "not postal")
    queries = [
        "SELECT * FROM articles ORDER BY hash",
        "SELECT * FROM urls ORDER BY url",
        "SELECT url, hash, status FROM seen ORDER BY url",
    ]
    before = [_rows(archive_root, q) for q in queries]
    (archive_root / "index.sqlite3").unlink()
    for suffix in ("-wal", "-shm"):
        (archive_root / f"index.sqlite3{suffix}").unlink(missing_ok=True)
    report = rebuild_index(archive_root)
    duplicates = len(hashes) - len(set(hashes))
    repost = fixture_named("txyddy", "004_txyddy_repost")
    reposted = normalize_extracted(extract_article(repost.html.read_bytes(), repost.url))
    # The only body stored twice: the 004 repost and its original.
    assert {h for h in hashes if hashes.count(h) > 1} == {reposted.body_hash}
    assert report.articles == len(set(hashes)) and report.urls == duplicates
    assert report.skipped_urls == 1
    assert [_rows(archive_root, q) for q in queries] == before
    fts = _rows(
        archive_root, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '邮政管理局'"
    )
    word = "邮政管理局"
    naming = [a for a in first.values() if word in a.title or any(word in p for p in a.paragraphs)]
    assert len(naming) >= 2  # the fixtures name it: the count below is not 0 == 0
    assert fts[0][0] == len(naming)


def test_reindex_indexes_files_without_manifest_lines_and_reports_missing(
    archive_root: Path,
) -> None:
    with ArchiveStore(archive_root) as store:
        kept = store.add(_synthetic(1)).path
        lost = store.add(_synthetic(2)).path
    (archive_root / lost).unlink()
    orphan = archive_root / "2024/01/03/000_0123456789abcdef.txt"
    orphan.parent.mkdir(parents=True)
    orphan.write_text(
        document.render(document.Document("孤儿", "2024-01-03", "某局", ("正文一段。",)))
    )
    found = verify(archive_root)
    assert found.missing_files == [lost]
    assert found.orphan_files == ["2024/01/03/000_0123456789abcdef.txt"]
    report = rebuild_index(archive_root)
    assert report.missing_files == [lost]
    assert report.orphan_files == ["2024/01/03/000_0123456789abcdef.txt"]
    paths = {r[0] for r in _rows(archive_root, "SELECT path FROM articles")}
    assert paths == {kept, "2024/01/03/000_0123456789abcdef.txt"}
    assert report.articles == len(paths) == len(list(article_files(archive_root)))
    # The lost article's URL is no longer "seen", so the next crawl fetches it again.
    seen = {r[0] for r in _rows(archive_root, "SELECT url FROM seen")}
    assert _synthetic(2).url not in seen and _synthetic(1).url in seen
    assert verify(archive_root).findings == []  # the manifest records the loss and the adoption


def test_corrupt_index_is_moved_aside_and_rebuilt(archive_root: Path) -> None:
    with ArchiveStore(archive_root) as store:
        store.add(_synthetic(1))
    for suffix in ("-wal", "-shm"):
        (archive_root / f"index.sqlite3{suffix}").unlink(missing_ok=True)
    (archive_root / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    report = rebuild_index(archive_root)
    assert report.articles == 1
    assert list(archive_root.glob("index.sqlite3.corrupt-*"))


def test_a_full_disk_at_the_manifest_leaves_nothing_half_written(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import postcrawl.archive.manifest as manifest_module

    def full(fd: int, data: bytes) -> int:
        real_write(fd, data[: len(data) // 2])  # a partial line, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    real_write = os.write
    with ArchiveStore(archive_root) as store:
        store.add(_synthetic(0))
        size = (archive_root / MANIFEST).stat().st_size
        monkeypatch.setattr(manifest_module.os, "write", full)
        with pytest.raises(ArchiveError, match="No space left"):
            store.add(_synthetic(1))
        monkeypatch.undo()
        assert (archive_root / MANIFEST).stat().st_size == size  # the partial line is cut
        assert len(list(archive_root.rglob("*.txt"))) == 1  # no temp file, no second article
        assert list((archive_root / ".tmp").iterdir()) == []
        assert store.add(_synthetic(1)).status == "stored"  # nothing half-recorded blocks a retry
    assert verify(archive_root).findings == []


def test_a_rename_that_fails_after_the_manifest_line_is_finished_on_reopening(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import postcrawl.archive.files as files_module

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "I/O error")

    with ArchiveStore(archive_root) as store:
        monkeypatch.setattr(files_module.os, "replace", boom)
        with pytest.raises(ArchiveError):
            store.add(_synthetic(1))
        monkeypatch.undo()
    # The manifest line is the commit point: the article exists and reopening finishes it.
    assert verify(archive_root).findings != []
    with ArchiveStore(archive_root) as store:
        assert store.recovery.articles == 1 and store.recovery.temp_removed == 0
        assert store.add(_synthetic(1)).status == "duplicate"
    assert len(list(article_files(archive_root))) == 1
    assert verify(archive_root).findings == []


def _archive_many(root: str, start: int, barrier: multiprocessing.synchronize.Barrier) -> list[str]:
    barrier.wait()
    with ArchiveStore(root, fsync=False) as store:
        return [store.add(_synthetic(n)).status for n in range(start, start + 40)]


def test_two_processes_archiving_at_once_make_one_file_per_article(archive_root: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(2)
    with ctx.Pool(2) as pool:
        # Both processes archive articles 10..49; each also has ten of its own.
        a = pool.apply_async(_archive_many, (str(archive_root), 0, barrier))
        b = pool.apply_async(_archive_many, (str(archive_root), 10, barrier))
        statuses = a.get(timeout=120) + b.get(timeout=120)
    assert statuses.count("stored") == 50 and statuses.count("duplicate") == 30
    files = list(archive_root.rglob("*.txt"))
    assert len(files) == 50
    assert len({f.name.split("_")[1] for f in files}) == 50
    names = sorted(f.name[:3] for f in files)
    assert names == [f"{n:03d}" for n in range(50)]  # sequence numbers unique, no gaps
    assert _rows(archive_root, "SELECT count(*) FROM articles") == [(50,)]
    assert _rows(archive_root, "PRAGMA integrity_check") == [("ok",)]
    lines = (archive_root / MANIFEST).read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line) for line in lines) and len(lines) == 50


def test_the_store_reuses_a_no_match_lookup_only_while_nothing_was_written(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dedupe step's lookup stands in for the store's while the archive has not changed
    (one lookup per article); a write in between — here by a second writer — means the store
    looks again, so two writers still make one file per article."""
    import postcrawl.archive.store as store_module

    with ArchiveStore(archive_root) as first, ArchiveStore(archive_root) as second:
        first.add(_synthetic(0))
        lookups = []
        real = store_module.find_match

        def counting(*args: object) -> object:
            lookups.append(1)
            return real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(store_module, "find_match", counting)
        article = _synthetic(1)
        checkpoint = first.checkpoint()
        assert first.find_match(article) is None and len(lookups) == 1
        assert first.add(article, unmatched_at=checkpoint).status == "stored"
        assert len(lookups) == 1  # not looked up again
        # Another writer stores the same article after the lookup: the store checks again.
        again = _synthetic(2)
        checkpoint = first.checkpoint()
        assert first.find_match(again) is None
        assert second.add(again).status == "stored"
        assert first.add(again, unmatched_at=checkpoint).status == "duplicate"
    assert len(list(article_files(archive_root))) == 3
    assert verify(archive_root).findings == []


def test_the_day_folder_listing_is_read_again_after_another_writer(archive_root: Path) -> None:
    with ArchiveStore(archive_root) as first, ArchiveStore(archive_root) as second:
        names = [
            store.add(_synthetic(n)).path.rsplit("/", 1)[1][:3]
            for n, store in enumerate([first, first, second, first, second, second, first])
        ]
    assert names == [f"{n:03d}" for n in range(7)]  # one folder, no number twice, no gap
