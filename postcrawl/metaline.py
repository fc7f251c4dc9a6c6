"""Metadata lines: the short lines of a page that say when, by whom and from where.

A metadata line states the publication date, the source (来源, or 发布机构 on document-disclosure
pages), the author, the site a repost came from (转自) or the original's address (原文链接).
:func:`parse_meta_line` reads one cleaned line into a :class:`LineMeta`, or says it is not such
a line. No Scrapy here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from postcrawl.dates import find_datetime

# Lines this long or longer are article prose, never a metadata line.
MAX_META_LINE = 120

_URL = r"https?://[^\s<>\"'，。]+"


@dataclass
class LineMeta:
    """What the metadata lines of a page say."""

    published: str | None = None
    source: str | None = None
    author: str | None = None
    forwarded_from: str | None = None
    original_url: str | None = None

    def merge(self, other: LineMeta) -> None:
        """Fill the fields still empty from *other* (the first line to say something wins)."""
        for name in ("published", "source", "author", "forwarded_from", "original_url"):
            if getattr(self, name) is None and getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))


_FIELD_STOP = (
    r"(?=\s*(?:作者|编辑|责任编辑|发布日期|发布时间|日期|时间|点击|浏览|字号|来源|转自|"
    r"发文字号|索引号|分类|$))"
)
# 发布机构: the issuing organ on document-disclosure pages (政府信息公开, .content-head).
_SOURCE = re.compile(r"(?:文章来源|信息来源|稿件来源|发布机构|来源)\s*[:：]\s*(\S+?)" + _FIELD_STOP)
_AUTHOR = re.compile(r"(?:作者|记者|撰稿)\s*[:：]\s*(\S+?)" + _FIELD_STOP)
_FORWARDED = re.compile(r"^转自\s*[:：]\s*(\S+)")
_ORIGINAL = re.compile(r"(?:原文链接|原文地址|原文网址)\s*[:：]\s*(" + _URL + ")")
_DATE_LABEL = re.compile(r"(?:发布日期|发布时间|日期|时间|发表时间|更新时间)\s*[:：]")
# "2024-05-11 17:28:55 - 德州发布": a date, a dash, the source.
_DATE_DASH_SOURCE = re.compile(
    r"^\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s+[-|—]\s+(\S.{0,30})$"
)
_DATE_ONLY = re.compile(r"^\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_ANONYMOUS = {"佚名", "未知", "匿名", "null", "none", "本站", "admin"}


def parse_meta_line(line: str) -> LineMeta | None:
    """The metadata a short line states, or ``None`` when it is not a metadata line."""
    if len(line) >= MAX_META_LINE:
        return None
    meta = LineMeta()
    if m := _ORIGINAL.search(line):
        meta.original_url = m[1]
        return meta
    if m := _FORWARDED.match(line):
        meta.forwarded_from = m[1]
        return meta
    labelled = False
    if m := _SOURCE.search(line):
        meta.source, labelled = m[1], True
    if m := _AUTHOR.search(line):
        author = m[1]
        meta.author = None if author.lower() in _ANONYMOUS else author
        labelled = True
    if _DATE_LABEL.search(line):
        labelled = True
    if m := _DATE_DASH_SOURCE.match(line):
        meta.source, labelled = meta.source or m[1].strip(), True
    if labelled or _DATE_ONLY.match(line):
        meta.published = find_datetime(line)
        if meta.source and meta.source.lower() in _ANONYMOUS:
            meta.source = None
        return meta
    return None
