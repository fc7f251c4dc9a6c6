"""Near-duplicate detection and provenance: reposts join their original, whichever came first."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import opencc
import pytest

from postcrawl import neardup
from postcrawl.archive import ArchiveStore, article_files, rebuild_index
from postcrawl.archive import records as archive_records
from postcrawl.article_text import normalize_extracted
from postcrawl.document import parse
from postcrawl.extraction import Extracted, extract_article
from tests.conftest import fixture_named

OFFICIAL_URL = (
    "http://gd.spb.gov.cn/gdsyzglj/c100057/c100061/202310/10855d1563a94a318b34d4c76ceb3d03.shtml"
)


def official() -> Extracted:
    fx = fixture_named("gd_spb", "004_original")
    return normalize_extracted(extract_article(fx.html.read_bytes(), fx.url))


def exact_repost() -> Extracted:
    fx = fixture_named("txyddy", "004_txyddy_repost")
    return normalize_extracted(extract_article(fx.html.read_bytes(), fx.url))


def lead_and_editor_repost() -> Extracted:
    base = official()
    return normalize_extracted(
        Extracted(
            url="http://www.e0734.com/index.php?a=show&catid=707&id=700001",
            site="e0734",
            title=base.title,
            paragraphs=[
                "记者从广东省邮政管理局获悉，四市局近期召开了季度政企联席会。",
                *base.paragraphs,
                "编辑 王芳 审核 李强",
            ],
            published="2023-10-27 09:00:00",
            source="中国衡阳新闻网",
        )
    )


def traditional_repost() -> Extracted:
    base = official()
    s2t = opencc.OpenCC("s2t")
    # Traditional script and a different paragraph split: two paragraphs become one.
    paragraphs = [s2t.convert(p) for p in base.paragraphs]
    paragraphs = [paragraphs[0] + paragraphs[1], *paragraphs[2:]]
    return normalize_extracted(
        Extracted(
            url="http://news.sxrb.com/GB/314064/10300001.html",
            site="sxrb",
            title=s2t.convert(base.title),
            paragraphs=paragraphs,
            published="2023-10-28",
            source="山西新闻网",
        )
    )


def quarterly_notice(quarter: str, month: str, items: list[str]) -> Extracted:
    paragraphs = [
        f"{month}，河源市邮政管理局与市邮政分公司召开2023年{quarter}邮政普遍服务政企联席会议，"
        "通报交流有关工作情况，听取市邮政分公司工作汇报，安排部署下阶段重点工作。",
        *items,
        "会议强调，邮政企业要认真落实国家邮政局、省邮政管理局工作部署，确保年度各项重点工作有序推进。",
    ]
    return normalize_extracted(
        Extracted(
            url=f"http://gd.spb.gov.cn/gdsyzglj/c100057/c100061/2023/{quarter}.shtml",
            site="gd_spb",
            title=f"河源局召开{quarter}政企联席会",
            paragraphs=paragraphs,
            published="2023-07-20" if quarter == "第二季度" else "2023-10-20",
        )
    )


def urls(store: ArchiveStore) -> dict[str, tuple[str, str, float]]:
    rows = store.conn.execute("SELECT url, hash, relation, similarity FROM urls").fetchall()
    return {r["url"]: (r["hash"], r["relation"], r["similarity"]) for r in rows}


def index_snapshot(root: Path) -> tuple[list[tuple], list[tuple], int]:
    conn = sqlite3.connect(root / "index.sqlite3")
    try:
        articles = conn.execute(
            "SELECT hash, path, title, url, official_url, site FROM articles ORDER BY hash"
        ).fetchall()
        provenance = conn.execute(
            "SELECT url, hash, relation, round(similarity, 3), official, claimed_original "
            "FROM urls ORDER BY url"
        ).fetchall()
        signatures = conn.execute("SELECT COUNT(*) FROM neardup_sig").fetchone()[0]
    finally:
        conn.close()
    return articles, provenance, signatures


# -- the similarity measure -----------------------------------------------------------------


def test_reposts_are_similar_and_sibling_notices_are_not() -> None:
    base = official().normalized_body
    assert neardup.jaccard(base, lead_and_editor_repost().normalized_body) >= neardup.THRESHOLD
    assert neardup.jaccard(base, traditional_repost().normalized_body) >= neardup.THRESHOLD
    q2, q3 = sibling_notices()
    assert neardup.jaccard(q2.normalized_body, q3.normalized_body) < neardup.THRESHOLD
    # The MinHash estimate follows the exact value.
    a, b = neardup.signature(base), neardup.signature(lead_and_editor_repost().normalized_body)
    exact = neardup.jaccard(base, lead_and_editor_repost().normalized_body)
    assert abs(neardup.estimate(a, b) - exact) < 0.15


def sibling_notices() -> tuple[Extracted, Extracted]:
    q2 = quarterly_notice(
        "第二季度",
        "7月18日",
        [
            "会议听取了市邮政分公司关于上半年普遍服务、党报党刊发行和农村寄递物流体系建设情况的汇报，"
            "对建制村直接通邮、邮政普遍服务营业场所设置撤并等情况进行了通报。",
            "会议要求，一是抓好汛期安全生产，落实防汛应急预案；二是做好高考录取通知书寄递服务保障；"
            "三是推进村级寄递物流综合服务站建设，年内完成80个站点改造任务。",
        ],
    )
    q3 = quarterly_notice(
        "第三季度",
        "10月17日",
        [
            "会议通报了前三季度全市邮政业务收入和快递业务量完成情况，分析了普遍服务用户申诉的主要问题，"
            "对国庆、中秋期间邮政服务保障工作进行了总结。",
            "会议要求，一是持续完善农村寄递物流体系；二是推进旅游景区主题邮局建设，强化与市文旅部门的沟通联系；"
            "三是提前谋划“双11”旺季服务保障，确保全年目标任务圆满完成。",
        ],
    )
    return q2, q3


# -- the archive --------------------------------------------------------------------------


def test_official_and_three_reposts_make_one_file_with_four_urls(archive_root: Path) -> None:
    with ArchiveStore(archive_root, fsync=False) as store:
        first = store.add(official(), official=True, province="广东")
        results = [
            store.add(exact_repost()),
            store.add(lead_and_editor_repost()),
            store.add(traditional_repost()),
        ]
        provenance = urls(store)
    assert first.status == "stored"
    assert [r.status for r in results] == ["duplicate"] * 3
    assert {r.body_hash for r in results} == {first.body_hash}
    assert len(list(article_files(archive_root))) == 1
    assert len(provenance) == 4
    assert provenance[OFFICIAL_URL][1] == "stored"
    assert provenance[exact_repost().url][1] == "duplicate"
    near = provenance[lead_and_editor_repost().url]
    assert near[1] == "near-duplicate" and neardup.THRESHOLD <= near[2] < 1.0
    assert provenance[traditional_repost().url][0] == first.body_hash


def test_sibling_notices_stay_two_files(archive_root: Path) -> None:
    q2, q3 = sibling_notices()
    with ArchiveStore(archive_root, fsync=False) as store:
        assert store.add(q2, official=True).status == "stored"
        assert store.add(q3, official=True).status == "stored"
    assert len(list(article_files(archive_root))) == 2


def test_official_page_arriving_later_replaces_the_repost(archive_root: Path) -> None:
    repost, trad = lead_and_editor_repost(), traditional_repost()
    with ArchiveStore(archive_root, fsync=False) as store:
        stored = store.add(repost)
        store.add(trad)
        promoted = store.add(official(), official=True, province="广东")
        provenance = urls(store)
        row = store.conn.execute("SELECT * FROM articles").fetchall()
    assert promoted.status == "replaced" and promoted.relation == "near-duplicate"
    files = list(article_files(archive_root))
    assert len(files) == 1 and not (archive_root / stored.path).exists()
    doc = parse(files[0].read_text(encoding="utf-8"))
    assert doc.title == official().title and doc.source == "广东省邮政管理局"
    assert doc.published == "2023-10-26"
    assert list(doc.paragraphs) == official().paragraphs
    assert (
        len(row) == 1 and row[0]["url"] == OFFICIAL_URL and row[0]["official_url"] == OFFICIAL_URL
    )
    assert set(provenance) == {OFFICIAL_URL, repost.url, trad.url}
    assert {h for h, _, _ in provenance.values()} == {promoted.body_hash}
    assert provenance[repost.url][1] == "near-duplicate"
    assert provenance[OFFICIAL_URL][1] == "stored"
    # A further repost now matches the official text.
    with ArchiveStore(archive_root, fsync=False) as store:
        assert store.add(exact_repost()).status == "duplicate"
    lines = (archive_root / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum('"replaces"' in line for line in lines) == 1


def test_reindex_reproduces_replacement_and_provenance(archive_root: Path) -> None:
    with ArchiveStore(archive_root, fsync=False) as store:
        store.add(lead_and_editor_repost())
        store.add(exact_repost())
        store.add(official(), official=True)
        store.add(traditional_repost())
        q2, _ = sibling_notices()
        store.add(q2, official=True)
    before = index_snapshot(archive_root)
    (archive_root / "index.sqlite3").unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(archive_root / "index.sqlite3") + suffix).unlink(missing_ok=True)
    report = rebuild_index(archive_root)
    assert report.replaced == 1 and report.neardup_indexed == 2
    assert index_snapshot(archive_root) == before
    assert len(before[0]) == 2 and len(before[1]) == 5


def test_crash_during_replacement_is_repaired_by_reindex(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ArchiveStore(archive_root, fsync=False) as store:
        old = store.add(lead_and_editor_repost())

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(archive_records, "_apply_replacement", crash)
    with ArchiveStore(archive_root, fsync=False) as store, pytest.raises(OSError):
        store.add(official(), official=True)
    assert len(list(article_files(archive_root))) == 2  # both files on disk after the crash
    monkeypatch.undo()
    rebuild_index(archive_root)  # (opening the archive would replay the replacement too)
    files = list(article_files(archive_root))
    assert len(files) == 1 and not (archive_root / old.path).exists()
    with ArchiveStore(archive_root, fsync=False) as store:
        provenance = urls(store)
    assert provenance[OFFICIAL_URL][1] == "stored"
    assert provenance[lead_and_editor_repost().url][1] == "near-duplicate"


def test_claimed_original_links_a_different_text_ignoring_the_scheme(archive_root: Path) -> None:
    summary = normalize_extracted(
        Extracted(
            url="http://www.txyddy.org.cn/shjd/2023/1030/9001.html",
            site="txyddy",
            title="广东四市局召开政企联席会",
            paragraphs=[
                "河源、梅州、茂名、潮州四市邮政管理局日前分别召开三季度邮政普遍服务政企联席会议，"
                "要求邮政企业落实寄递安全三项制度，推进农村寄递物流体系建设。"
            ],
            published="2023-10-30",
            original_url=OFFICIAL_URL.replace("http://", "https://"),
        )
    )
    with ArchiveStore(archive_root, fsync=False) as store:
        first = store.add(official(), official=True)
        result = store.add(summary)
        provenance = urls(store)
    assert result.status == "duplicate" and result.relation == "claimed"
    assert result.body_hash == first.body_hash
    assert provenance[summary.url][1] == "claimed"
    assert provenance[summary.url][2] < neardup.THRESHOLD


def test_short_bodies_are_not_matched_by_similarity(archive_root: Path) -> None:
    a = normalize_extracted(
        Extracted(url="http://x.example/a", site="generic", title="通知", paragraphs=["今天停电。"])
    )
    b = replace(a, url="http://x.example/b", paragraphs=["今天停水。"])
    b = normalize_extracted(b)
    with ArchiveStore(archive_root, fsync=False) as store:
        assert store.add(a).status == "stored"
        assert store.add(b).status == "stored"


def test_index_round_trips_a_signature(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "nd.sqlite3", isolation_level=None)
    index = neardup.NearDupIndex(conn)
    text = official().normalized_body
    assert index.add("a" * 16, text)
    assert [c.body_hash for c in index.candidates(lead_and_editor_repost().normalized_body)] == [
        "a" * 16
    ]
    index.remove("a" * 16)
    assert index.candidates(text) == [] and len(index) == 0
    assert json.dumps(neardup.band_keys(neardup.signature(text))) == json.dumps(
        neardup.band_keys(neardup.signature(text))
    )
