"""The ``postcrawl`` command as a new user meets it: clear refusals, honest messages, help text
(the papercuts of issue 10). Each test fails on the behaviour the issue reported."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from postcrawl.cli import build_parser, main, plural
from postcrawl.cli.reading import display_width, pad, table
from tests.conftest import ROOT
from tests.corpus_archive import BuiltArchive, build_archive


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("usability") / "data")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- export: the output file -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["x.xlsx", "x.txt", "x.JSON"])
def test_export_refuses_an_extension_it_cannot_write(
    built: BuiltArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / name
    code, stdout, err = run_cli(capsys, "export", "--data-dir", str(built.root), "--out", str(out))
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith("postcrawl: ")
    assert f"unknown extension '{out.suffix}'" in err
    for ext in (".jsonl", ".ndjson", ".csv", ".parquet"):
        assert ext in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_export_format_and_extension(
    built: BuiltArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An explicit --format is obeyed whatever the name; a known extension in capitals counts;
    # a file with no extension gets the default, JSONL.
    for name, argv, first in [
        ("odd.xlsx", ["--format", "csv"], "hash,"),
        ("UPPER.CSV", [], "hash,"),
        ("plain", [], "{"),
        ("rows.ndjson", [], "{"),
    ]:
        out = tmp_path / name
        code, _, err = run_cli(
            capsys, "export", "--data-dir", str(built.root), "--out", str(out), *argv
        )
        assert code == 0, err
        assert out.read_text(encoding="utf-8").startswith(first), name


def test_export_into_a_missing_folder_is_an_error(
    built: BuiltArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "no" / "such"
    out = folder / "x.csv"
    code, _, err = run_cli(capsys, "export", "--data-dir", str(built.root), "--out", str(out))
    assert code == 1
    assert err == f"postcrawl: cannot write {out}: the folder {folder} does not exist\n"
    assert not (tmp_path / "no").exists()


def test_the_export_module_makes_no_folders(tmp_path: Path) -> None:
    from postcrawl.reader.export import export

    out = tmp_path / "missing" / "x.jsonl"
    with pytest.raises(FileNotFoundError):
        export([[{"hash": "ab"}]], "jsonl", out)
    assert not out.parent.exists()


def test_plot_into_a_missing_folder_is_an_error(
    built: BuiltArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "charts" / "x.png"
    code, _, err = run_cli(capsys, "plot", "--data-dir", str(built.root), "--out", str(out))
    assert code == 1 and "the folder" in err and "does not exist" in err
    assert not out.parent.exists()


# -- search: several words -------------------------------------------------------------------
def test_search_takes_several_unquoted_words(
    built: BuiltArchive, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ["--data-dir", str(built.root)]
    code, quoted, _ = run_cli(capsys, "search", "邮政 普遍服务", *root, "--json")
    assert code == 0
    code, unquoted, err = run_cli(capsys, "search", "邮政", "普遍服务", *root, "--json")
    assert code == 0, err
    assert unquoted == quoted
    hits = json.loads(unquoted)
    expected = {
        h
        for h, a in built.stored.items()
        if all(w in a.title or any(w in p for p in a.paragraphs) for w in ("邮政", "普遍服务"))
    }
    assert {h["hash"] for h in hits} == expected
    # All words must match: a third word no article has leaves nothing.
    code, out, _ = run_cli(capsys, "search", *root, "邮政", "普遍服务", "区块链技术")
    assert code == 1 and out == "no articles match '邮政 普遍服务 区块链技术'\n"


def test_search_help_says_words_need_no_quotes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "WORD [WORD ...]" in out and "quoted or not" in out


# -- datasette-metadata: the archive it is for -----------------------------------------------
def test_datasette_metadata_names_the_index_of_its_data_dir(
    built: BuiltArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    meta = tmp_path / "metadata.json"
    code, out, err = run_cli(
        capsys, "datasette-metadata", "--data-dir", str(built.root), "--out", str(meta)
    )
    assert code == 0 and out == ""
    assert "index" in json.loads(meta.read_text(encoding="utf-8"))["databases"]
    index = built.root / "index.sqlite3"
    assert err == f"wrote {meta}; browse with: datasette {index} -m {meta}\n"
    # The environment names the archive as for every other command.
    monkeypatch.setenv("POSTCRAWL_DATA_DIR", str(built.root))
    code, out, _ = run_cli(capsys, "datasette-metadata")
    assert code == 0 and json.loads(out)["databases"]["index"]["tables"]["articles"]


def test_datasette_metadata_without_an_archive_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "datasette-metadata", "--data-dir", str(tmp_path / "none"))
    assert code == 1 and out == "" and "no archive at" in err
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "manifest.jsonl").write_text("", encoding="utf-8")
    code, _, err = run_cli(capsys, "datasette-metadata", "--data-dir", str(tmp_path / "bare"))
    assert code == 1 and "postcrawl reindex" in err


# -- tables: padded by display width ---------------------------------------------------------
def columns_at(line: str, text: str) -> int:
    """The terminal column where *text* starts in *line* (wide characters take two)."""
    return display_width(line[: line.index(text)])


def test_table_pads_by_display_width() -> None:
    text = table(
        [("gd_spb", "广东省邮政管理局", 12), ("x", "ＡＢＣ full-width", 3), ("sxrb", "ascii", 7)],
        ["site", "name", "articles"],
        right=[2],
    )
    lines = text.splitlines()
    # Every line ends at the same column, and the name column starts at the same column.
    assert len({display_width(line) for line in lines}) == 1, text
    names = ("广东", "ＡＢＣ", "ascii")
    starts = {columns_at(line, n) for line, n in zip(lines[2:], names, strict=True)}
    assert starts == {columns_at(lines[0], "name")}
    assert lines[2] == "gd_spb  广东省邮政管理局" + " " * 9 + "12"  # name column: 17 wide
    assert display_width("广东ＡＢ,ab") == 11 and pad("广东", 6, right=True) == "  广东"


def test_stats_tables_line_up_with_chinese_names(
    built: BuiltArchive, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "stats", "--data-dir", str(built.root))
    assert code == 0
    blocks = out.split("\n\n")[1:]  # the tables, after the summary lines
    assert any(any(display_width(ch) == 2 for ch in block) for block in blocks)
    for block in blocks:
        lines = block.splitlines()
        assert set(lines[1]) <= {"-", " "}, block  # the rule under the header
        assert len({display_width(line) for line in lines}) == 1, block


# -- counts: 1 article, 2 articles -----------------------------------------------------------
def test_plural() -> None:
    assert [plural(n, "site") for n in (0, 1, 2)] == ["0 sites", "1 site", "2 sites"]
    assert plural(1, "province") == "1 province" and plural(3, "province") == "3 provinces"
    assert plural(2, "entry", "entries") == "2 entries"


def test_counts_of_one_are_singular(
    built: BuiltArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ["--data-dir", str(built.root)]
    gd = ["--site", "gd_spb"]  # one article, one month, one site, one province
    out = tmp_path / "one.png"
    code, _, err = run_cli(capsys, "plot", *root, *gd, "--out", str(out))
    assert code == 0 and err == f"wrote {out}: 1 article over 1 month, 1 site\n"
    code, _, err = run_cli(capsys, "plot", *root, *gd, "--by", "province", "--out", str(out))
    assert err.endswith(", 1 province\n")
    code, _, err = run_cli(capsys, "export", *root, *gd, "--out", str(tmp_path / "one.csv"))
    assert code == 0 and err.startswith("wrote 1 article to ")
    code, stdout, _ = run_cli(capsys, "stats", *root, *gd)
    assert stdout.startswith("1 article, ")
    code, stdout, _ = run_cli(capsys, "search", *root, "政企联席会", *gd)
    assert stdout.endswith("\n1 article\n")
    code, stdout, _ = run_cli(capsys, "show", built.labels["gd"], *root, "--no-body")
    assert "seen at 3 URLs:" in stdout  # the bureau page and its two reposts
    # More than one stays plural.
    code, _, err = run_cli(capsys, "plot", *root, "--out", str(out))
    assert " articles over 9 months, " in err and err.endswith(" sites\n")


# -- what the commands write by default is not committed by accident -------------------------
def test_default_outputs_are_git_ignored() -> None:
    ignored = set((ROOT / ".gitignore").read_text(encoding="utf-8").splitlines())
    parser = build_parser()
    plot_out = parser.parse_args(["plot"]).out
    mirror_data = parser.parse_args(["mirror"]).data_dir
    assert f"/{plot_out}" in ignored
    assert f"/{mirror_data}/" in ignored


# -- help ------------------------------------------------------------------------------------
def subcommands() -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_subcommand_help_has_a_description(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    description = subcommands()[name].description
    assert description and len(description.split()) >= 5, name
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    assert " ".join(description.split()[:4]) in " ".join(capsys.readouterr().out.split())
