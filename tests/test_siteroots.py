"""SiteRoots: the one mapping between the real site's URLs and the URLs a crawl fetches."""

from __future__ import annotations

import pytest

from postcrawl.siteroots import SiteRoots

REAL = "https://gd.spb.gov.cn"
MIRROR = "http://127.0.0.1:8000"
ARTICLE = "/gdsyzglj/c100057/c100061/202310/10855d.shtml"


def test_without_a_mirror_every_url_stays() -> None:
    roots = SiteRoots.of(REAL + "/")
    assert (roots.real, roots.crawled, roots.mirrored) == (REAL, REAL, False)
    assert roots.fetch("/") == REAL + "/"
    assert roots.fetch(ARTICLE) == REAL + ARTICLE
    assert roots.fetch(ARTICLE.lstrip("/")) == REAL + ARTICLE
    assert roots.fetch(REAL + ARTICLE + "?a=1#x") == REAL + ARTICLE + "?a=1#x"
    assert roots.real_url(REAL + ARTICLE) == REAL + ARTICLE
    assert roots.on_crawled_host(REAL + ARTICLE)
    assert not roots.on_crawled_host("https://sh.spb.gov.cn" + ARTICLE)


def test_a_mirror_at_the_root_of_its_host() -> None:
    roots = SiteRoots.of(REAL, MIRROR + "/")
    assert roots.mirrored and roots.crawled == MIRROR
    assert roots.fetch("/") == MIRROR + "/"
    assert roots.fetch(ARTICLE) == MIRROR + ARTICLE
    # A real-site URL goes to the mirror whatever its scheme; query and fragment stay.
    assert roots.fetch(REAL + ARTICLE) == MIRROR + ARTICLE
    assert roots.fetch("http://gd.spb.gov.cn" + ARTICLE) == MIRROR + ARTICLE
    assert roots.fetch(REAL + "/list.shtml?channelId=ab&page=2#top") == (
        MIRROR + "/list.shtml?channelId=ab&page=2#top"
    )
    # ... and back: what the archive records.
    assert roots.real_url(MIRROR + ARTICLE) == REAL + ARTICLE
    assert roots.real_url(MIRROR + "/common/search/ab?page=2") == REAL + "/common/search/ab?page=2"
    assert roots.real_url(MIRROR) == REAL
    assert roots.real_url(roots.fetch(REAL + ARTICLE + "?x=1")) == REAL + ARTICLE + "?x=1"
    assert roots.on_crawled_host(MIRROR + ARTICLE)
    assert not roots.on_crawled_host(REAL + ARTICLE)


def test_a_mirror_below_a_path() -> None:
    roots = SiteRoots.of(REAL, MIRROR + "/gd/")
    assert roots.crawled == MIRROR + "/gd"
    assert roots.fetch("/") == MIRROR + "/gd/"
    assert roots.fetch(ARTICLE) == MIRROR + "/gd" + ARTICLE
    assert roots.fetch(REAL + ARTICLE + "?a=1") == MIRROR + "/gd" + ARTICLE + "?a=1"
    assert roots.real_url(MIRROR + "/gd" + ARTICLE) == REAL + ARTICLE
    assert roots.real_url(MIRROR + "/gd?page=2") == REAL + "?page=2"
    # Only that root: the same host outside the path, or a path that merely starts alike.
    assert roots.real_url(MIRROR + ARTICLE) == MIRROR + ARTICLE
    assert roots.real_url(MIRROR + "/gdx" + ARTICLE) == MIRROR + "/gdx" + ARTICLE
    assert roots.on_crawled_host(MIRROR + ARTICLE)


def test_a_port_that_merely_starts_alike_is_another_host() -> None:
    roots = SiteRoots.of(REAL, MIRROR)
    assert roots.real_url("http://127.0.0.1:80001" + ARTICLE) == "http://127.0.0.1:80001" + ARTICLE


@pytest.mark.parametrize(
    "other",
    ["https://sh.spb.gov.cn" + ARTICLE, "http://www.spb.gov.cn/gjyzj/index.shtml?x=1"],
)
def test_other_hosts_pass_through(other: str) -> None:
    for roots in (
        SiteRoots.of(REAL),
        SiteRoots.of(REAL, MIRROR),
        SiteRoots.of(REAL, MIRROR + "/gd"),
    ):
        assert roots.fetch(other) == other
        assert roots.real_url(other) == other
        assert roots.link(other) == other
        assert not roots.on_crawled_host(roots.link(other))


def test_links_found_on_the_site() -> None:
    live = SiteRoots.of(REAL)
    mirror = SiteRoots.of(REAL, MIRROR)
    below = SiteRoots.of(REAL, MIRROR + "/gd")
    # The site's own http:// links (the API gives them) take its scheme: no 301 to follow.
    found = "http://gd.spb.gov.cn" + ARTICLE + "?a=1#comments"
    assert live.link(found) == REAL + ARTICLE + "?a=1"
    assert mirror.link(found) == MIRROR + ARTICLE + "?a=1"
    assert below.link(found) == MIRROR + "/gd" + ARTICLE + "?a=1"
    # A link resolved on the mirror's own page stays on the mirror (fragment dropped).
    assert mirror.link(MIRROR + ARTICLE + "#top") == MIRROR + ARTICLE
    assert mirror.real_url(mirror.link(found)) == REAL + ARTICLE + "?a=1"
    # Another site's link keeps its own scheme.
    assert mirror.link("http://sh.spb.gov.cn/x.shtml#y") == "http://sh.spb.gov.cn/x.shtml"


def test_an_http_real_root() -> None:
    """Some repost sites are http only: their https links are taken down to http."""
    roots = SiteRoots.of("http://news.sxrb.com", MIRROR)
    assert roots.link("https://news.sxrb.com/GB/1/2.html") == MIRROR + "/GB/1/2.html"
    assert SiteRoots.of("http://news.sxrb.com").link("https://news.sxrb.com/GB/1/2.html") == (
        "http://news.sxrb.com/GB/1/2.html"
    )
    assert roots.real_url(MIRROR + "/GB/1/2.html") == "http://news.sxrb.com/GB/1/2.html"
