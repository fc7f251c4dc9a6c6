"""A small archive made by the real pipeline from the fixture pages, for the reading tests.

Every page goes through ``extract_article`` → ``normalize_extracted`` and then, as the dedupe and
store pipelines do, ``ArchiveStore.add`` (new body) or ``ArchiveStore.add_sighting`` (body
already archived). Besides the six fixture pages there are synthetic variants made from them:
the Guangdong page republished by the Shanxi bureau in 2024 with three other paragraphs
(another site, province, date and body), the 003 page redated with four paragraphs of another
article, the 003 page at a second URL of the same site (a duplicate),
and the 004 repost edited slightly at another URL (a near-duplicate of the Guangdong article).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

from postcrawl.archive import ArchiveStore
from postcrawl.article_text import normalize_extracted
from postcrawl.chinese_text import clean_line
from postcrawl.extraction import Extracted, extract_article
from postcrawl.sites import site_for_url
from tests.conftest import fixture_named

GD_URL = fixture_named("gd_spb", "004_original").url
SX_URL = (
    "http://sx.spb.gov.cn/sxsyzglj/c100057/c100061/202403/5c0a1e2f3b4d4e5f8a9b0c1d2e3f4a5b.shtml"
)
TXYDDY_003_SECOND_URL = "http://www.txyddy.org.cn/index.php?m=content&c=index&a=show&id=9123"
TXYDDY_003_REDATED_URL = "http://www.txyddy.org.cn/shjd/2023/1205/11020.html"
TXYDDY_NEAR_DUP_URL = "http://www.txyddy.org.cn/shjd/2023/1027/10460.html"


@dataclass
class BuiltArchive:
    """The archive and what went into it: the articles stored and every URL recorded."""

    root: Path
    stored: dict[str, Extracted] = field(default_factory=dict)  # hash -> the stored article
    provinces: dict[str, str | None] = field(default_factory=dict)  # hash -> province
    sightings: list[tuple[str, str, str, float]] = field(default_factory=list)
    # ^ (url, hash of the archived article, relation, similarity) for every further URL
    labels: dict[str, str] = field(default_factory=dict)  # short name -> hash


def page(site: str, stem: str) -> tuple[bytes, str]:
    fx = fixture_named(site, stem)
    return fx.html.read_bytes(), fx.url


def variant(html: bytes, replacements: dict[str, str]) -> bytes:
    """The page with each text replaced (every replacement must apply: a fixture edit that
    stopped matching would silently make the variant a duplicate)."""
    text = html.decode("utf-8")
    for old, new in replacements.items():
        assert old in text, f"variant: {old!r} not in page"
        text = text.replace(old, new)
    return text.encode("utf-8")


def similarity(a: Extracted, b: Extracted) -> float:
    """How alike two normalized bodies are (0..1), rounded as a near-duplicate check would."""
    return round(difflib.SequenceMatcher(None, a.normalized_body, b.normalized_body).ratio(), 3)


def with_paragraphs(html: bytes, site: str, stem: str, new: dict[int, str]) -> bytes:
    """The page with body paragraph *i* (of its expected extraction) replaced by ``new[i]``.

    Swapping whole paragraphs in from another article makes a different article: editing a
    few words would make a near-duplicate, which the archive stores once."""
    expected = fixture_named(site, stem).expected["paragraphs"]
    tree = lxml.html.document_fromstring(html.decode("utf-8"))
    replaced = set()
    for element in tree.iter("p"):
        text = clean_line(element.text_content())
        for i, paragraph in new.items():
            if text == expected[i]:
                for child in list(element):
                    element.remove(child)
                element.text = paragraph
                replaced.add(i)
    assert replaced == set(new), f"with_paragraphs: {set(new) - replaced} not found"
    return lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")


def _paragraphs(site: str, stem: str) -> list[str]:
    return fixture_named(site, stem).expected["paragraphs"]


def build_archive(root: Path) -> BuiltArchive:
    """Crawl the fixture pages and their variants into *root* (see the module docstring)."""
    built = BuiltArchive(root)
    gd_html, _ = page("gd_spb", "004_original")
    t003_html, t003_url = page("txyddy", "003_txyddy_shanxi")
    t004_html, t004_url = page("txyddy", "004_txyddy_repost")
    pages = [
        ("gd", gd_html, GD_URL),
        ("txyddy_repost", t004_html, t004_url),
        ("txyddy_003", t003_html, t003_url),
        ("dezhou", *page("dezhou", "000_dezhou_portal")),
        ("e0734", *page("e0734", "001_e0734_traditional")),
        ("sxrb", *page("sxrb", "002_sxrb_traditional")),
        (
            "sx_variant",
            with_paragraphs(
                variant(gd_html, {"2023-10-26": "2024-03-15", "三季度": "一季度"}),
                "gd_spb",
                "004_original",
                dict(zip((1, 2, 3), _paragraphs("txyddy", "003_txyddy_shanxi")[1:4], strict=True)),
            ),
            SX_URL,
        ),
        (
            "txyddy_003_redated",
            with_paragraphs(
                variant(t003_html, {"2023-09-11": "2023-12-05", "9月7日至8日": "12月1日至2日"}),
                "txyddy",
                "003_txyddy_shanxi",
                dict(
                    zip((3, 4, 5, 6), _paragraphs("dezhou", "000_dezhou_portal")[1:5], strict=True)
                ),
            ),
            TXYDDY_003_REDATED_URL,
        ),
        ("txyddy_003_second_url", t003_html, TXYDDY_003_SECOND_URL),
    ]
    with ArchiveStore(root, fsync=False) as store:
        for n, (label, html, url) in enumerate(pages):
            site = site_for_url(url)
            article = normalize_extracted(extract_article(html, url, site=site))
            crawled_at = f"2024-06-01T08:{n:02d}:00Z"
            if store.seen.hash_seen(article.body_hash):  # the dedupe pipeline's path
                store.add_sighting(article, crawled_at=crawled_at, official=site.official)
                built.sightings.append((url, article.body_hash, "duplicate", 1.0))
            else:  # the store pipeline's path
                result = store.add(
                    article, crawled_at=crawled_at, official=site.official, province=site.province
                )
                assert result.status == "stored", label
                built.stored[article.body_hash] = article
                built.provinces[article.body_hash] = site.province
            built.labels[label] = article.body_hash
        # An aggregator's slightly edited copy of the Guangdong article: another body, recorded
        # against the archived one as a near-duplicate (as near-duplicate detection would).
        near = normalize_extracted(
            extract_article(
                variant(t004_html, {"通报交流有关工作情况，": ""}),
                TXYDDY_NEAR_DUP_URL,
            )
        )
        original = built.stored[built.labels["gd"]]
        assert near.body_hash != original.body_hash
        score = similarity(near, original)
        store.add_sighting(
            near,
            crawled_at="2024-06-01T09:00:00Z",
            relation="near-duplicate",
            similarity=score,
            body_hash=original.body_hash,
        )
        built.sightings.append((TXYDDY_NEAR_DUP_URL, original.body_hash, "near-duplicate", score))
        built.labels["near_dup"] = near.body_hash
    return built
