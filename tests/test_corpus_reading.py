"""Reading the corpus: stats, search, show, export and plot on an archive the pipeline built.

The archive comes from the fixture pages and variants of them (tests/corpus_archive.py). The
expected answers are computed here from the extracted articles themselves (what was stored,
which words their text contains), not read back from the index under test.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from postcrawl.cli import main
from postcrawl.reader import Corpus, CorpusError, Filters, query_terms
from postcrawl.reader import corpus as corpus_module
from postcrawl.reader.corpus import EXPORT_COLUMNS, day_bound, make_snippet
from tests.corpus_archive import (
    TXYDDY_003_SECOND_URL,
    TXYDDY_NEAR_DUP_URL,
    BuiltArchive,
    build_archive,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("corpus") / "data")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def containing(built: BuiltArchive, *words: str) -> set[str]:
    """Hashes of the stored articles whose title or body contains every word: the oracle."""
    return {
        h
        for h, a in built.stored.items()
        if all(w in a.title or any(w in p for p in a.paragraphs) for w in words)
    }


# -- stats -----------------------------------------------------------------------------------
def test_stats_counts_what_was_stored(built: BuiltArchive, capsys) -> None:
    code, out, _ = run_cli(capsys, "stats", "--data-dir", str(built.root), "--json")
    assert code == 0
    stats = json.loads(out)
    stored = built.stored.values()
    days = sorted(a.published[:10] for a in stored if a.published)
    assert stats["articles"] == len(built.stored) == 7
    assert stats["undated"] == sum(1 for a in stored if not a.published) == 1
    assert stats["date_range"] == {"first": days[0], "last": days[-1]}
    assert stats["per_site"] == dict(Counter(a.site for a in stored))
    assert stats["per_site"]["txyddy"] == 2
    assert stats["per_month"] == dict(Counter(d[:7] for d in days))
    provinces = Counter(p or "" for p in built.provinces.values())
    assert stats["per_province"] == dict(provinces)
    assert stats["per_province"]["广东"] == 1 and stats["per_province"]["山西"] == 1
    # Further URLs: the txyddy repost of the Guangdong page and its edited copy are on another
    # site (reposts); the 003 page at its second txyddy URL is a same-site duplicate.
    assert stats["by_relation"] == {
        "stored": 7,
        **Counter(rel for _, _, rel, _ in built.sightings),
    }
    assert stats["reposts"] == 2 and stats["duplicates"] == 1
    assert stats["reposted_articles"] == 1


def test_stats_table_and_filters(built: BuiltArchive, capsys) -> None:
    code, out, _ = run_cli(capsys, "stats", "--data-dir", str(built.root))
    assert code == 0
    assert out.startswith("7 articles, 2023-09-11 to 2024-05-11, 1 undated")
    assert "广东省邮政管理局" in out and "2024-03" in out and "near-duplicate" in out
    code, out, _ = run_cli(
        capsys, "stats", "--data-dir", str(built.root), "--json", "--since", "2024"
    )
    stats = json.loads(out)
    assert stats["articles"] == sum(
        1 for a in built.stored.values() if a.published and a.published >= "2024"
    )
    assert stats["undated"] == 0


# -- search ----------------------------------------------------------------------------------
STRATEGIES = {
    # A rare word: its matches sorted by date (the date walk ruled out).
    "sort-matches": {"DATE_WALK_ROWS": 0},
    # Its matches listed, the date index walked newest first keeping them.
    "date-walk": {},
    # … a date walk cut short by its step budget, which falls back to sorting.
    "date-walk-over-budget": {"DATE_WALK_BUDGET": 0, "WALK_STEP": 1},
    # A very common word (forced by thresholds of 1): the articles walked newest first, each
    # probed in the full-text index.
    "walk-newest": {"COMMON_MATCHES": 1, "LISTED_MATCHES": 1},
    # … a walk cut short by its step budget, which falls back to sorting every match.
    "walk-over-budget": {
        "COMMON_MATCHES": 1,
        "LISTED_MATCHES": 1,
        "WALK_BUDGET": 0,
        "WALK_STEP": 1,
    },
}


@pytest.fixture(params=list(STRATEGIES))
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every way a search can run (:mod:`postcrawl.reader.search`), set by its tuning."""
    for name, value in STRATEGIES[request.param].items():
        monkeypatch.setattr(corpus_module, name, value)
    return str(request.param)


def search_hashes(root: Path, query: str, **filters) -> list[str]:
    with Corpus(root) as corpus:
        return [h.hash for h in corpus.search(query, Filters(**filters), limit=100)]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("政企联席会", ("政企联席会",)),  # FTS5 trigram
        ("政企聯席會", ("政企联席会",)),  # traditional query, simplified text
        ("邮路", ("邮路",)),  # two characters: the LIKE fallback
        ("郵路", ("邮路",)),  # traditional and short
        ("快递 进村", ("快递", "进村")),  # two short terms, both required
        ("寄递物流 阳泉", ("寄递物流", "阳泉")),  # trigram and LIKE combined
        ("德州", ("德州",)),
        ("区块链技术", ("区块链技术",)),  # a miss
    ],
)
def test_search_finds_exactly_the_articles_containing_the_words(
    built: BuiltArchive, query: str, words: tuple[str, ...], strategy: str
) -> None:
    got = search_hashes(built.root, query)
    assert set(got) == containing(built, *words)
    assert len(got) == len(set(got))


def test_search_hits_and_misses_are_not_vacuous(built: BuiltArchive) -> None:
    assert len(containing(built, "政企联席会")) == 3
    assert containing(built, "邮路") == {built.labels["sxrb"]}
    assert containing(built, "区块链技术") == set()


def test_search_is_newest_first_and_filtered(built: BuiltArchive, strategy: str) -> None:
    hits = search_hashes(built.root, "政企联席会")
    dates = [built.stored[h].published for h in hits]
    assert dates == sorted(dates, reverse=True)
    assert search_hashes(built.root, "政企联席会", sites=("gd_spb",)) == [built.labels["gd"]]
    assert search_hashes(built.root, "政企联席会", since="2024-03-20") == [built.labels["e0734"]]
    assert set(search_hashes(built.root, "政企联席会", until="2024-03")) == {
        built.labels["gd"],
        built.labels["sx_variant"],
        built.labels["e0734"],
    }
    assert search_hashes(built.root, "政企联席会", until="2023-12-31") == [built.labels["gd"]]
    assert search_hashes(built.root, "政企联席会", source="衡阳") == [built.labels["e0734"]]
    assert search_hashes(built.root, "政企联席会", province="山西") == [built.labels["sx_variant"]]


@pytest.mark.parametrize(
    "query",
    [
        '"政企联席会',
        "政企 AND OR NOT",
        "NEAR(邮政 管理)",
        "邮政*",
        "title:邮政",
        "-- ' ; DROP",
        "%_",
    ],
)
def test_search_takes_fts_syntax_literally(built: BuiltArchive, query: str) -> None:
    # No FTS5 syntax error; each whitespace-separated word is searched as written.
    words = tuple(query_terms(query))
    assert set(search_hashes(built.root, query)) == containing(built, *words)


def test_search_cli_prints_date_site_title_snippet_and_file(built: BuiltArchive, capsys) -> None:
    code, out, _ = run_cli(
        capsys, "search", "政企聯席會", "--data-dir", str(built.root), "--site", "gd_spb"
    )
    assert code == 0
    gd = built.stored[built.labels["gd"]]
    lines = out.splitlines()
    assert lines[0] == f"{gd.published}  gd_spb  {gd.title}"
    assert "**政企联席会**" in lines[1]
    assert lines[2].strip() == f"{built.root.as_posix()}/2023/10/26/000_{gd.body_hash}.txt"
    assert Path(lines[2].strip()).is_file()
    assert lines[-1] == "1 article"

    code, out, _ = run_cli(capsys, "search", "区块链技术", "--data-dir", str(built.root))
    assert code == 1 and "no articles match" in out

    code, out, _ = run_cli(
        capsys, "search", "邮政", "--data-dir", str(built.root), "--limit", "2", "--json"
    )
    hits = json.loads(out)
    assert len(hits) == 2
    for hit in hits:
        for start, end in hit["highlights"]:
            assert hit["snippet"][start:end] == "邮政"


def test_snippet_marks_every_occurrence_around_the_first() -> None:
    body = "甲" * 100 + "邮政管理局\n召开会议,邮政企业参加" + "乙" * 100
    snippet = make_snippet(body, ["邮政"], width=40)
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["邮政", "邮政"]
    assert "\n" not in snippet.text
    assert make_snippet("标题之外的正文", ["标题里"]).highlights == ()


def test_query_and_date_parsing() -> None:
    assert query_terms("  政企聯席會\u3000ＡＢＣ ") == ["政企联席会", "ABC"]
    assert day_bound("2024-02", end=True) == "2024-02-29"
    assert day_bound("2023", end=False) == "2023-01-01"
    for bad in ("2023-02-30", "yesterday", "2023-1"):
        with pytest.raises(CorpusError):
            day_bound(bad, end=True)
    with pytest.raises(CorpusError, match="no index"):
        Corpus(Path("/nonexistent-root"))


def test_empty_query_is_refused(built: BuiltArchive, capsys) -> None:
    code, _, err = run_cli(capsys, "search", "  ", "--data-dir", str(built.root))
    assert code == 1 and err == "postcrawl: empty search query\n"


# -- show ------------------------------------------------------------------------------------
def test_show_gives_provenance_with_reposts(built: BuiltArchive, capsys) -> None:
    gd_hash = built.labels["gd"]
    code, out, _ = run_cli(capsys, "show", gd_hash[:6], "--data-dir", str(built.root), "--json")
    assert code == 0
    shown = json.loads(out)
    gd = built.stored[gd_hash]
    assert shown["hash"] == gd_hash and shown["title"] == gd.title
    assert shown["body"].split("\n") == gd.paragraphs
    assert shown["official_url"] == gd.url
    urls = {u["url"]: u for u in shown["urls"]}
    expected = {gd.url} | {url for url, h, _, _ in built.sightings if h == gd_hash}
    assert set(urls) == expected
    assert urls[gd.url]["relation"] == "stored" and urls[gd.url]["official"] is True
    near = urls[TXYDDY_NEAR_DUP_URL]
    assert near["relation"] == "near-duplicate" and near["site"] == "txyddy"
    assert 0.9 < near["similarity"] < 1.0
    assert near["claimed_original"] == gd.url
    assert shown["urls"][0]["url"] == gd.url  # the stored (and official) one first


def test_show_text_by_path_and_errors(built: BuiltArchive, capsys) -> None:
    t003 = built.labels["txyddy_003"]
    path = built.root / "2023" / "09" / "11" / f"000_{t003}.txt"
    code, out, _ = run_cli(capsys, "show", str(path), "--data-dir", str(built.root))
    assert code == 0
    assert out.splitlines()[0] == built.stored[t003].title
    assert "[stored] txyddy" in out
    assert f"[duplicate, similarity 1.000] txyddy  {TXYDDY_003_SECOND_URL}" in out
    assert built.stored[t003].paragraphs[-1] in out

    for ref, message in [
        ("ab", "too short"),
        ("ffffffff", "no article with hash ffffffff"),
        ("notes/readme.md", "not an article file"),
        ("政企", "neither an article hash"),
    ]:
        code, _, err = run_cli(capsys, "show", ref, "--data-dir", str(built.root))
        assert code == 1 and message in err, (ref, err)


def test_show_reports_an_ambiguous_prefix(tmp_path: Path, capsys) -> None:
    from dataclasses import replace

    from postcrawl.archive import ArchiveStore
    from postcrawl.article_text import normalize_extracted
    from postcrawl.extraction import extract_article
    from tests.conftest import fixture_named

    # Numbered editions of two different articles (editions of one article would be
    # near-duplicates, stored once) until two hashes share their first four digits.
    bases = [
        extract_article(fx.html.read_bytes(), fx.url)
        for fx in (
            fixture_named("dezhou", "000_dezhou_portal"),
            fixture_named("e0734", "001_e0734_traditional"),
        )
    ]

    def edition(base: object, n: int) -> object:
        return normalize_extracted(
            replace(base, url=f"{base.url}&edition={n}", paragraphs=[*base.paragraphs, f"第{n}期"])
        )

    first = {}
    for n in range(3000):
        article = edition(bases[0], n)
        first.setdefault(article.body_hash[:4], article)
    pair = None
    for n in range(20000):
        article = edition(bases[1], n)
        if article.body_hash[:4] in first:
            pair = [first[article.body_hash[:4]], article]
            break
    assert pair is not None
    root = tmp_path / "data"
    with ArchiveStore(root, fsync=False) as store:
        for article in pair:
            store.add(article)
    prefix = pair[0].body_hash[:4]
    code, _, err = run_cli(capsys, "show", prefix, "--data-dir", str(root))
    assert code == 1 and f"hash prefix {prefix} is ambiguous" in err
    assert pair[0].body_hash in err and pair[1].body_hash in err
    for article in pair:
        code, out, _ = run_cli(capsys, "show", article.body_hash[:10], "--data-dir", str(root))
        assert code == 0 and f"hash            {article.body_hash}" in out


# -- export ----------------------------------------------------------------------------------
def index_rows(root: Path, where: str = "", params: tuple = ()) -> list[dict]:
    """The articles table as plain dicts, straight from SQLite, in file order."""
    with sqlite3.connect(root / "index.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        sql = f"SELECT {', '.join(EXPORT_COLUMNS)} FROM articles {where} ORDER BY path"
        return [dict(r) for r in conn.execute(sql, params)]


def as_text(rows: list[dict]) -> list[dict]:
    """*rows* as CSV holds them: every value a string, NULL an empty cell."""
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]


def test_export_parquet_equals_the_index(built: BuiltArchive, tmp_path: Path, capsys) -> None:
    out = tmp_path / "corpus.parquet"
    code, _, err = run_cli(
        capsys, "export", "--data-dir", str(built.root), "--out", str(out), "--batch-size", "2"
    )
    assert code == 0 and "wrote 7 articles" in err
    table = pq.read_table(out)
    assert table.column_names == list(EXPORT_COLUMNS)
    assert pq.ParquetFile(out).num_row_groups == 4  # streamed: one row group per batch of 2
    assert table.to_pylist() == index_rows(built.root)
    frame = pd.read_parquet(out)
    assert len(frame) == 7 and frame["chars"].dtype == "int64"
    assert set(frame["hash"]) == set(built.stored)
    assert not list(tmp_path.glob(".*part"))


def test_export_jsonl_and_csv_equal_the_index(built: BuiltArchive, tmp_path: Path, capsys) -> None:
    expected = index_rows(built.root)
    code, out, _ = run_cli(capsys, "export", "--data-dir", str(built.root), "--batch-size", "3")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == expected
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert {r["hash"] for r in rows} == set(built.stored)
    frame = pd.read_json(pd.io.common.StringIO(out), lines=True)
    assert list(frame.columns) == list(EXPORT_COLUMNS) and len(frame) == 7

    csv_path = tmp_path / "out.csv"
    code, _, _ = run_cli(capsys, "export", "--data-dir", str(built.root), "--out", str(csv_path))
    read = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert read.to_dict("records") == as_text(expected)
    assert read["body"].str.contains("\n").any()  # multi-line bodies survive quoting


def test_export_a_filtered_subset(built: BuiltArchive, tmp_path: Path, capsys) -> None:
    out = tmp_path / "txyddy.jsonl"
    code, _, _ = run_cli(
        capsys, "export", "--data-dir", str(built.root), "--site", "txyddy", "--out", str(out)
    )
    assert code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["hash"] for r in rows) == sorted(
        h for h, a in built.stored.items() if a.site == "txyddy"
    )
    assert rows == index_rows(built.root, "WHERE site = ?", ("txyddy",))

    code, out_text, _ = run_cli(
        capsys,
        "export",
        "--data-dir",
        str(built.root),
        "--format",
        "csv",
        "--since",
        "2024",
        "--limit",
        "1",
    )
    read = pd.read_csv(pd.io.common.StringIO(out_text), dtype=str, keep_default_na=False)
    assert read.to_dict("records") == as_text(index_rows(built.root, "WHERE day >= '2024'")[:1])

    code, _, err = run_cli(capsys, "export", "--data-dir", str(built.root), "--format", "parquet")
    assert code == 1 and "--out" in err


# -- plot ------------------------------------------------------------------------------------
def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize(("by", "size"), [("site", "1200x600"), ("province", "800x450")])
def test_plot_writes_a_png_of_the_asked_size(
    built: BuiltArchive, tmp_path: Path, capsys, by: str, size: str
) -> None:
    out = tmp_path / f"{by}.png"
    code, _, err = run_cli(
        capsys, "plot", "--data-dir", str(built.root), "--by", by, "--out", str(out), "--size", size
    )
    assert code == 0
    assert png_size(out) == tuple(int(n) for n in size.split("x"))
    dated = [a for a in built.stored.values() if a.published]
    assert f"wrote {out}: {len(dated)} articles over 9 months" in err


def test_monthly_counts_by_province(built: BuiltArchive) -> None:
    with Corpus(built.root) as corpus:
        counts = corpus.monthly_counts("province")
    assert counts.months[0] == "2023-09" and counts.months[-1] == "2024-05"
    assert len(counts.months) == 9  # the empty months in between are there, as zeros
    assert counts.series["广东"][counts.months.index("2023-10")] == 1
    assert counts.series["山西"][counts.months.index("2024-03")] == 1
    assert sum(map(sum, counts.series.values())) == 6


def test_plot_with_nothing_to_draw(built: BuiltArchive, tmp_path: Path, capsys) -> None:
    out = tmp_path / "none.png"
    code, _, err = run_cli(
        capsys, "plot", "--data-dir", str(built.root), "--since", "2030", "--out", str(out)
    )
    assert code == 1 and "nothing to plot" in err and not out.exists()


# -- missing and empty archives --------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["stats"],
        ["search", "邮政"],
        ["show", "abcd"],
        ["export"],
        ["plot", "--out", "x.png"],
    ],
)
def test_missing_or_empty_roots_give_a_message(tmp_path: Path, capsys, argv: list[str]) -> None:
    code, _, err = run_cli(capsys, *argv, "--data-dir", str(tmp_path / "absent"))
    assert code == 1 and "does not exist" in err and "Traceback" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, *argv, "--data-dir", str(empty))
    assert code == 1 and "no archive" in err
    # A root with a manifest but no index: told how to rebuild it.
    (empty / "manifest.jsonl").write_text("", encoding="utf-8")
    code, _, err = run_cli(capsys, *argv, "--data-dir", str(empty))
    assert code == 1 and "postcrawl reindex" in err


def test_unwritable_plot_and_corrupt_index_give_a_message(
    built: BuiltArchive, tmp_path: Path, capsys
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    code, _, err = run_cli(
        capsys, "plot", "--data-dir", str(built.root), "--out", str(blocker / "x.png")
    )
    assert code == 1 and err.startswith(f"postcrawl: cannot write {blocker / 'x.png'}")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "index.sqlite3").write_bytes(b"this is not SQLite" * 300)
    code, _, err = run_cli(capsys, "stats", "--data-dir", str(corrupt))
    assert code == 1 and "postcrawl reindex" in err and "Traceback" not in err


def test_data_dir_from_the_environment(built: BuiltArchive, capsys, monkeypatch) -> None:
    monkeypatch.setenv("POSTCRAWL_DATA_DIR", str(built.root))
    code, out, _ = run_cli(capsys, "stats", "--json")
    assert code == 0 and json.loads(out)["articles"] == 7


def test_an_archive_with_no_articles(tmp_path: Path, capsys) -> None:
    from postcrawl.archive import ArchiveStore

    root = tmp_path / "data"
    ArchiveStore(root, fsync=False).close()  # an index with the schema and nothing in it
    code, out, _ = run_cli(capsys, "stats", "--data-dir", str(root))
    assert code == 0 and out.startswith("no articles")
    code, out, _ = run_cli(capsys, "export", "--data-dir", str(root))
    assert code == 0 and out == ""


def test_datasette_metadata_names_real_tables_and_columns(built: BuiltArchive, capsys) -> None:
    code, out, _ = run_cli(capsys, "datasette-metadata", "--data-dir", str(built.root))
    assert code == 0
    meta = json.loads(out)
    tables = meta["databases"]["index"]["tables"]
    with sqlite3.connect(built.root / "index.sqlite3") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        for table, config in tables.items():
            assert table in names, table
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            assert set(config.get("columns", {})) <= columns
            assert set(config.get("facets", [])) <= columns
        assert set(tables["articles"]["columns"]) == set(EXPORT_COLUMNS)
        per_month = dict(
            conn.execute("SELECT month, SUM(articles) FROM monthly_counts GROUP BY month")
        )
        assert sum(per_month.values()) == 6
        assert conn.execute("SELECT COUNT(*) FROM reposts").fetchone()[0] == len(built.sightings)
