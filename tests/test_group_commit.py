"""Group commits: many changes, one index transaction and one manifest fsync, all or nothing."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from postcrawl.archive import ArchiveError, ArchiveStore, article_files, read_manifest, verify
from postcrawl.article_text import normalize_extracted
from postcrawl.extraction import Extracted


def _article(url: str, text: str, day: str = "2024-01-02 08:00:00") -> Extracted:
    return normalize_extracted(
        Extracted(
            url=url,
            site="gd_spb",
            title="通知",
            paragraphs=[text],
            published=day,
            source="广东省邮政管理局",
        )
    )


BODIES = [
    f"第{n}次会议召开，邮政管理局部署寄递渠道安全工作，要求各快递企业落实实名收寄制度。"
    for n in range(6)
]


def test_a_group_is_one_manifest_write_and_its_files_are_numbered_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    with ArchiveStore(root, fsync=True) as store:
        appends: list[int] = []
        original = store.manifest.append_many

        def counting(records: list[Any]) -> int:
            appends.append(len(records))
            return original(records)

        monkeypatch.setattr(store.manifest, "append_many", counting)
        with store.group():
            results = [
                store.add(_article(f"https://gd.spb.gov.cn/a/{n}.shtml", body))
                for n, body in enumerate(BODIES)
            ]
            # A repost of an article staged earlier in the same group is a duplicate of it.
            copy = store.add(_article("https://www.example.cn/repost.html", BODIES[0]))
            assert not list(article_files(root))  # nothing is in place before the commit
        assert appends == [len(BODIES) + 1]
    assert [r.status for r in results] == ["stored"] * len(BODIES)
    assert copy.status == "duplicate" and copy.path == results[0].path
    names = sorted(path.name[:3] for path in article_files(root))
    assert names == [f"{n:03d}" for n in range(len(BODIES))]  # one day folder, numbered apart
    assert not verify(root).findings


def test_a_group_whose_manifest_write_fails_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    with ArchiveStore(root, fsync=False) as store:
        store.add(
            _article(
                "https://gd.spb.gov.cn/a/before.shtml",
                "此前已经归档的文章，邮政管理局通报快递业务量。",
            )
        )

        def full(records: list[Any]) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(store.manifest, "append_many", full)
        with pytest.raises(ArchiveError), store.group():
            for n, body in enumerate(BODIES):
                store.add(_article(f"https://gd.spb.gov.cn/a/{n}.shtml", body))
        monkeypatch.undo()
        assert store.find_match(_article("https://x.cn/1", BODIES[1])) is None  # rolled back
        assert not os.listdir(root / ".tmp")  # no temp file left behind
        assert len(list(article_files(root))) == 1
        # The archive takes writes again, numbering from where it was.
        again = store.add(_article("https://gd.spb.gov.cn/a/0.shtml", BODIES[0]))
    assert again.status == "stored" and again.path.endswith(f"001_{again.body_hash}.txt")
    assert [r["url"] for r in read_manifest(root)] == [
        "https://gd.spb.gov.cn/a/before.shtml",
        "https://gd.spb.gov.cn/a/0.shtml",
    ]
    assert not verify(root).findings


def test_a_change_that_fails_inside_a_group_leaves_the_others(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with ArchiveStore(root, fsync=False) as store, store.group():
        kept = store.add(_article("https://gd.spb.gov.cn/a/0.shtml", BODIES[0]))
        with pytest.raises(ValueError):
            store.add(
                Extracted(url="https://gd.spb.gov.cn/bad", site="gd_spb", title="", paragraphs=[])
            )
        other = store.add(_article("https://gd.spb.gov.cn/a/1.shtml", BODIES[1]))
    assert {path.name for path in article_files(root)} == {
        Path(kept.path).name,
        Path(other.path).name,
    }
    assert not verify(root).findings


def test_an_official_page_replacing_its_repost_in_the_same_group(tmp_path: Path) -> None:
    """The repost and the official page with the same body in one group: one file, the
    official page's, and an archive that verifies (the two staged one temp file)."""
    root = tmp_path / "data"
    body = BODIES[2]
    repost = _article("https://www.example.cn/repost.html", body)
    official = _article("https://gd.spb.gov.cn/a/2.shtml", body)
    with ArchiveStore(root, fsync=False) as store:
        with store.group():
            first = store.add(repost, official=False)
            second = store.add(official, official=True)
        assert (first.status, second.status) == ("stored", "replaced")
    (only,) = list(article_files(root))
    assert only.as_posix().endswith(second.path)
    assert not verify(root).findings
    # Recovery from the manifest alone makes the same archive.
    (root / "index.sqlite3").unlink()
    with ArchiveStore(root, fsync=False) as store:
        assert store.path_for_hash(official.body_hash) == second.path
    assert not verify(root).findings
