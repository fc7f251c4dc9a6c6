"""Dates and sources of whole pages: real meta-line variants through :func:`extract_article`.

The two saved pages (``sxrb/006_sxrb_2025``, ``e0734/007_e0734_share_line``) are also checked
field by field by ``test_extraction_fixtures.py``; here each is bent into the variant that
used to lose its date, and the near-title fallback is tried on pages without a meta line.
"""

from __future__ import annotations

import pytest

from postcrawl.extraction import PageHints, extract_article
from tests.conftest import fixture_named

SXRB = fixture_named("sxrb", "006_sxrb_2025")
E0734 = fixture_named("e0734", "007_e0734_share_line")
SXRB_LEFT1 = SXRB.html.read_text(encoding="utf-8").split('<div class="left1">')[1]
SXRB_LEFT1 = '<div class="left1">' + SXRB_LEFT1.split("</div>")[0] + "</div>"


def _sxrb_with(left1: str) -> str:
    """The sxrb page with its date/source block replaced by *left1*."""
    page = SXRB.html.read_text(encoding="utf-8")
    assert SXRB_LEFT1 in page
    return page.replace(SXRB_LEFT1, left1)


def test_e0734_source_before_a_share_widget() -> None:
    # "2024-06-12 09:30:15 来源:中国衡阳新闻网 分享到:" on one line: both date and source.
    assert "来源:中国衡阳新闻网&nbsp;&nbsp; <span" in E0734.html.read_text(encoding="utf-8")
    article = extract_article(E0734.html.read_bytes(), E0734.url)
    assert (article.published, article.source) == ("2024-06-12 09:30:15", "中国衡阳新闻网")
    assert article.undated_reason is None


def test_sxrb_date_glued_to_its_time() -> None:
    assert "2025年7月1日08:35" in SXRB_LEFT1
    article = extract_article(SXRB.html.read_bytes(), SXRB.url)
    assert (article.published, article.source) == ("2025-07-01 08:35", "山西日报")


@pytest.mark.parametrize(
    ("left1", "source"),
    [
        # The date alone on its line, then the share widget. (The source, in a block of its
        # own that holds no date, is not looked for on a page without a body rule.)
        (
            '<div class="left1">2025年7月1日08:35 <span class="share">分享到：</span></div>'
            '<div class="src">来源：山西日报</div>',
            "山西新闻网",
        ),
        # Traditional labels, full-width colons, a separate time field.
        (
            '<div class="left1">發佈日期：2025年7月1日 時間：08：35 來源：山西日報 【關閉】</div>',
            "山西日报",  # the extractor reads meta lines in simplified script
        ),
        # The time after a T.
        ('<div class="left1">2025-07-01T08:35 | 来源：山西日报</div>', "山西日报"),
    ],
)
def test_sxrb_line_variants(left1: str, source: str) -> None:
    article = extract_article(_sxrb_with(left1).encode(), SXRB.url)
    assert article.published == "2025-07-01 08:35"
    assert article.source == source


def test_date_near_the_title_when_no_meta_line_dates_the_page() -> None:
    # "发布者" is no label: the line is not a metadata line, but it sits under the title.
    page = _sxrb_with('<div class="left1">发布者 山西日报社 2025年7月1日08:35</div>')
    article = extract_article(page.encode(), SXRB.url)
    assert article.published == "2025-07-01 08:35"
    assert article.undated_reason is None


def test_date_just_above_the_title() -> None:
    page = _sxrb_with('<div class="left1"></div>').replace(
        '<div class="jz">', '<div class="kicker">2025年7月1日 星期二 山西日报</div><div class="jz">'
    )
    assert extract_article(page.encode(), SXRB.url).published == "2025-07-01"


def test_no_date_from_the_article_text_or_a_header_clock() -> None:
    page = _sxrb_with('<div class="left1"></div>')
    page = page.replace("本报讯 6月30日", "本报讯 2025年6月30日")  # a date in prose
    page = page.replace(
        '<div class="jz">', '<div class="clock">今天是2025年7月2日</div><div class="jz">'
    )
    assert "2025年6月30日" in page
    article = extract_article(page.encode(), SXRB.url)
    assert article.published is None
    assert article.undated_reason == "no date on the page, in the list or in the URL"


def test_list_hint_outranks_the_date_near_the_title() -> None:
    page = _sxrb_with('<div class="left1">发布者 山西日报社 2025年7月1日08:35</div>')
    hints = PageHints(published="2025-06-30 18:00:00")
    assert extract_article(page.encode(), SXRB.url, hints=hints).published == "2025-06-30 18:00:00"
