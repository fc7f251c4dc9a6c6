"""PageIndex answers CSS selectors exactly as lxml's XPath translation does.

Every site rule's selector (and the built-in ones extraction uses) is run both ways on every
saved page and on a page made of the awkward cases; the elements and their order must agree.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from postcrawl.cssindex import PageIndex
from postcrawl.extraction import Extracted, decode_html, extract_article, parse_html, select
from postcrawl.sites import SITES, site_for_url
from tests.conftest import page_fixtures

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(FIXTURES.rglob("*.html"))

BUILT_IN = [
    "meta[name=ArticleTitle]", "meta[property='og:title']", "h1", "title",
    "meta[name=PubDate]", "meta[property='article:published_time']", "meta[name=pubdate]",
]  # fmt: skip
# Forms beyond the site rules: the child combinator, *, lists, and ones the index leaves to
# XPath (pseudo-classes, other attribute operators).
EXTRA = [
    "*", "div > p", "div > .c", ".a .b .c", ".a > .b .c", ".a .b > .c", "p, div.a, p",
    "#x", "div#x.a", "[id=x]", "li a[href]", "p:first-child", "a[href^='http']", "span, *",
    ".a.b", "div .a.b p", "x-tag", "body > div > div > p",
]  # fmt: skip

AWKWARD = """<!DOCTYPE html><html><head><title>t</title>
<meta name="ArticleTitle" content="one"><meta name="articletitle" content="two"></head>
<body class="a"><!-- a comment --><div class="a	b
c" id="x"><p class="c">1</p><div class="b"><p class="c">2</p><span class="c">3</span></div></div>
<div class="a&#160;b"><p class="c">4</p></div><div class=" b  a "><div class="a"><div class="b">
<p class="c">5</p></div></div></div><div id="x" class="c"><p>6</p><x-tag>7</x-tag></div>
<ul><li><a href="http://x">8</a><a>9</a></li></ul><div class="A B"><p class="C">10</p></div>
</body></html>"""


def _selectors() -> list[str]:
    found: set[str] = set(BUILT_IN) | set(EXTRA)
    for site in SITES.values():
        for rules in (site.rules, *(v.rules for v in site.versions)):
            for name in ("body", "title", "header", "meta", "remove", "attachments"):
                found.update(getattr(rules, name))
    return sorted(found)


SELECTORS = _selectors()


@pytest.mark.parametrize("name", [p.relative_to(FIXTURES).as_posix() for p in PAGES] + ["awkward"])
def test_the_index_selects_what_xpath_selects(name: str) -> None:
    text = AWKWARD if name == "awkward" else decode_html((FIXTURES / name).read_bytes())
    tree = parse_html(text)
    index = PageIndex(tree)
    matched = 0
    for css in SELECTORS:
        expected = select(tree, css)
        assert index.select(css, select) == expected, css
        matched += bool(expected)
    assert matched >= 3  # the page is read at all


def test_the_awkward_page_exercises_the_index() -> None:
    tree = parse_html(AWKWARD)
    index = PageIndex(tree)
    texts = {css: [el.text for el in index.select(css, select)] for css in EXTRA}
    assert texts[".a .b .c"] == ["1", "2", "3", "5"]
    assert texts[".a .b > .c"] == ["1", "2", "3", "5"]  # 1: in div.b (tab and newline)
    assert "a\xa0b" not in [el.get("class") for el in index.select(".b", select)]
    assert texts["body > div > div > p"] == ["2"]
    assert texts["div > .c"] == ["1", "2", "3", "4", "5"]
    assert [el.get("content") for el in index.select("meta[name=ArticleTitle]", select)] == ["one"]


def test_a_bad_selector_in_a_site_row_is_named() -> None:
    index = PageIndex(parse_html(AWKWARD))
    with pytest.raises(ValueError, match=r"bad CSS selector in site rules: 'div\['"):
        index.select("div[", select)


def test_extraction_reads_every_saved_page_the_same_with_xpath_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole extraction (every field, the dropped lines, the method) agrees when every
    selector goes to XPath, with each page's own site rules."""
    fixtures = page_fixtures()
    assert fixtures

    def read_all() -> list[Extracted]:
        out = []
        for fx in fixtures:
            site = site_for_url(fx.url).for_path(urlsplit(fx.url).path)
            out.append(extract_article(fx.html.read_bytes(), fx.url, site=site))
        return out

    indexed = read_all()
    monkeypatch.setattr(PageIndex, "select", lambda self, css, fallback: fallback(self.root, css))
    assert read_all() == indexed
