"""Sites as data: what the extractor and the spiders need to know about one publisher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SiteKind = Literal["bureau", "aggregator", "generic"]


@dataclass(frozen=True)
class PageRules:
    """Per-site extraction hints. Every selector list is tried in order; CSS syntax.

    An empty ``body`` means "let trafilatura find the article on the whole page".
    """

    body: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    # Kicker / pre-title / sub-title elements: dropped where they repeat inside the body.
    header: tuple[str, ...] = ()
    # Elements holding the visible date/source line, read before the page text at large.
    meta: tuple[str, ...] = ()
    # Elements inside the article area that are not the article (QR codes, share, print).
    remove: tuple[str, ...] = ()
    # Elements whose links are attachments, recorded in the metadata.
    attachments: tuple[str, ...] = ()
    # Fixed lines of the site itself (its name, ticker labels), removed wherever they appear.
    chrome_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Site:
    """One publisher: a bureau site, an aggregator, or the generic fallback.

    ``name`` is the spider name and the ``site`` value in the archive; ``domain`` and
    ``path_prefix`` decide which URLs belong to it; ``display_name`` is the source written
    when a page names none.
    """

    name: str
    display_name: str
    domain: str
    kind: SiteKind
    rules: PageRules = field(default_factory=PageRules)
    official: bool = False
    path_prefix: str = "/"
    extra_domains: tuple[str, ...] = ()
    # Free-form facts for the spiders of this site family (channels, province, API ids, …).
    province: str | None = None
    # Topic filter for general news sites: an article is kept only when its title or body
    # names one of these words (after conversion to simplified). Empty: keep everything.
    topic_keywords: tuple[str, ...] = ()

    def matches(self, host: str, path: str) -> bool:
        """Whether a URL with this *host* and *path* belongs to this site."""
        host = host.lower().split(":")[0]
        domains = (self.domain, *self.extra_domains)
        on_host = any(host == d or host == "www." + d or host.endswith("." + d) for d in domains)
        return on_host and path.startswith(self.path_prefix)
