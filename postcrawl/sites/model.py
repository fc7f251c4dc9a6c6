"""Sites as data: what the extractor and the spiders need to know about one publisher."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal

# How well a fact in a row is supported: "seen" (a public crawler or capture shows it),
# "seen-weak" (only machine-made dumps), "inferred" (reasoned from seen facts), "guess".
Evidence = Literal["seen", "seen-weak", "inferred", "guess"]


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
class RuleVersion:
    """One generation of a site's article pages (Fundus-style): the rules that read it and the
    URLs it serves. A site that relaunched keeps one version per page generation instead of one
    long selector list that mixes them."""

    name: str  # e.g. "V1 (2019)"
    # Regular expression searched in the URL's path: which pages this version reads.
    url_pattern: str
    rules: PageRules
    evidence: Evidence = "seen"

    def applies_to(self, path: str) -> bool:
        """Whether a page at *path* is of this generation."""
        return _compiled(self.url_pattern).search(path) is not None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def merged_rules(versions: tuple[RuleVersion, ...]) -> PageRules:
    """Every version's selectors, newest version first, each once: the rules for a caller that
    cannot say which page it reads. The versions' selectors are specific to their layout, so on
    a page of one generation the other's do not match."""

    def union(name: str) -> tuple[str, ...]:
        out: list[str] = []
        for version in reversed(versions):
            out += [css for css in getattr(version.rules, name) if css not in out]
        return tuple(out)

    return PageRules(**{name: union(name) for name in PageRules.__dataclass_fields__})


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
    rules: PageRules = field(default_factory=PageRules)
    official: bool = False
    path_prefix: str = "/"
    extra_domains: tuple[str, ...] = ()
    # Free-form facts for the spiders of this site family (channels, province, API ids, …).
    province: str | None = None
    # Topic filter for general news sites: an article is kept only when its title or body
    # names one of these words (after conversion to simplified). Empty: keep everything.
    topic_keywords: tuple[str, ...] = ()
    # Page generations, oldest first; empty for a site with one layout (``rules`` reads it).
    versions: tuple[RuleVersion, ...] = ()

    def version_for(self, url_path: str) -> RuleVersion | None:
        """The page generation a URL path belongs to, if the site has versions."""
        return next((v for v in self.versions if v.applies_to(url_path)), None)

    def for_path(self, url_path: str) -> Site:
        """This site with the rules of the page generation at *url_path* (itself when the site
        has one layout or the path matches no version). Extractors that know the URL should
        read with this rather than the merged :attr:`rules`."""
        version = self.version_for(url_path)
        return replace(self, rules=version.rules) if version else self

    def matches(self, host: str, path: str) -> bool:
        """Whether a URL with this *host* and *path* belongs to this site."""
        host = host.lower().split(":")[0]
        domains = (self.domain, *self.extra_domains)
        on_host = any(host == d or host == "www." + d or host.endswith("." + d) for d in domains)
        return on_host and path.startswith(self.path_prefix)
