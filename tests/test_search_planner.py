"""The search planner takes the way its tuning says (tests/test_corpus_reading.py relies on it).

test_corpus_reading.py runs every search three ways by setting ``corpus.COMMON_MATCHES``,
``WALK_BUDGET`` and ``WALK_STEP``; it checks the answers, which are the same whichever way ran.
Here: that each setting really makes the search sort, walk, or give up a walk and sort.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from postcrawl.reader import Corpus
from postcrawl.reader import corpus as corpus_module
from postcrawl.reader import search as search_module
from tests.corpus_archive import BuiltArchive, build_archive


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("planner") / "data")


def _walks(root: Path, monkeypatch: pytest.MonkeyPatch, **tuning: int) -> tuple[list[Any], int]:
    """What each walk returned (None: over budget) during one search, and the hits."""
    walks: list[Any] = []
    real = search_module._bounded

    def spy(*args: Any) -> Any:
        walks.append(real(*args))
        return walks[-1]

    monkeypatch.setattr(search_module, "_bounded", spy)
    for name, value in tuning.items():
        monkeypatch.setattr(corpus_module, name, value)
    with Corpus(root) as corpus:
        hits = corpus.search("邮政管理局", limit=100)
    return walks, len(hits)


def test_a_rare_word_sorts_its_matches(built: BuiltArchive, monkeypatch) -> None:
    walks, hits = _walks(built.root, monkeypatch)
    assert walks == [] and hits > 1


def test_a_common_word_walks_newest_first(built: BuiltArchive, monkeypatch) -> None:
    walks, hits = _walks(built.root, monkeypatch, COMMON_MATCHES=1)
    assert len(walks) == 1 and walks[0] is not None and len(walks[0]) == hits > 1


def test_a_walk_over_budget_gives_way_to_sorting(built: BuiltArchive, monkeypatch) -> None:
    sorted_hits = _walks(built.root, monkeypatch)[1]
    walks, hits = _walks(built.root, monkeypatch, COMMON_MATCHES=1, WALK_BUDGET=0, WALK_STEP=1)
    assert walks == [None] and hits == sorted_hits


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
