"""``postcrawl extract`` and ``postcrawl reindex`` as a user runs them."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from postcrawl.archive import ArchiveStore
from postcrawl.article_text import normalize_extracted
from postcrawl.cli import main
from postcrawl.extraction import extract_article
from tests.conftest import fixture_named


def test_extract_prints_the_archive_document(capsys: pytest.CaptureFixture[str]) -> None:
    fx = fixture_named("txyddy", "004_txyddy_repost")
    assert main(["extract", str(fx.html), "--url", fx.url]) == 0
    out = capsys.readouterr().out
    blocks = out.rstrip("\n").split("\n\n")
    assert blocks[0] == fx.expected["title"]
    assert blocks[1] == "2023-10-26 - 广东省邮政管理局"
    assert blocks[2:] == fx.expected["paragraphs"]


def test_extract_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    fx = fixture_named("e0734", "001_e0734_traditional")
    assert main(["extract", str(fx.html), "--url", fx.url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("title", "published", "source", "author", "original_url", "paragraphs", "site"):
        assert data[key] == fx.expected[key], key
    # The id: SHA-256 of the body as stored (simplified, whitespace removed), first 16 digits.
    normalized = re.sub(r"\s", "", "".join(fx.expected["paragraphs"]))
    assert data["hash"] == hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]


def test_extract_without_article_exits_1_with_one_line(tmp_path: Path) -> None:
    page = tmp_path / "nav.html"
    page.write_text("<html><body><ul><li>首页</li></ul></body></html>", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "postcrawl",
            "extract",
            str(page),
            "--url",
            "https://gd.spb.gov.cn/x",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "no article" in proc.stderr


def test_extract_missing_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(tmp_path / "nope.html"), "--url", "https://x.test/"]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_reindex_on_missing_root_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reindex", "--data-dir", str(tmp_path / "none")]) == 1
    assert "no archive at" in capsys.readouterr().err


def test_reindex_rebuilds(archive_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fx = fixture_named("gd_spb", "004_original")
    with ArchiveStore(archive_root) as store:
        store.add(normalize_extracted(extract_article(fx.html.read_bytes(), fx.url)), official=True)
    assert main(["reindex", "--data-dir", str(archive_root)]) == 0
    assert ": 1 article (= index rows = article files), 0 further URLs, 0 skipped URLs" in (
        capsys.readouterr().out
    )
