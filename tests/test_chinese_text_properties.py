"""Property tests of normalization and hashing (hypothesis)."""

from __future__ import annotations

import unicodedata
from functools import cache

import opencc
from hypothesis import given, settings
from hypothesis import strategies as st

from postcrawl.chinese_text import (
    _LETTERS_AND_NUMBERS,
    _not_letter_or_number_bmp,
    body_hash,
    clean_line,
    clean_paragraphs,
    is_traditional,
    nfkc,
    normalized_body,
    strip_pinyin,
    to_simplified,
)
from tests.conftest import FIXTURES


@cache
def _simplified_alphabet() -> str:
    """Characters of the simplified expected texts: real news vocabulary, punctuation included."""
    chars: set[str] = set()
    for path in FIXTURES.glob("*/*.json"):
        chars.update(path.read_text(encoding="utf-8"))
    return "".join(sorted(c for c in chars if c.isprintable() and c not in '{}[]"\\'))


@cache
def _s2t_converter() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def _s2t(text: str) -> str:
    return _s2t_converter().convert(text)


chinese_text = st.text(alphabet=_simplified_alphabet(), min_size=1, max_size=300)
paragraph_lists = st.lists(chinese_text, min_size=1, max_size=6)
whitespace = st.text(alphabet=" \t\n\u3000\u00a0", min_size=1, max_size=3)


@given(paragraph_lists)
def test_normalized_body_is_idempotent(paragraphs: list[str]) -> None:
    once = normalized_body(paragraphs)
    assert normalized_body([once]) == once


@given(paragraph_lists)
def test_clean_paragraphs_is_idempotent(paragraphs: list[str]) -> None:
    once = clean_paragraphs(paragraphs)
    assert clean_paragraphs(once) == once


@given(chinese_text, st.data())
def test_hash_ignores_whitespace(text: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    spaced = text[:position] + data.draw(whitespace) + text[position:]
    assert body_hash(normalized_body([spaced])) == body_hash(normalized_body([text]))


@given(paragraph_lists)
def test_hash_ignores_paragraph_splits(paragraphs: list[str]) -> None:
    assert normalized_body(["".join(paragraphs)]) == normalized_body(paragraphs)


@settings(max_examples=200)
@given(paragraph_lists)
def test_traditional_and_simplified_renderings_hash_the_same(paragraphs: list[str]) -> None:
    simplified = normalized_body(paragraphs)
    traditional = normalized_body([_s2t(p) for p in paragraphs])
    assert body_hash(traditional) == body_hash(simplified)


@given(chinese_text)
def test_pinyin_annotations_do_not_change_the_hash(text: str) -> None:
    annotated = "".join(ch + "(yáng)" if "\u4e00" <= ch <= "\u9fff" else ch for ch in text)
    assert normalized_body([annotated]) == normalized_body([text])


@given(st.text(max_size=200))
def test_strip_pinyin_and_clean_line_are_idempotent(text: str) -> None:
    assert strip_pinyin(strip_pinyin(text)) == strip_pinyin(text)
    assert clean_line(clean_line(text)) == clean_line(text)


def test_traditional_detection_and_conversion() -> None:
    assert is_traditional("衡陽市郵政管理局召開聯席會議，通報有關工作情況")
    assert not is_traditional("衡阳市邮政管理局召开联席会议,通报有关工作情况")
    # One stray traditional character (a name) does not make a simplified text traditional.
    assert not is_traditional(
        "山西省邮政管理局党组书记在乾县调研督导农村寄递物流服务全覆盖工作情况"
    )
    assert to_simplified("郵政") == "邮政"
    assert to_simplified("邮政") == "邮政"


def test_pinyin_strip_keeps_real_parentheses() -> None:
    assert strip_pinyin("衡陽(yáng)新聞網(wǎng)") == "衡陽新聞網"
    assert strip_pinyin("（通讯员：李无我 谢辉）") == "（通讯员：李无我 谢辉）"
    assert strip_pinyin("5G(APP)服务") == "5G(APP)服务"
    assert strip_pinyin("人民日?qǐng)?bào)》") == "人民日》"
    assert strip_pinyin("是吗?是)") == "是吗?是)"


# Characters whose NFKC forms differ or that combine with their neighbours: full-width forms
# (the fast path), combining marks after them, Hangul jamo, circled and compatibility
# characters, CJK compatibility ideographs; with ordinary CJK and ASCII around them.
_NFKC_TRICKY = (
    "".join(chr(c) for c in range(0xFF01, 0xFF5F))
    + "\u3000\u0301\u0308\u0327\u1100\u1161\u11a8\uac00\u2460\u3231\ufb01\u2126\u212b"
    + "\uf900\uf9dc\u2f00\u00bd\u2075\u00a0\u3002\u4e00\u9fa5 Aa1,.()"
)


@settings(max_examples=500)
@given(st.text(alphabet=_NFKC_TRICKY, max_size=16))
def test_nfkc_fast_path_is_unicodedata_nfkc(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


@settings(max_examples=300)
@given(st.text(max_size=24))
def test_comparable_deletes_exactly_what_is_not_a_letter_or_number(text: str) -> None:
    """The pattern :func:`comparable` uses for text within the BMP, and the translate table
    it uses beyond, delete what the Unicode categories say (astral characters included)."""

    def letters_and_numbers(s: str) -> str:
        return "".join(c for c in s if unicodedata.category(c)[0] in "LN")

    assert text.translate(_LETTERS_AND_NUMBERS) == letters_and_numbers(text)
    bmp = "".join(c for c in text if ord(c) <= 0xFFFF)
    assert _not_letter_or_number_bmp().sub("", bmp) == letters_and_numbers(bmp)
