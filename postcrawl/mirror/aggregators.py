"""Local mirrors of the aggregator sites (txyddy, e0734, sxrb, dezhou), for tests and demos.

One :class:`AggregatorMirror` per row of :data:`postcrawl.sites.aggregators.AGGREGATOR_ROWS`,
built from package data in ``postcrawl/mirror/sites/<site>/``:

* ``mirror.json`` names the site's list pages (path, template, rows, the next page) and its
  articles: a *saved* article is a page captured from the site (the same file as the extraction
  fixture ``tests/fixtures/<site>/<name>.html``); a *generated* one is a saved page with its
  title and body replaced and a few strings of its date line swapped, so it keeps the site's
  real article layout; an ``off_topic`` one is generated too, with a non-postal story that the
  topic filter must drop.
* ``list*.html`` / ``home.html`` are the list pages in the shape the site row's
  :class:`~postcrawl.sites.aggregators.Listing` reads (rows, pager, article URL pattern).

txyddy reposts a gd bureau article with its 原文链接 claim; :class:`~postcrawl.mirror.bureau.
BureauMirror` with ``originals=True`` serves that original. e0734 has a traditional page with
pinyin annotations; sxrb has both page generations (2019 ``sxxww/xwpd`` and 2022-23 ``GB``).

:func:`combined_routes` puts a bureau mirror and aggregator mirrors on one server. Their paths
differ except the root: dezhou's list is its home page ``/``, where the bureau mirror serves its
JavaScript stub. The combined root is dezhou's home page with the bureau's navigation added,
which both spiders read (the bureau's own home page stays at ``/<prefix>/index.shtml``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml.cssselect import CSSSelector

from postcrawl.mirror.bureau import BureauMirror
from postcrawl.mirror.server import Route
from postcrawl.sites.aggregators import AGGREGATOR_ROWS, Aggregator


def mirror_path(url: str) -> str:
    """The path (and query) of a real URL: where a mirror serves it."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _site_file(site: str, name: str) -> bytes:
    return (resources.files("postcrawl.mirror") / "sites" / site / name).read_bytes()


@cache
def _site_data(site: str) -> dict[str, Any]:
    return json.loads(_site_file(site, "mirror.json").decode("utf-8"))


@dataclass(frozen=True)
class MirrorPage:
    """One article of an aggregator mirror."""

    key: str
    url: str  # the real URL (the archive records it)
    title: str
    listed: str  # the date its list row shows
    saved: str | None = None  # a saved page of the site, served as it is
    template: str | None = None  # the saved page a generated one is made from
    replace: dict[str, str] = field(default_factory=dict)
    paragraphs: tuple[str, ...] = ()  # a generated page's body
    published: str | None = None  # what a generated page's date line says
    source: str | None = None
    off_topic: bool = False
    repost_of: str | None = None  # the 原文链接 of a repost

    @property
    def path(self) -> str:
        return mirror_path(self.url)

    @property
    def generated(self) -> bool:
        return self.saved is None


@dataclass(frozen=True)
class MirrorList:
    """One list page: its path, its rows (article keys, newest first), the next page."""

    path: str
    label: str
    template: str
    rows: tuple[str, ...]
    next: str | None = None
    start: str | None = None  # the start path this page continues (None: it is one)


class AggregatorMirror:
    """The list and article pages of one aggregator site as a route table."""

    def __init__(self, row: Aggregator | str) -> None:
        self.row = row if isinstance(row, Aggregator) else aggregator_named(row)
        data = _site_data(self.name)
        self.pages: dict[str, MirrorPage] = {
            key: MirrorPage(
                key=key,
                url=a["url"],
                title=a["title"],
                listed=a["listed"],
                saved=a.get("page"),
                template=a.get("template"),
                replace=dict(a.get("replace", {})),
                paragraphs=tuple(a.get("paragraphs", ())),
                published=a.get("published"),
                source=a.get("source"),
                off_topic=bool(a.get("off_topic")),
                repost_of=a.get("repost_of"),
            )
            for key, a in data["articles"].items()
        }
        self.lists: list[MirrorList] = [
            MirrorList(
                path=entry["path"],
                label=entry["label"],
                template=entry["template"],
                rows=tuple(entry["rows"]),
                next=entry.get("next"),
                start=entry.get("start"),
            )
            for entry in data["lists"]
        ]
        missing = set(self.row.listing.start_paths) - set(self.list_paths())
        if missing:
            raise ValueError(f"{self.name} mirror lacks the row's start lists {sorted(missing)}")

    @property
    def name(self) -> str:
        return self.row.name

    # -- what a crawl must find ------------------------------------------------------------
    def articles(self) -> list[MirrorPage]:
        """Every article the lists show, each once, in list order."""
        keys = dict.fromkeys(key for lst in self.lists for key in lst.rows)
        return [self.pages[key] for key in keys]

    def expected(self) -> list[MirrorPage]:
        """The articles a crawl archives: all but the off-topic ones."""
        return [page for page in self.articles() if not page.off_topic]

    def off_topic(self) -> list[MirrorPage]:
        return [page for page in self.articles() if page.off_topic]

    def page(self, key: str) -> MirrorPage:
        return self.pages[key]

    def saved_page(self, name: str) -> MirrorPage:
        """The article served from the saved page *name* (``003_txyddy_shanxi``)."""
        return next(p for p in self.pages.values() if p.saved and p.saved.startswith(name))

    def list_paths(self) -> list[str]:
        return [lst.path for lst in self.lists]

    # -- pages -----------------------------------------------------------------------------
    def article_page(self, page: MirrorPage) -> bytes:
        """The HTML of an article: the saved page, or one made from a saved page."""
        if page.saved:
            return _site_file(self.name, page.saved)
        assert page.template is not None
        html = _site_file(self.name, page.template).decode("utf-8")
        for old, new in page.replace.items():
            html = html.replace(old, new)
        return self._rewrite(html, page.title, page.paragraphs)

    def _rewrite(self, html: str, title: str, paragraphs: tuple[str, ...]) -> bytes:
        """*html* with *title* in its title elements and *paragraphs* as its body."""
        tree = lxml.html.fromstring(html)
        rules = self.row.site.rules
        for css in rules.title:
            for el in CSSSelector(css)(tree):
                el.text = title
                for child in list(el):
                    el.remove(child)
        body = next(el for css in rules.body for el in CSSSelector(css)(tree))
        attrib = dict(body.attrib)
        body.clear()  # children, text and attributes
        body.attrib.update(attrib)
        for text in paragraphs:
            p = lxml.html.Element("p")
            p.text = text
            body.append(p)
        for el in tree.iter("title"):
            el.text = title
        return lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")

    def list_page(self, lst: MirrorList) -> bytes:
        rows = "\n".join(
            f'<li><a href="{escape(self.pages[key].path)}" target="_blank">'
            f"{escape(self.pages[key].title)}</a><span>{self.pages[key].listed}</span></li>"
            for key in lst.rows
        )
        pager = ""
        if lst.next:
            first = lst.start or lst.path
            pager = f'<a href="{escape(first)}">首页</a> <a href="{escape(lst.next)}">下一页</a>'
        text = _site_file(self.name, lst.template).decode("utf-8")
        html = Template(text).substitute(
            label=escape(lst.label), start=escape(lst.start or lst.path), rows=rows, pager=pager
        )
        return html.encode("utf-8")

    def routes(self) -> dict[str, Route]:
        """The site: its list pages and article pages, by path (and query)."""
        routes = {lst.path: Route(self.list_page(lst)) for lst in self.lists}
        for page in self.articles():
            routes[page.path] = Route(self.article_page(page))
        return routes


def aggregator_named(name: str) -> Aggregator:
    for row in AGGREGATOR_ROWS:
        if row.name == name:
            return row
    known = ", ".join(row.name for row in AGGREGATOR_ROWS)
    raise KeyError(f"unknown aggregator {name!r}; known: {known}")


def aggregator_mirrors() -> list[AggregatorMirror]:
    """One mirror per aggregator row."""
    return [AggregatorMirror(row) for row in AGGREGATOR_ROWS]


def combined_routes(
    bureau: BureauMirror | None, aggregators: Sequence[AggregatorMirror] = ()
) -> dict[str, Route]:
    """One route table for a bureau mirror (or ``None``) and aggregator mirrors.

    Paths must not collide, except the root: a site whose list is its home page ``/``
    (dezhou) gets the bureau's navigation added to that page, instead of the bureau's
    JavaScript stub. Any other shared path is a ``ValueError``."""
    routes: dict[str, Route] = dict(bureau.routes()) if bureau is not None else {}
    owner = dict.fromkeys(routes, "bureau")
    for mirror in aggregators:
        for path, route in mirror.routes().items():
            if path == "/" and bureau is not None and owner.get("/") == "bureau":
                routes["/"] = Route(_with_navigation(route.body, bureau.navigation()))
                owner["/"] = mirror.name
                continue
            if path in routes:
                raise ValueError(f"{mirror.name} and {owner[path]} both serve {path}")
            routes[path] = route
            owner[path] = mirror.name
    return routes


def _with_navigation(page: bytes, navigation: str) -> bytes:
    html = page.decode("utf-8")
    head, sep, tail = html.rpartition("</body>")
    return (head + navigation + "\n" + sep + tail).encode("utf-8") if sep else page
