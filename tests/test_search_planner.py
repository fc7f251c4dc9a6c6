"""The search planner takes the way its tuning says (tests/test_corpus_reading.py relies on it).

test_corpus_reading.py runs every search three ways by setting ``corpus.COMMON_MATCHES``,
``WALK_BUDGET`` and ``WALK_STEP``; it checks the answers, which are the same whichever way ran.
Here: that each setting really makes the search sort, walk, or give up a walk and sort.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from postcrawl.reader import Corpus, Filters
from postcrawl.reader import corpus as corpus_module
from postcrawl.reader import search as search_module
from tests.corpus_archive import BuiltArchive, build_archive


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("planner") / "data")


def _walks(
    root: Path, monkeypatch: pytest.MonkeyPatch, query: str = "邮政管理局", **tuning: Any
) -> tuple[list[tuple[str, Any]], int]:
    """Each walk of one search, as (kind, what it returned: None when over budget), and the
    number of hits. The tuning stays set for the rest of the test. A walk is ``date`` (the date index, keeping the listed matches) or
    ``probe`` (the articles newest first, each probed in the full-text index)."""
    walks: list[tuple[str, Any]] = []
    real = search_module._bounded

    def spy(conn: Any, sql: str, *args: Any) -> Any:
        walks.append(("probe" if "articles_fts" in sql else "date", real(conn, sql, *args)))
        return walks[-1][1]

    monkeypatch.setattr(search_module, "_bounded", spy)
    filters = tuning.pop("filters", Filters())
    for name, value in tuning.items():
        monkeypatch.setattr(corpus_module, name, value)
    with Corpus(root) as corpus:
        hits = corpus.search(query, filters, limit=100)
    return walks, len(hits)


def test_a_rare_word_sorts_its_matches(built: BuiltArchive, monkeypatch) -> None:
    walks, hits = _walks(built.root, monkeypatch, DATE_WALK_ROWS=0)
    assert walks == [] and hits > 1


def test_listed_matches_are_found_by_walking_the_date_index(built, monkeypatch) -> None:
    walks, hits = _walks(built.root, monkeypatch)
    assert [kind for kind, _ in walks] == ["date"] and len(walks[0][1]) == hits > 1


def test_a_date_walk_over_budget_gives_way_to_sorting(built, monkeypatch) -> None:
    sorted_hits = _walks(built.root, monkeypatch, DATE_WALK_ROWS=0)[1]
    walks, hits = _walks(
        built.root, monkeypatch, DATE_WALK_ROWS=10_000, DATE_WALK_BUDGET=0, WALK_STEP=1
    )
    assert walks == [("date", None)] and hits == sorted_hits


@pytest.mark.parametrize(
    "filters", [Filters(sites=("txyddy",)), Filters(province="广东"), Filters(source="广东")]
)
def test_a_search_on_some_sites_or_a_province_sorts(built, monkeypatch, filters) -> None:
    # The date walk would read on through the other sites' articles.
    walks, hits = _walks(built.root, monkeypatch, filters=filters)
    assert walks == [] and hits >= 1


def test_a_very_common_word_walks_newest_first(built: BuiltArchive, monkeypatch) -> None:
    walks, hits = _walks(built.root, monkeypatch, COMMON_MATCHES=1, LISTED_MATCHES=1)
    assert [kind for kind, _ in walks] == ["probe"] and len(walks[0][1]) == hits > 1


def test_a_walk_over_budget_gives_way_to_sorting(built: BuiltArchive, monkeypatch) -> None:
    sorted_hits = _walks(built.root, monkeypatch, DATE_WALK_ROWS=0)[1]
    walks, hits = _walks(
        built.root,
        monkeypatch,
        COMMON_MATCHES=1,
        LISTED_MATCHES=1,
        WALK_BUDGET=0,
        WALK_STEP=1,
    )
    assert walks == [("probe", None)] and hits == sorted_hits


def test_a_common_word_is_read_on_from_where_the_first_read_stopped(
    built: BuiltArchive, monkeypatch
) -> None:
    # A first read of one match, then the rest: the date walk sees every match.
    walks, hits = _walks(built.root, monkeypatch, COMMON_MATCHES=1)
    assert [kind for kind, _ in walks] == ["date"]
    assert hits == _walks(built.root, monkeypatch, COMMON_MATCHES=2000, DATE_WALK_ROWS=0)[1] > 1


def test_a_word_dense_in_its_first_read_walks_without_reading_on(built, monkeypatch) -> None:
    # One match read, at the first rowids of a corpus of some ten: dense enough to call the
    # word very common (LISTED_MATCHES 2), so no second read of the index.
    statements = _statements(
        built.root, "邮政管理局", monkeypatch, COMMON_MATCHES=1, LISTED_MATCHES=2
    )
    assert sum("articles_fts MATCH" in s and "rowid >" in s for s in statements) == 1
    walks, hits = _walks(built.root, monkeypatch)
    assert [kind for kind, _ in walks] == ["probe"] and hits > 1


def test_the_common_threshold_grows_with_the_corpus() -> None:
    tuning = search_module.Tuning(common_matches=2000)
    assert tuning.common_threshold(10_000) == 2000
    assert tuning.common_threshold(1_000_000) == 10_000


def _statements(
    root: Path, query: str, monkeypatch: pytest.MonkeyPatch, **tuning: int
) -> list[str]:
    """The SQL one search ran."""
    for name, value in tuning.items():
        monkeypatch.setattr(corpus_module, name, value)
    with Corpus(root) as corpus:
        seen: list[str] = []
        corpus.conn.set_trace_callback(seen.append)
        assert corpus.search(query, limit=20)
    return seen


def test_a_rare_word_reads_the_full_text_index_once(built: BuiltArchive, monkeypatch) -> None:
    # The first read (is the word common?) found every match; the sort reuses them.
    statements = _statements(built.root, "政企联席会", monkeypatch)
    assert sum("MATCH" in s for s in statements) == 1


def test_the_corpus_size_is_not_counted_row_by_row(built: BuiltArchive, monkeypatch) -> None:
    # COUNT(*) reads a whole index: tens of ms per `postcrawl search` on a large archive.
    statements = _statements(built.root, "邮政管理局", monkeypatch, COMMON_MATCHES=1)
    assert not any("COUNT(" in s.upper() for s in statements)
    with Corpus(built.root) as corpus:
        assert corpus._articles_in_index() >= corpus.count()
