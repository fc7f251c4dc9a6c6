"""The five seed documents (real pages' visible text, chrome included) through the chrome filter.

The seeds are text, not HTML: split into lines, cleaned and filtered as extraction does, they
must give the same paragraphs as the fixture pages built around them.
"""

from __future__ import annotations

import pytest

from postcrawl.article_text import normalize_extracted
from postcrawl.boilerplate import filter_chrome
from postcrawl.chinese_text import clean_line
from postcrawl.extraction import Extracted
from postcrawl.sites import get_site
from tests.conftest import SEEDS, fixture_named

SEED_FIXTURES = {
    "000": ("dezhou", "000_dezhou_portal"),
    "001": ("e0734", "001_e0734_traditional"),
    "002": ("sxrb", "002_sxrb_traditional"),
    "003": ("txyddy", "003_txyddy_shanxi"),
    "004": ("txyddy", "004_txyddy_repost"),
}


def test_seeds_are_copied() -> None:
    assert sorted(p.name[:3] for p in SEEDS.glob("*.txt")) == sorted(SEED_FIXTURES)


@pytest.mark.parametrize("seed", sorted(SEED_FIXTURES))
def test_seed_text_filters_to_the_expected_article(seed: str) -> None:
    site_name, stem = SEED_FIXTURES[seed]
    expected = fixture_named(site_name, stem).expected
    site = get_site(site_name)
    (path,) = SEEDS.glob(f"{seed}_*.txt")
    lines = [clean_line(line) for line in path.read_text(encoding="utf-8").splitlines()]
    result = filter_chrome(
        [line for line in lines if line],
        title=expected["title"],
        chrome_lines=site.rules.chrome_lines,
    )
    article = normalize_extracted(
        Extracted(
            url=expected["url"],
            site=site_name,
            title=expected["title"],
            paragraphs=result.paragraphs,
            author=result.meta.author,
        )
    )
    assert article.paragraphs == expected["paragraphs"]
    if expected.get("original_url"):
        assert result.meta.original_url == expected["original_url"]
    if expected.get("author"):
        assert article.author == expected["author"]
    if seed in {"000", "001", "004"}:  # the seeds that show a date line
        assert result.meta.published and expected["published"].startswith(
            result.meta.published[:10]
        )
