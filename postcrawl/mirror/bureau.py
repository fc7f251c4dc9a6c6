"""A local mirror of one bureau site of the State Post Bureau CMS, for tests, demos and benchmarks.

:class:`BureauMirror` builds the route table of a :class:`~postcrawl.mirror.server.MirrorServer`
in the shape public captures show (``docs/sites.md``), from the templates in
``postcrawl/mirror/sites/bureau/``:

* ``/`` is a JavaScript stub to the home page ``/<prefix>/index.shtml``, whose navigation links
  to the channel lists (nested, relative and image links, a channel without articles, and other
  bureaus' lists in the footer);
* each channel's ``common_list.shtml`` shows its ~10 newest rows and a "more" link
  ``common_listmore(s).shtml?channelId=<32 hex>&code=<code>``; the more page is a script shell
  that loads its rows from the API (one channel's more page lists its rows in the HTML too);
* the JSON search API ``/common/search/<channelId>?…&page=N`` serves each channel's whole
  history: older articles are reachable only there;
* one channel's articles live under another channel's path.

The mirror's prefix and channel codes are its own (:class:`MirrorLayout`), not the site
table's: ``layout=invented_layout(code)`` uses a made-up prefix and made-up codes, so a test can
prove that a spider finds the site by discovery. With ``faults=True`` it also has the faults
seen in the wild: a page that answers 500 once, a listed page that is gone (404), an empty 200,
a GB18030 page, a JavaScript redirect stub, an old TRS URL that 301s to its new home, a page
robots.txt forbids, two URLs with the same article, a slow page, migrated pre-2020 pages in both
shapes and a document-disclosure page. ``api=False`` makes the API answer an HTML maintenance
page; ``nav=False`` serves a home page without navigation.

The text is generated (deterministic per article number), so any size can be served;
:meth:`BureauMirror.add_articles` publishes new articles at the top of the lists and the API.

The parts: the layout (``bureau_layout``), the generated text (``bureau_text``), the article
set with its fault cases (``bureau_articles``), the pages (``bureau_pages``) and the route
table (``bureau_routes``); :class:`BureauMirror` composes them, and this module re-exports
their public names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from postcrawl.mirror.bureau_articles import (
    DISCLOSURE_POSITION,
    FAULT_POSITIONS,
    MIGRATION,
    NEWEST,
    SPAN_DAYS,
    STUB_TARGET_CHANNEL,
    TRS_COLUMN,
    ArticleSet,
    Fault,
    MirrorArticle,
    Shape,
)
from postcrawl.mirror.bureau_layout import (
    MirrorChannel,
    MirrorLayout,
    invented_layout,
    standard_layout,
)
from postcrawl.mirror.bureau_pages import CHINA_TIME, BureauPages
from postcrawl.mirror.bureau_routes import SLOW_SECONDS, bureau_routes
from postcrawl.mirror.bureau_text import article_text
from postcrawl.mirror.server import Route
from postcrawl.sites.bureaus import BUREAUS, Bureau

__all__ = [
    "CHINA_TIME",
    "DISCLOSURE_POSITION",
    "FAULT_POSITIONS",
    "MIGRATION",
    "NEWEST",
    "SLOW_SECONDS",
    "SPAN_DAYS",
    "STATIC_ROWS",
    "STUB_TARGET_CHANNEL",
    "TRS_COLUMN",
    "BureauMirror",
    "Fault",
    "MirrorArticle",
    "MirrorChannel",
    "MirrorCounts",
    "MirrorLayout",
    "Shape",
    "article_text",
    "bureau_named",
    "counts",
    "invented_layout",
    "standard_layout",
]

# Rows a static list shows; older rows are on the API only.
STATIC_ROWS = 10


class BureauMirror:
    """The pages of one bureau site (``gd`` by default) as a route table.

    *articles* listed articles (newest first) are spread over the layout's channels; a static
    list shows the newest *page_size* of its channel (about ten on the real sites), the API
    all of them. ``faults=False`` serves only clean pages (the benchmark).
    """

    def __init__(
        self,
        bureau: Bureau | str = "gd",
        articles: int = 120,
        page_size: int = STATIC_ROWS,
        faults: bool = True,
        layout: MirrorLayout | None = None,
        api: bool = True,
        nav: bool = True,
        body_chars: int = 0,
        originals: bool = False,
    ) -> None:
        self.bureau = bureau if isinstance(bureau, Bureau) else bureau_named(bureau)
        self.body_chars = body_chars  # a floor on each article's length (benchmarks: seed-like)
        self.layout = layout or standard_layout(self.bureau.hint_prefix)
        self.page_size = page_size
        self.faults = faults
        self.api = api
        self.nav = nav
        self.article_set = ArticleSet(self.bureau, self.layout, faults, body_chars)
        self.article_set.generate(articles)
        if originals:
            self.article_set.add_originals()

    @property
    def articles(self) -> list[MirrorArticle]:
        """Every article, newest first."""
        return self.article_set.articles

    @property
    def originals(self) -> list[MirrorArticle]:
        """The articles an aggregator mirror reposts (with ``originals=True``)."""
        return self.article_set.originals

    @property
    def prefix(self) -> str:
        return self.layout.prefix

    @property
    def channels(self) -> tuple[MirrorChannel, ...]:
        """The channels whose lists hold articles."""
        return self.layout.article_channels

    @property
    def pages(self) -> BureauPages:
        """The page renderer, with the mirror's current page size and navigation switch."""
        return BureauPages(self.bureau, self.layout, self.article_set, self.page_size, self.nav)

    # -- the articles ----------------------------------------------------------------------
    def add_articles(self, count: int) -> list[MirrorArticle]:
        """Publish *count* new articles, newer than every other, at the top of the lists."""
        return self.article_set.add(count)

    def expected(self) -> dict[str, MirrorArticle]:
        """The articles a crawl must archive, one per distinct body, by their body's key."""
        return self.article_set.expected()

    def static_articles(self) -> list[MirrorArticle]:
        """The articles reachable without the API: every static list's rows, and every row of
        a more page that lists its rows in the HTML."""
        return self.article_set.static(self.page_size)

    def channel_articles(self, channel: MirrorChannel) -> list[MirrorArticle]:
        return self.article_set.in_channel(channel)

    # -- paths and pages -------------------------------------------------------------------
    def list_path(self, channel: MirrorChannel) -> str:
        """The channel's static list, ``/<prefix>/<path>/common_list.shtml``."""
        return self.layout.list_path(channel)

    def more_path(self, channel: MirrorChannel) -> str:
        """The channel's "more" page with its channel id and code, as the list links it."""
        return self.layout.more_path(channel)

    def api_paths(self) -> set[str]:
        """Path prefixes of the API, one per channel id (for counting hits)."""
        return {f"/common/search/{c.channel_id}" for c in self.layout.channels}

    def article_page(self, article: MirrorArticle) -> tuple[bytes, str]:
        """The HTML of an article page and its Content-Type."""
        return self.pages.article_page(article)

    def navigation(self) -> str:
        """The home page's navigation bar with absolute links (for a page at another path)."""
        return self.pages.nav_bar(relative=False)

    def home_page(self) -> bytes:
        """The home page: navigation, and a box of recent rows per channel."""
        return self.pages.home_page()

    def list_page(self, channel: MirrorChannel) -> bytes:
        """A channel's static list: its newest rows and its "more" link."""
        return self.pages.list_page(channel)

    def more_page(self, channel: MirrorChannel) -> bytes:
        """A channel's "more" page: a shell the API fills, or every row where it lists them."""
        return self.pages.more_page(channel)

    def api_pages(self, channel: MirrorChannel) -> dict[str, bytes]:
        """The JSON search API answers of a channel (one past the end: an empty page)."""
        return self.pages.api_pages(channel)

    def routes(self) -> dict[str, Route]:
        """The whole site: path (with query for the API and more pages) → :class:`Route`."""
        return bureau_routes(self.pages, api=self.api)


def bureau_named(code: str) -> Bureau:
    """The bureau row for a subdomain code (``gd``) or spider name (``gd_spb``, ``spb``)."""
    for bureau in BUREAUS:
        if code in (bureau.code, bureau.spider_name):
            return bureau
    known = ", ".join(b.code for b in BUREAUS)
    raise KeyError(f"unknown bureau {code!r}; known: {known}")


@dataclass
class MirrorCounts:
    """What a mirror holds, for messages and benchmarks."""

    articles: int = 0
    retrievable: int = 0
    list_pages: int = 0
    faults: dict[str, int] = field(default_factory=dict)


def counts(mirror: BureauMirror) -> MirrorCounts:
    """Counts of a mirror's articles, distinct retrievable bodies and list pages."""
    out = MirrorCounts(articles=len(mirror.articles), retrievable=len(mirror.expected()))
    out.list_pages = len(mirror.layout.channels)
    for article in mirror.articles:
        if article.fault:
            out.faults[article.fault] = out.faults.get(article.fault, 0) + 1
    return out
