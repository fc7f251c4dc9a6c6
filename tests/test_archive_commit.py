"""The committer's seen marks when the seen store is not the index's own table."""

from __future__ import annotations

from pathlib import Path

from postcrawl.archive import ArchiveStore
from postcrawl.article_text import normalize_extracted
from postcrawl.extraction import Extracted
from postcrawl.seen import SeenStatus


class RecordingSeen:
    """A seen store apart from the index: remembers every mark."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, str | None, str]] = []

    def url_seen(self, url: str) -> bool:
        return any(m[0] == url for m in self.marks)

    def hash_seen(self, body_hash: str) -> bool:
        return any(m[1] == body_hash for m in self.marks)

    def mark(
        self, url: str, body_hash: str | None, status: SeenStatus, seen_at: str | None
    ) -> None:
        self.marks.append((url, body_hash, status))

    def close(self) -> None:
        pass


def _article(url: str) -> Extracted:
    return normalize_extracted(
        Extracted(
            url=url,
            site="gd_spb",
            title="通知",
            paragraphs=["邮政管理局召开会议，部署寄递渠道安全工作。"],
            published="2024-01-02 08:00:00",
            source="广东省邮政管理局",
        )
    )


def test_a_separate_seen_store_is_marked_once_per_change(tmp_path: Path) -> None:
    seen = RecordingSeen()
    with ArchiveStore(tmp_path / "data", fsync=False, seen=seen) as store:
        stored = store.add(_article("https://gd.spb.gov.cn/a/1.shtml"), official=True)
        store.add(_article("https://gd.spb.gov.cn/a/1-copy.shtml"), official=True)
        store.add(_article("https://gd.spb.gov.cn/a/1.shtml"), official=True)  # on record: no mark
        store.record_skip("https://gd.spb.gov.cn/z.shtml", "gd_spb", "not postal")
    assert seen.marks == [
        ("https://gd.spb.gov.cn/a/1.shtml", stored.body_hash, "stored"),
        ("https://gd.spb.gov.cn/a/1-copy.shtml", stored.body_hash, "duplicate"),
        ("https://gd.spb.gov.cn/z.shtml", None, "skipped"),
    ]
