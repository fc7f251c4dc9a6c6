"""A bureau CMS's article pages (:class:`BureauArticles`, a mixin of
:class:`postcrawl.spiders.bureau.BureauSpider`).

An empty 200 answer is a counted failure (it stays pending in the crawl frontier); a JavaScript
redirect stub is followed to its article, which records the stub's URL (and the redirects
that led to it) as one more URL of the article (request meta
:data:`postcrawl.spiders.base.ALIASES_META`); a stub to an article the archive has already is
a :class:`postcrawl.items.SkippedPage`. Any other page is an :class:`ArticleItem` for the
pipelines, as :meth:`postcrawl.spiders.base.ArchiveSpider.parse_article` makes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Response

from postcrawl.bureau_lists import js_redirect_target
from postcrawl.extensions import note_failure
from postcrawl.extraction import PageHints
from postcrawl.items import SkippedPage
from postcrawl.siteroots import SiteRoots
from postcrawl.sites import Site
from postcrawl.spiders.base import ALIASES_META


class BureauArticles:
    """:meth:`parse_article` for the bureau CMS: empty answers fail, JS stubs are followed.
    It comes before :class:`postcrawl.spiders.base.ArchiveSpider` in the spider's bases, which
    makes the item and provides ``is_known``, ``article_request`` and ``aliases_of``."""

    site: Site
    roots: SiteRoots
    crawler: Any  # scrapy.crawler.Crawler

    def parse_article(
        self, response: Response, hints: PageHints, list_url: str | None = None
    ) -> Iterable[Any]:
        """An article page: empty answers fail, JS stubs are followed, the rest is an item."""
        if not response.body.strip():
            self.crawler.stats.inc_value("postcrawl/spider/empty")
            note_failure(self.crawler.stats, self.roots.real_url(response.url), "empty 200 answer")
            return
        target = js_redirect_target(response.body, response.url)
        if target is not None:
            self.crawler.stats.inc_value("postcrawl/spider/js_redirect")
            yield from self._follow_stub(response, target, hints, list_url)
            return
        # Redirects that led here travel with the item (FetchedPage.aliases). A document-
        # disclosure page's issuer (发布机构) is read by the extractor from `.content-head`,
        # with the rest of the page: no second parse here.
        yield from super().parse_article(response, hints, list_url)  # type: ignore[misc]

    def _follow_stub(
        self,
        response: Response,
        target: str,
        hints: PageHints,
        list_url: str | None,
    ) -> Iterable[scrapy.Request | SkippedPage]:
        stub_url = self.roots.real_url(response.url)
        target_url = self.roots.link(target)
        if self.is_known(target_url):
            # The article is archived already: the stub is a page without an article, which
            # the store step records so it is not fetched again.
            reason = f"redirect stub to {self.roots.real_url(target_url)}"
            yield SkippedPage(stub_url, self.site.name, reason)
            return
        request = self.article_request(target_url, hints, list_url)
        request.meta[ALIASES_META] = sorted(
            {stub_url, *self.aliases_of(response.request, stub_url)}
        )
        yield request
