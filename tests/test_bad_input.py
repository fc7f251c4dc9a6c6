"""Bad pages: a clear ExtractionError with a kind, or a correct reading — never a crash."""

from __future__ import annotations

import os

import pytest

from postcrawl.article_text import normalize_extracted
from postcrawl.extraction import MAX_PAGE_BYTES, ExtractionError, decode_html, extract_article
from tests.conftest import fixture_named

GD = fixture_named("gd_spb", "004_original")


@pytest.mark.parametrize(
    ("page", "kind"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (os.urandom(4096) + b"\x00" * 64, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200, "binary"),
        (b"<html><body><div class='nav'>\xe9\xa6\x96\xe9\xa1\xb5</div></body></html>", "no-text"),
        (b"x" * (MAX_PAGE_BYTES + 1), "too-large"),
    ],
    ids=["empty", "blank", "random-binary", "png", "no-article", "too-large"],
)
def test_bad_pages_raise_a_clear_error(page: bytes, kind: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract_article(page, GD.url)
    assert info.value.kind == kind
    assert "\n" not in str(info.value) and str(info.value)


def test_ten_megabyte_page_is_refused_before_parsing() -> None:
    html = GD.html.read_bytes()
    padding = b"<!--" + b"p" * (10 * 1024 * 1024) + b"-->"
    with pytest.raises(ExtractionError, match="too large"):
        extract_article(html.replace(b"</body>", padding + b"</body>"), GD.url)


def test_gbk_page_labelled_utf8_is_read() -> None:
    original = GD.html.read_bytes()
    gbk = original.decode("utf-8").encode("gb18030")
    # Really mislabelled: the page (and the header below) say UTF-8, the bytes are not.
    assert gbk != original and b'<meta charset="utf-8">' in gbk
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    article = normalize_extracted(extract_article(gbk, GD.url, encoding="utf-8"))
    assert article.paragraphs == GD.expected["paragraphs"]
    assert article.title == GD.expected["title"]


def test_gb18030_page_that_says_so_is_read() -> None:
    original = GD.html.read_text(encoding="utf-8")
    text = original.replace('<meta charset="utf-8">', '<meta charset="gb2312">')
    assert text != original and "utf-8" not in text.lower()
    article = normalize_extracted(extract_article(text.encode("gb18030"), GD.url))
    assert article.paragraphs == GD.expected["paragraphs"]


def test_truncated_page_keeps_what_arrived() -> None:
    html = GD.html.read_bytes()
    cut = html.index(GD.expected["paragraphs"][2][:10].replace(",", "，").encode())
    article = normalize_extracted(extract_article(html[:cut], GD.url))
    assert article.paragraphs == GD.expected["paragraphs"][:2]


def test_decode_prefers_declared_then_meta_then_fallback() -> None:
    assert decode_html("邮政".encode("gb18030"), "gbk") == "邮政"
    assert decode_html('<meta charset="gbk">邮政'.encode("gb18030")).endswith("邮政")
    assert decode_html("邮政".encode(), "utf-8") == "邮政"
    assert decode_html("邮政".encode("gb18030"), "utf-8") == "邮政"
