"""Metadata lines and the date grammar: real variants, and generated ones (hypothesis).

The generated lines combine what real pages vary: the date shape, what stands between date
and time (nothing, a space, ``T``, a full-width space), label script (simplified/traditional),
colon width, ``日`` or not, share/print widgets and other fields (编辑, 点击) before and after,
fields in any order. Each one must give back the date (and source, author) it was built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from postcrawl.dates import find_datetime
from postcrawl.metaline import MAX_META_LINE, LineMeta, parse_meta_line

# --- concrete lines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "published", "source"),
    [
        # 山西新闻网: the time glued to the date.
        ("2025年7月1日08:35", "2025-07-01 08:35", None),
        ("2025年07月01日08:35 来源:山西日报", "2025-07-01 08:35", "山西日报"),
        # 中国衡阳新闻网: a share widget after the source.
        (
            "2024-06-12 09:30:15 来源:中国衡阳新闻网 分享到:",
            "2024-06-12 09:30:15",
            "中国衡阳新闻网",
        ),
        ("2024-03-30 11:44:32   來源:中國衡陽新聞網", "2024-03-30 11:44:32", "中國衡陽新聞網"),
        ("2025/7/1 8:35:02", "2025-07-01 08:35:02", None),
        ("2025-07-01T08:35", "2025-07-01 08:35", None),
        ("發佈日期：2025年7月1 來源：山西日報 【關閉】 打印", "2025-07-01", "山西日報"),
        ("發布時間：2025-07-01 08:35 | 來源：中國衡陽新聞網", "2025-07-01 08:35", "中國衡陽新聞網"),
        ("日期：2025年7月1日 时间：08：35 来源：山西日报", "2025-07-01 08:35", "山西日报"),
        ("2025年7月1日08:35 字号：大 中 小 打印 收藏", "2025-07-01 08:35", None),
        ("来源: 广东省邮政管理局 作者:佚名 发布日期:2023-10-26", "2023-10-26", "广东省邮政管理局"),
        ("2024-05-11 17:28:55 - 德州发布", "2024-05-11 17:28:55", "德州发布"),
        ("成文日期:2023-01-05 发布日期:2023-01-12", "2023-01-12", None),
        ("编辑：李四 2025-07-01 08:35", "2025-07-01 08:35", None),
    ],
)
def test_real_line_shapes(line: str, published: str, source: str | None) -> None:
    meta = parse_meta_line(line)
    assert meta is not None, line
    assert (meta.published, meta.source) == (published, source)


@pytest.mark.parametrize(
    "line",
    [
        "分享到:",
        "字号：大 中 小",
        "(責編：王宇、劉濤)",
        "编辑：李四",
        "索引号：bm51190001/2023-00077",
        "2025年7月1日08:35 山西日报的记者走进邮政网点",
        "3月27日上午,衡阳市邮政管理局召开2024年全市邮政普遍服务监督管理工作会。",
        "2025年13月1日 08:35",
    ],
)
def test_lines_that_are_not_metadata(line: str) -> None:
    assert parse_meta_line(line) is None


def test_fields_stop_at_the_next_label_or_widget() -> None:
    meta = parse_meta_line("发布机构:国家邮政局 发文字号:全国邮管〔2023〕78号")
    assert meta == LineMeta(source="国家邮政局")
    meta = parse_meta_line("来源：中国打印网 【打印】")  # 打印 inside a name is not a widget
    assert meta is not None and meta.source == "中国打印网"
    assert parse_meta_line("转自:德州发布") == LineMeta(forwarded_from="德州发布")
    meta = parse_meta_line("原文链接:http://gd.spb.gov.cn/gdsyzglj/c100057/a.shtml")
    assert meta == LineMeta(original_url="http://gd.spb.gov.cn/gdsyzglj/c100057/a.shtml")


def test_long_lines_are_prose() -> None:
    line = "来源:山西日报 " + "邮" * MAX_META_LINE
    assert parse_meta_line(line) is None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2025年7月1日08:35", "2025-07-01 08:35"),
        ("2025年7月108:35", "2025-07-01 08:35"),  # no 日, no space: the hour keeps two digits
        ("2025-07-1008:35", "2025-07-10 08:35"),
        ("2025年7月1", "2025-07-01"),
        ("2025-07-01\u300008:35", "2025-07-01 08:35"),
        ("2025-07-01 08时35分", "2025-07-01 08:35"),
        ("2025-07-01 25:61", "2025-07-01"),  # an impossible time goes, the day stays
        ("2025-13-01 08:00", None),
        ("2025-02-30", None),
        ("1989-06-01", None),
    ],
)
def test_date_grammar(text: str, want: str | None) -> None:
    assert find_datetime(text) == want


# --- generated lines ----------------------------------------------------------------------

SEPARATORS = ("", " ", "T", "\u3000")
FIELD_GAPS = (" ", "  ", "\u3000", " | ", "\xa0\xa0")
DATE_LABELS = ("发布时间", "發布時間", "发布日期", "發佈日期", "發布日期", "日期", "时间", "時間")
SOURCE_LABELS = ("来源", "來源", "文章来源", "文章來源", "信息来源", "稿件來源")
AUTHOR_LABELS = ("作者", "記者", "记者")
COLONS = (":", "：", ": ", "： ")
WIDGETS = (
    "分享到:",
    "分享到：",
    "打印",
    "【打印】",
    "【关闭】",
    "【關閉】",
    "[关闭窗口]",
    "收藏",
    "字号：大 中 小",
    "字號:大 中 小",
    "返回顶部",
)
OTHER_FIELDS = ("点击:35", "浏览次数：120", "編輯：李四", "责任编辑:王五", "點擊：7")
# Names use no digits and no label or widget words, so they cannot be read as anything else.
NAME_CHARS = "山西中国衡阳新闻网省市邮政管理局广东湖南北京人民晚报德州发布快递协会"


@dataclass(frozen=True)
class Stamp:
    """A date and time as generated, and how the parser must give it back."""

    text: str
    want: str


@st.composite
def stamps(draw: st.DrawFn) -> Stamp:
    day = draw(st.dates(min_value=date(1995, 1, 1), max_value=date(2099, 12, 31)))
    y, m, d = day.year, day.month, day.day
    shape = draw(st.sampled_from(("dash", "slash", "dot", "cjk", "cjk-no-ri")))
    pad = draw(st.booleans())
    mm, dd = (f"{m:02d}", f"{d:02d}") if pad else (str(m), str(d))
    text = {
        "dash": f"{y}-{mm}-{dd}",
        "slash": f"{y}/{mm}/{dd}",
        "dot": f"{y}.{mm}.{dd}",
        "cjk": f"{y}年{mm}月{dd}日",
        "cjk-no-ri": f"{y}年{mm}月{dd}",
    }[shape]
    want = f"{y:04d}-{m:02d}-{d:02d}"
    if draw(st.booleans()):
        sep = draw(st.sampled_from(SEPARATORS))
        hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
        # Glued to a date, a one-digit hour would be ambiguous (2025-7-18:35): real pages
        # that glue them write two digits.
        hh = f"{hour:02d}" if sep == "" or draw(st.booleans()) else str(hour)
        colon = draw(st.sampled_from((":", "：")))
        text += f"{sep}{hh}{colon}{minute:02d}"
        want += f" {hour:02d}:{minute:02d}"
        if draw(st.booleans()):
            second = draw(st.integers(0, 59))
            text += f"{colon}{second:02d}"
            want += f":{second:02d}"
    return Stamp(text, want)


@st.composite
def meta_lines(draw: st.DrawFn) -> tuple[str, str, str | None, str | None]:
    """A line and the date, source and author it states."""
    stamp = draw(stamps())
    names = st.text(alphabet=NAME_CHARS, min_size=2, max_size=10)
    fields: list[str] = []
    if draw(st.booleans()):
        fields.append(
            f"{draw(st.sampled_from(DATE_LABELS))}{draw(st.sampled_from(COLONS))}{stamp.text}"
        )
    else:
        fields.append(stamp.text)
    source = draw(st.none() | names)
    if source is not None:
        fields.append(
            f"{draw(st.sampled_from(SOURCE_LABELS))}{draw(st.sampled_from(COLONS))}{source}"
        )
    author = draw(st.none() | names)
    if author is not None:
        fields.append(
            f"{draw(st.sampled_from(AUTHOR_LABELS))}{draw(st.sampled_from(COLONS))}{author}"
        )
    fields += draw(st.lists(st.sampled_from(OTHER_FIELDS), max_size=2))
    fields = draw(st.permutations(fields))
    before = draw(st.lists(st.sampled_from(WIDGETS), max_size=2))
    after = draw(st.lists(st.sampled_from(WIDGETS), max_size=3))
    gap = draw(st.sampled_from(FIELD_GAPS))
    line = gap.join([*before, *fields, *after])
    return line, stamp.want, source, author


@given(stamps())
def test_generated_dates_read_back(stamp: Stamp) -> None:
    assert find_datetime(stamp.text) == stamp.want


@given(meta_lines())
@example(("2025年7月1日08:35", "2025-07-01 08:35", None, None))
@example(
    (
        "2024-06-12 09:30:15 来源:中国衡阳新闻网 分享到:",
        "2024-06-12 09:30:15",
        "中国衡阳新闻网",
        None,
    )
)
def test_generated_meta_lines(case: tuple[str, str, str | None, str | None]) -> None:
    line, published, source, author = case
    assume(len(line) < MAX_META_LINE)
    meta = parse_meta_line(line)
    assert meta is not None, line
    assert meta.published == published, line
    assert meta.source == source, line
    assert meta.author == author, line


@given(
    year=st.integers(1995, 2099),
    month=st.integers(13, 99),
    day=st.integers(1, 28),
    label=st.sampled_from(DATE_LABELS),
)
def test_impossible_months_are_rejected(year: int, month: int, day: int, label: str) -> None:
    assert find_datetime(f"{year}-{month}-{day} 08:35") is None
    assert find_datetime(f"{year}年{month}月{day}日") is None
    meta = parse_meta_line(f"{label}:{year}年{month}月{day}日 来源:山西日报")
    assert meta is not None and meta.published is None and meta.source == "山西日报"
