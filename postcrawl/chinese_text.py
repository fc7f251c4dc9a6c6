"""Chinese text, string by string: simplified script, no pinyin annotations, tidy whitespace,
the normalized body and its hash.

Plain functions with no Scrapy dependency. The archive contract (docs/archive-format.md) defines
two forms of the body:

* the *stored* text: paragraphs converted to simplified Chinese where the page is traditional,
  pinyin annotations removed, NFKC-folded (full-width ASCII becomes half-width, as in the
  seeds), whitespace runs collapsed;
* the *normalized* body, which the hash covers: the stored paragraphs converted to simplified
  Chinese, NFKC-folded, with all whitespace removed.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable
from functools import cache

import opencc

# A syllable of Hanyu Pinyin, tone-marked or toneless (the neutral tone has no mark).
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_SYLLABLE = (
    rf"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouüv{_TONED}][a-zü{_TONED}]{{0,4}}"
    rf"|[nmh]?[{_TONED}]g?"
)
# Some traditional renderings print the reading after a character: 衡陽(yáng)新聞網(wǎng).
# Only a lone syllable in brackets directly after a CJK character counts, so ordinary
# parentheticals such as (通讯员:李无我) or (APP) are left alone.
_PINYIN_ANNOTATION = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])\s?[(（]\s?(?:{_PINYIN_SYLLABLE})\s?[)）]"
)
# A damaged annotation whose "(" was lost to a "?" in the source: 人民日?qǐng)?bào). Only
# tone-marked syllables count here, so ordinary text after a question mark is never touched.
_DAMAGED_ANNOTATION = re.compile(
    rf"[?？]\s?(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[a-zü]{{0,2}}[{_TONED}][a-zü]{{0,3}}\s?[)）]"
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# Share of CJK characters that must be traditional-only before a text counts as traditional.
# Simplified text can carry a stray traditional character (a name, a quoted title); converting
# such a text would rewrite it, so only clearly traditional texts are converted for storage.
TRADITIONAL_SHARE = 0.02
TRADITIONAL_MIN_CHARS = 3


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _traditional_chars() -> frozenset[str]:
    """The characters that OpenCC's t2s conversion changes: the traditional-only ones."""
    block = "".join(chr(c) for c in range(0x4E00, 0xA000))
    converted = _t2s().convert(block)
    # t2s maps character for character within this block, so positions line up.
    if len(converted) != len(block):  # pragma: no cover - guards an OpenCC behaviour change
        return frozenset(c for c in block if _t2s().convert(c) != c)
    return frozenset(a for a, b in zip(block, converted, strict=True) if a != b)


@cache
def _traditional_pattern() -> re.Pattern[str]:
    # A character class is ~20x faster than testing each character against a set in Python.
    return re.compile("[" + "".join(sorted(_traditional_chars())) + "]")


def traditional_count(text: str) -> int:
    """How many traditional-only characters *text* contains."""
    return len(_traditional_pattern().findall(text))


def is_traditional(text: str) -> bool:
    """Whether *text* is written in traditional Chinese (and so should be converted)."""
    count = traditional_count(text)
    if count < TRADITIONAL_MIN_CHARS:
        return False
    cjk = len(_CJK.findall(text))
    return cjk > 0 and count / cjk >= TRADITIONAL_SHARE


def to_simplified(text: str) -> str:
    """Convert *text* to simplified Chinese; a text with no traditional character is returned as is."""
    if not _traditional_pattern().search(text):
        return text
    return _t2s().convert(text)


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations such as the ``(yáng)`` in ``衡陽(yáng)``."""
    # Each pattern needs its bracket or question mark: most lines have neither, and a
    # substring test is far cheaper than a pattern with a look-behind tried at every character.
    if "(" in text or "（" in text:
        text = _PINYIN_ANNOTATION.sub("", text)
    if "?" in text or "？" in text:
        text = _DAMAGED_ANNOTATION.sub("", text)
    return text


# The full-width forms of ASCII (！ to ～) and the ideographic space: in Chinese text nearly
# every line has some (，：（）), and nothing else that NFKC changes.
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")


def _half_width(match: re.Match[str]) -> str:
    char = match.group()
    return " " if char == "\u3000" else chr(ord(char) - 0xFEE0)


def nfkc(text: str) -> str:
    """*text* NFKC-normalized.

    Full-width ASCII forms are first replaced by their ASCII characters, which is what NFKC
    decomposes them to (so NFKC of the result is NFKC of the text); most Chinese lines are then
    in normal form already, which the quick check tells at a fraction of the cost of
    ``unicodedata.normalize`` (a quarter, measured on bureau pages)."""
    if _FULL_WIDTH.search(text):
        text = _FULL_WIDTH.sub(_half_width, text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def clean_line(text: str) -> str:
    """One stored line: NFKC-folded, pinyin removed, whitespace runs collapsed, trimmed."""
    # str.split() splits on runs of the characters re's \s matches (str.isspace) and drops
    # them at both ends: the same as substituting \s+ with one space and stripping.
    return " ".join(strip_pinyin(nfkc(text)).split())


def clean_paragraphs(paragraphs: Iterable[str], *, simplify: bool | None = None) -> list[str]:
    """The stored form of *paragraphs*: cleaned lines, simplified when the text is traditional.

    ``simplify=None`` decides from the text itself (:func:`is_traditional`); empty lines go.
    """
    lines = [line for line in (clean_line(p) for p in paragraphs) if line]
    if simplify is None:
        simplify = is_traditional("".join(lines))
    if simplify:
        lines = [_t2s().convert(line) for line in lines]
    return lines


def _folded(text: str) -> str:
    """*text* without pinyin, simplified and NFKC-folded: what the hash and the comparisons
    of short lines both see."""
    text = nfkc(to_simplified(strip_pinyin(text)))
    # NFKC can turn compatibility characters into traditional ones; convert again if so.
    return to_simplified(text)


def normalized_body(paragraphs: Iterable[str]) -> str:
    """The text the hash covers: simplified, NFKC-folded, all whitespace removed."""
    text = _folded("".join(paragraphs))
    return "".join(text.split())  # every whitespace character out (str.isspace, as re's \s)


def body_hash(normalized: str) -> str:
    """The 16-hex-digit article id: the start of the SHA-256 of the normalized body."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]


class _NotLetterOrNumber(dict[int, int | None]):
    """A ``str.translate`` table deleting every character that is not a letter or a number,
    filled in as characters are met (one category lookup per distinct character, not per
    character of every line: the boilerplate filter compares every line of every page)."""

    def __missing__(self, code: int) -> int | None:
        value = code if unicodedata.category(chr(code))[0] in "LN" else None
        self[code] = value
        return value


_LETTERS_AND_NUMBERS = _NotLetterOrNumber()


_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


@cache
def _not_letter_or_number_bmp() -> re.Pattern[str]:
    """Runs of characters of the Basic Multilingual Plane that are not letters or numbers:
    deleting them with this pattern takes half the time of the translate table."""
    deleted = [c for c in range(0x10000) if unicodedata.category(chr(c))[0] not in "LN"]
    # Consecutive code points as one range: c - its index is the same along a run.
    runs = itertools.groupby(enumerate(deleted), key=lambda pair: pair[1] - pair[0])
    ranges = []
    for _, run in runs:
        codes = [code for _, code in run]
        ranges.append(f"\\U{codes[0]:08x}-\\U{codes[-1]:08x}")
    return re.compile(f"[{''.join(ranges)}]+")


def comparable(text: str) -> str:
    """A form for comparing short lines (titles, captions): simplified, no punctuation or spaces."""
    # (No whitespace removal as in normalized_body: the deletion below drops whitespace too.)
    text = _folded(text)
    if not _BEYOND_BMP.search(text):
        return _not_letter_or_number_bmp().sub("", text)
    return text.translate(_LETTERS_AND_NUMBERS)  # (a character beyond the BMP: an emoji…)
