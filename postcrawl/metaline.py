"""Metadata lines: the short lines of a page that say when, by whom and from where.

A metadata line states the publication date, the source (来源, or 发布机构 on document-disclosure
pages), the author, the site a repost came from (转自) or the original's address (原文链接).
:func:`parse_meta_line` reads one cleaned line into a :class:`LineMeta`, or says it is not such
a line. No Scrapy here.

Real lines vary, and the parser takes them as they come:

* fields in any order, several on one line (``2024-03-30 11:44:32 来源:中国衡阳新闻网``,
  ``来源: 广东省邮政管理局 作者:佚名 发布日期:2023-10-26``);
* labels in simplified or traditional script (``来源``/``來源``, ``发布时间``/``發布時間``/
  ``發佈日期``), with a half- or full-width colon;
* share and print widgets on the same line (``分享到:``, ``打印``, ``【关闭】``, ``字号:大 中 小``),
  which end the field before them and are otherwise ignored;
* every date shape that :func:`postcrawl.dates.find_datetime` reads, including a date glued to
  its time (``2025年7月1日08:35``) and a time in its own field (``日期:2025年7月1日 时间:08:35``).

Values are returned in the script of the line; callers convert the page to simplified first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from postcrawl.dates import find_datetime, find_datetime_span

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


class _Kind(Enum):
    SOURCE = "source"
    AUTHOR = "author"
    FORWARDED = "forwarded"
    DATE = "date"
    OTHER = "other"  # a field that ends the one before it and says nothing we keep


# Labels as written in simplified Chinese. A label counts only when a colon follows it.
_LABELS: dict[str, _Kind] = {
    # 发布机构: the issuing organ on document-disclosure pages (政府信息公开 head).
    **dict.fromkeys(
        ("来源", "文章来源", "信息来源", "稿件来源", "新闻来源", "发布机构"), _Kind.SOURCE
    ),
    **dict.fromkeys(("作者", "记者", "撰稿"), _Kind.AUTHOR),
    **dict.fromkeys(("转自",), _Kind.FORWARDED),
    **dict.fromkeys(
        (
            "发布日期",
            "发布时间",
            "发表时间",
            "发表日期",
            "发稿时间",
            "更新时间",
            "成文日期",
            "日期",
            "时间",
        ),
        _Kind.DATE,
    ),
    **dict.fromkeys(
        (
            "编辑",
            "责任编辑",
            "责编",
            "审核",
            "校对",
            "点击",
            "点击数",
            "点击量",
            "浏览",
            "浏览次数",
            "浏览量",
            "阅读",
            "阅读次数",
            "阅读量",
            "访问量",
            "发文字号",
            "文号",
            "索引号",
            "分类",
            "主题分类",
        ),
        _Kind.OTHER,
    ),
}
# Date labels that name the publication itself outrank 日期/时间/成文日期 on the same line.
_PUBLICATION_LABELS = frozenset(("发布日期", "发布时间", "发表时间", "发表日期", "发稿时间"))

# Traditional forms of the characters that labels and widgets use, one character for one,
# so that positions in the converted view are positions in the line. A full OpenCC pass per
# line would cost more than the whole parse, and values keep the line's own script anyway.
_LABEL_CHARS = str.maketrans(
    "來發佈時間記者編輯責轉鏈網機構點擊瀏覽閱讀數號類訪問審對關閉頁體頂糾錯聞單掃鍵",
    "来发布时间记者编辑责转链网机构点击浏览阅读数号类访问审对关闭页体顶纠错闻单扫键",
)

_LABEL = re.compile(
    "(?P<label>"
    + "|".join(sorted(_LABELS, key=len, reverse=True))  # longest first: 责任编辑 before 编辑
    + r")\s*[:：]"
)
# Share/print widgets. A widget word counts only as a whole token (between spaces, brackets,
# bars or the line's ends), so 发文字号 or a source named …打印社 is not cut.
_WIDGET_WORDS = (
    r"分享到|分享至|一键分享|打印本页|打印文章|打印|关闭窗口|关闭本页|关闭|加入收藏|收藏本页|收藏|"
    r"返回顶部|我要纠错|纠错|扫一扫|微信|微博|新浪微博|腾讯微博|QQ空间|QQ好友|"
    r"(?:字号|字体)(?:\s*[:：]?\s*(?:[大中小]\s*){1,3})?"
)
_WIDGET = re.compile(
    r"(?:^|(?<=[\s|丨｜【\[\]】]))[【\[]?\s*(?:"
    + _WIDGET_WORDS
    + r")\s*[:：]?\s*[】\]]?(?=$|[\s|丨｜【\[]|(?<=[:：】\]]))"
)
_ORIGINAL = re.compile(r"(?:原文链接|原文地址|原文网址)\s*[:：]\s*(" + _URL + ")")
# What may stand between the fields of a line and around a date without a label.
_SEPARATORS = re.compile(r"[\s|丨｜/·•]+")
# "2024-05-11 17:28:55 - 德州发布": after a date, a dash and the source.
_DASH_SOURCE = re.compile(r"^\s+[-—–|]\s+(\S.{0,30})$")
# A field that holds only a time: 时间：08：35.
_TIME_ONLY = re.compile(r"^\s*(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?(?!\d)")
# A value ends at the first space or bar: 来源: 广东省邮政管理局 作者:… gives the bureau.
_VALUE_END = re.compile(r"[\s|丨｜]")
_VALUE_TRIM = "【】[]()（）<>《》\"'“”‘’,，;；.。"
_ANONYMOUS = {"佚名", "未知", "匿名", "null", "none", "本站", "admin"}
# Every metadata line has a label's colon or a date's four-digit year: a line with neither is
# turned away before the patterns below run (most lines of an article are such lines).
_MAYBE_META = re.compile(r"[:：]|\d{4}")


@dataclass(frozen=True)
class _Field:
    label: str
    kind: _Kind
    value: str
    start: int  # where the label starts in the line
    word_end: int  # where the value's first word ends


def parse_meta_line(line: str) -> LineMeta | None:
    """The metadata a short line states, or ``None`` when it is not a metadata line.

    A line is a metadata line when it has a source, author, 转自 or date label, or when what
    its other fields (编辑, 点击, …) and widgets leave is a date alone, or a date, a dash and
    a source (``2024-05-11 17:28:55 - 德州发布``). Its date is the one in a publication-date
    field, else in any date field, else the first date anywhere on the line."""
    if len(line) >= MAX_META_LINE or not _MAYBE_META.search(line):
        return None
    view = line.translate(_LABEL_CHARS)
    if m := _ORIGINAL.search(view):
        return LineMeta(original_url=line[m.start(1) : m.end(1)])
    view, line = _blank_widgets(view, line)
    fields = _fields(view, line)
    labelled = [f for f in fields if f.kind is not _Kind.OTHER]
    if labelled:
        return _from_fields(line, labelled)
    return _from_unlabelled(_leftover(line, fields))


def _blank_widgets(view: str, line: str) -> tuple[str, str]:
    """*view* and *line* with widget text replaced by spaces (so a widget ends a field)."""
    spans = [m.span() for m in _WIDGET.finditer(view) if m.group().strip()]
    if not spans:
        return view, line
    chars_v, chars_l = list(view), list(line)
    for start, end in spans:
        chars_v[start:end] = chars_l[start:end] = " " * (end - start)
    return "".join(chars_v), "".join(chars_l)


def _fields(view: str, line: str) -> list[_Field]:
    """The labelled fields of a line, in order; each value runs to the next label."""
    matches = list(_LABEL.finditer(view))
    fields = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end() : end]
        lead = len(value) - len(value.lstrip())
        word = _VALUE_END.search(value, lead)
        word_end = m.end() + (word.start() if word else len(value))
        label = m["label"]
        fields.append(_Field(label, _LABELS[label], value, m.start(), word_end))
    return fields


def _leftover(line: str, fields: list[_Field]) -> str:
    """*line* without its fields' labels and first words: 编辑:李四 2025-07-01 → the date."""
    chars = list(line)
    for f in fields:
        chars[f.start : f.word_end] = " " * (f.word_end - f.start)
    return "".join(chars)


def _from_fields(line: str, fields: list[_Field]) -> LineMeta:
    meta = LineMeta()
    for f in fields:
        if f.kind is _Kind.SOURCE and meta.source is None:
            meta.source = _named(f.value)
        elif f.kind is _Kind.AUTHOR and meta.author is None:
            meta.author = _named(f.value)
        elif f.kind is _Kind.FORWARDED and meta.forwarded_from is None:
            meta.forwarded_from = _named(f.value)
    dated = [f for f in fields if f.kind is _Kind.DATE]
    # A publication-date field first, then any other date field, then the whole line (the
    # date often comes unlabelled before 来源: 2024-03-30 11:44:32 来源:…).
    ordered = sorted(dated, key=lambda f: f.label not in _PUBLICATION_LABELS)
    for text in (*(f.value for f in ordered), line):
        if found := find_datetime(text):
            meta.published = found
            break
    if meta.published is not None and len(meta.published) == 10:
        meta.published = _with_time(meta.published, dated)
    return meta


def _from_unlabelled(line: str) -> LineMeta | None:
    """A date alone, or ``date - source``; ``None`` for any other line."""
    found = find_datetime_span(line)
    if found is None:
        return None
    published, start, end = found
    if _SEPARATORS.sub("", line[:start]):
        return None
    rest = line[end:]
    if not _SEPARATORS.sub("", rest):
        return LineMeta(published=published)
    if m := _DASH_SOURCE.match(rest.rstrip()):
        return LineMeta(published=published, source=_named(m[1]))
    return None


def _with_time(day: str, dated: list[_Field]) -> str:
    """*day* with the time of a separate time field (日期:2025年7月1日 时间:08:35), if any."""
    for f in dated:
        if m := _TIME_ONLY.match(f.value):
            hour, minute, second = int(m[1]), int(m[2]), m[3]
            if hour < 24 and minute < 60:
                out = f"{day} {hour:02d}:{minute:02d}"
                return out + f":{second}" if second is not None and int(second) < 60 else out
    return day


def _named(value: str) -> str | None:
    """The name a source/author field gives: its first word, unless it is a placeholder."""
    value = value.strip()
    if m := _VALUE_END.search(value):
        value = value[: m.start()]
    value = value.strip(_VALUE_TRIM)
    if not value or value.lower() in _ANONYMOUS:
        return None
    return value
