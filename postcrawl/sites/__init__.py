"""The site table: every publisher postcrawl knows, and the lookup from a URL to its site."""

from __future__ import annotations

from urllib.parse import urlsplit

from postcrawl.sites.aggregators import AGGREGATORS
from postcrawl.sites.bureaus import BUREAU_SITES
from postcrawl.sites.model import PageRules, Site

SITES: dict[str, Site] = {site.name: site for site in (*BUREAU_SITES, *AGGREGATORS)}


def generic_site(host: str) -> Site:
    """The site used for a URL no row claims: trafilatura alone, the host as its name."""
    return Site(name="generic", display_name=host or "unknown", domain=host)


def site_for_url(url: str) -> Site:
    """The most specific site row that claims *url* (longest path prefix), else the generic one."""
    parts = urlsplit(url)
    candidates = [s for s in SITES.values() if s.matches(parts.hostname or "", parts.path or "/")]
    if not candidates:
        return generic_site(parts.hostname or "")
    return max(candidates, key=lambda s: (len(s.path_prefix), len(s.domain)))


def get_site(name: str) -> Site:
    """The site row called *name*; ``KeyError`` names the known ones when there is none."""
    try:
        return SITES[name]
    except KeyError:
        raise KeyError(f"unknown site {name!r}; known: {', '.join(sorted(SITES))}") from None


__all__ = ["SITES", "PageRules", "Site", "generic_site", "get_site", "site_for_url"]
