"""The site rows: evidence marks, versioned page rules, no crawl of an unrelated city."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from postcrawl.article_text import normalize_extracted
from postcrawl.extraction import extract_article
from postcrawl.sites import SITES, get_site
from postcrawl.sites.aggregators import AGGREGATOR_ROWS, SXRB_V1, SXRB_V2
from postcrawl.sites.bureaus import BUREAUS, NATIONAL
from postcrawl.spiders.aggregators import AGGREGATOR_SPIDERS
from tests.conftest import fixture_named


@pytest.mark.parametrize(
    ("stem", "version"), [("005_sxrb_2019", SXRB_V1), ("006_sxrb_2023", SXRB_V2)]
)
def test_sxrb_page_generation_is_chosen_per_page(stem: str, version: object) -> None:
    fx = fixture_named("sxrb", stem)
    site = get_site("sxrb")
    path = urlsplit(fx.url).path
    assert site.version_for(path) is version
    # Read with that generation's rules alone, the page gives the expected article.
    article = normalize_extracted(
        extract_article(fx.html.read_bytes(), fx.url, site.for_path(path))
    )
    assert article.method == "selector"
    assert (article.title, article.published, article.source) == (
        fx.expected["title"],
        fx.expected["published"],
        fx.expected["source"],
    )
    assert article.paragraphs == fx.expected["paragraphs"]


def test_a_site_without_versions_reads_every_page_with_its_rules() -> None:
    site = get_site("gd_spb")
    assert site.version_for("/gdsyzglj/x.shtml") is None and site.for_path("/x") is site


def test_no_row_crawls_dazhou_for_dezhou() -> None:
    dezhou = get_site("dezhou")
    assert dezhou.domain == "dezhoudaily.com"
    assert not any("dzxw.net" in s.domain for s in SITES.values())


def test_one_row_describes_each_aggregator_and_its_spider_is_generated() -> None:
    for row in AGGREGATOR_ROWS:
        spider = AGGREGATOR_SPIDERS[row.name]
        assert spider.site is row.site and spider.listing is row.listing
        assert spider.default_base_url == row.base_url
        assert spider.__module__ == "postcrawl.spiders.aggregators"
        assert row.listing.starts


def test_bureau_rows_mark_their_evidence() -> None:
    by_code = {b.code: b for b in BUREAUS}
    assert by_code["xz"].prefix == "xzyzglj" and by_code["xz"].prefix_evidence == "seen"
    assert by_code["bj"].prefix is None and by_code["bj"].prefix_evidence == "guess"
    assert by_code["bj"].hint_prefix == "bjsyzglj"
    assert all(c.evidence == "guess" for c in by_code["bj"].hint_channels)
    assert [c.path for c in by_code["he"].channels] == ["c100756/c100761"]
    assert {c.path for c in by_code["gs"].channels} == {"c103910/c103912", "c100062/c100149"}
    national = {c.label: c for c in NATIONAL.channels}
    assert national["政策法规标准"].path == "c100009/c100012"
    assert national["政策法规标准"].api_id == "de7de12df24948b98dcb8420d3777c04"
    assert national["统计信息"].path == "c100276"
