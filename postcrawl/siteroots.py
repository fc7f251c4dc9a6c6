"""The two roots of a crawl and the one mapping between them (no Scrapy).

A site has a *real* root (``https://gd.spb.gov.cn``): the URLs the archive records, the seen
table and the crawl frontier are all on it. A crawl fetches from the *crawled* root: the real
one, or a mirror's (``-a base_url=http://127.0.0.1:8000``, possibly below a path of its host,
``http://127.0.0.1:8000/gd``). :class:`SiteRoots` turns one into the other:

* :meth:`SiteRoots.fetch`: a path, or a URL on the real site → the URL to fetch;
* :meth:`SiteRoots.real_url`: a fetched URL → the real site's URL (what the archive records);
* :meth:`SiteRoots.link`: a link found on a page (or given by the search API) → the URL to
  fetch, on the real site's own scheme (its ``http://`` links would only answer with a 301);
* :meth:`SiteRoots.on_crawled_host`: whether a URL to fetch is on the crawled host (lists
  link to other sites too).

URLs on other hosts pass through :meth:`fetch` and :meth:`real_url` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit


@dataclass(frozen=True)
class SiteRoots:
    """The real site's root and the root the crawl fetches from (the same, without a mirror).

    Both are absolute ``http(s)`` URLs; a trailing ``/`` is dropped."""

    real: str
    crawled: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "real", self.real.rstrip("/"))
        object.__setattr__(self, "crawled", self.crawled.rstrip("/"))

    @classmethod
    def of(cls, real: str, crawled: str | None = None) -> SiteRoots:
        """The roots of a crawl of *real*, on the mirror at *crawled* when one is given."""
        return cls(real, crawled or real)

    @property
    def mirrored(self) -> bool:
        """Whether the crawl fetches from another root than the real site's."""
        return self.crawled != self.real

    def fetch(self, path_or_real_url: str) -> str:
        """The URL to fetch for a path (``/gdsyzglj/index.shtml``, joined to the crawled root)
        or for an absolute URL on the real site (its root swapped for the crawled one, path,
        query and fragment kept). An absolute URL on another host is returned as it is."""
        if not urlsplit(path_or_real_url).scheme:
            return urljoin(self.crawled + "/", path_or_real_url.lstrip("/"))
        if self.mirrored and self._on_real_host(path_or_real_url):
            return self.crawled + _after_netloc(path_or_real_url)
        return path_or_real_url

    def real_url(self, fetched_url: str) -> str:
        """The real site's URL for a URL on the crawled root (a mirror's root is swapped back
        for the real one). Any other URL is returned as it is."""
        if not self.mirrored or not fetched_url.startswith(self.crawled):
            return fetched_url
        rest = fetched_url[len(self.crawled) :]
        if rest and rest[0] not in "/?#":
            return fetched_url  # another root that merely starts alike (:80001, /gdx)
        return self.real + rest

    def link(self, found_url: str) -> str:
        """The URL to fetch for an absolute link found on the real site or on the crawled root.
        A link to the real site's host takes the real site's scheme (its ``http://`` links
        go straight to ``https://``) and then the crawled root (:meth:`fetch`); a link
        elsewhere (the crawled root, another site) stays. The fragment is dropped."""
        parts = urlsplit(found_url)
        if self._on_real_host(found_url):
            real = urlsplit(self.real)
            found_url = urlunsplit((real.scheme, real.netloc, parts.path, parts.query, ""))
            return self.fetch(found_url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))

    def on_crawled_host(self, url: str) -> bool:
        """Whether *url* (a URL to fetch) is on the crawled root's host."""
        return urlsplit(url).hostname == urlsplit(self.crawled).hostname

    def _on_real_host(self, url: str) -> bool:
        return urlsplit(url).hostname == urlsplit(self.real).hostname


def _after_netloc(url: str) -> str:
    """The path, query and fragment of an absolute URL, as written."""
    parts = urlsplit(url)
    return url.split(parts.netloc, 1)[1] if parts.netloc else url
