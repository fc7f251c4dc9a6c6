"""Every saved page, extracted by the pipeline's own functions, against its expected JSON.

One test parametrized over all sites (as Fundus does): adding a site's fixture adds a case.
"""

from __future__ import annotations

import pytest

from postcrawl.boilerplate import RULES, chrome_rule
from postcrawl.extraction import extract_article
from postcrawl.normalize import normalize_extracted
from postcrawl.textnorm import traditional_count
from tests.conftest import Fixture, fixture_named, page_fixtures

FIELDS = ("site", "title", "published", "source", "author", "original_url")
FIXTURES = page_fixtures()


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_extraction_matches_expected(fx: Fixture) -> None:
    article = normalize_extracted(extract_article(fx.html.read_bytes(), fx.url))
    got = {name: getattr(article, name) for name in FIELDS}
    want = {name: fx.expected.get(name) for name in FIELDS}
    assert got == want
    assert article.paragraphs == fx.expected["paragraphs"]
    if "attachments" in fx.expected:
        assert article.attachments == fx.expected["attachments"]


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_no_chrome_reaches_the_body(fx: Fixture) -> None:
    article = normalize_extracted(extract_article(fx.html.read_bytes(), fx.url))
    for paragraph in article.paragraphs:
        assert chrome_rule(paragraph) is None, paragraph
        assert paragraph != article.title
        assert traditional_count(paragraph) == 0, paragraph
        assert "(yáng)" not in paragraph and "ǎ" not in paragraph


def test_fixture_set_covers_every_seed_site() -> None:
    sites = {fx.html.parent.name for fx in FIXTURES}
    assert {"dezhou", "e0734", "sxrb", "txyddy", "gd_spb"} <= sites
    assert len(RULES) > 10


def test_repost_and_original_hash_the_same() -> None:
    repost = fixture_named("txyddy", "004_txyddy_repost")
    original = fixture_named("gd_spb", "004_original")
    a = normalize_extracted(extract_article(repost.html.read_bytes(), repost.url))
    b = normalize_extracted(extract_article(original.html.read_bytes(), original.url))
    assert a.body_hash == b.body_hash
    assert a.original_url == original.url
    assert a.site == "txyddy" and b.site == "gd_spb"


def test_pubdate_meta_loses_to_the_visible_date() -> None:
    fx = fixture_named("gd_spb", "004_original")
    assert 'name="PubDate" content="2023-11-02' in fx.html.read_text(encoding="utf-8")
    article = extract_article(fx.html.read_bytes(), fx.url)
    assert article.published == "2023-10-26"


def test_list_hint_date_outranks_the_page() -> None:
    from postcrawl.extraction import PageHints

    fx = fixture_named("gd_spb", "004_original")
    article = extract_article(
        fx.html.read_bytes(), fx.url, hints=PageHints(published="2023-10-25 18:00:00")
    )
    assert article.published == "2023-10-25 18:00:00"


def test_trafilatura_fallback_when_no_site_rule_matches() -> None:
    fx = fixture_named("txyddy", "004_txyddy_repost")
    # The same page under an unknown host: no site rules, trafilatura on the whole page.
    article = normalize_extracted(
        extract_article(fx.html.read_bytes(), "http://unknown.example/a.html")
    )
    assert article.method == "trafilatura"
    assert article.site == "generic"
    # Date and source come from the page's meta line, found without a site rule.
    assert (article.published, article.source) == ("2023-10-26", "广东省邮政管理局")
    assert article.paragraphs[0] == fx.expected["paragraphs"][0]
    for paragraph in article.paragraphs:
        assert chrome_rule(paragraph) is None, paragraph


def test_disclosure_issuer_is_the_source() -> None:
    fx = fixture_named("spb", "disclosure_page")
    page = fx.html.read_bytes().replace(
        "<em>国家邮政局</em>".encode(), "<em>国家邮政局政策法规司</em>".encode()
    )
    assert page != fx.html.read_bytes()
    assert extract_article(page, fx.url).source == "国家邮政局政策法规司"


def test_issuer_on_a_shared_line_stops_at_the_next_label() -> None:
    from postcrawl.metaline import parse_meta_line

    meta = parse_meta_line("发布机构:国家邮政局 发文字号:全国邮管〔2023〕78号")
    assert meta is not None and meta.source == "国家邮政局"
