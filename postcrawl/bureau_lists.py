"""Reading the bureau CMS's list pages and JSON search API (sites.md §1). No Scrapy here.

The spider (:mod:`postcrawl.spiders.bureau`) fetches; these functions say what a fetched list
holds: the article links with the title and date the list shows, the next page, and whether
the page is only a JavaScript redirect stub.

Pagination assumption (documented in the README): the static list ``common_list.shtml`` shows
a recent window and, where it has more pages, a pager whose ``下一页`` link points at
``common_list_<N>.shtml``. A page without such a link is the last one. The JSON API is paged
with ``page=N`` and ``_pageSize``; it ends when the count reaches ``data.total`` or a page is
empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from lxml import etree

from postcrawl import dates
from postcrawl.extraction import ExtractionError, decode_html, parse_html, select
from postcrawl.textnorm import clean_line

# `<script>window.location.href="/gjyzj/c100276/common_list.shtml"</script>` (a ~137-byte page).
_JS_REDIRECT = re.compile(
    r"""(?:window\.|document\.|top\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']""", re.I
)
# A stub is tiny; a real page with a location script somewhere (a mobile redirect) is not one.
MAX_STUB_BYTES = 2048
_NEXT_PAGE_TEXT = ("下一页", "下页", "后一页")
_NULLS = {"", "null", "none", "undefined"}

API_PAGE_SIZE = 50


@dataclass(frozen=True)
class ListEntry:
    """One article as a list or the API shows it. ``url`` is absolute."""

    url: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None


@dataclass
class ListPage:
    """What one list page holds."""

    entries: list[ListEntry] = field(default_factory=list)
    next_url: str | None = None


@dataclass
class ApiPage:
    """One page of the JSON search API."""

    entries: list[ListEntry]
    total: int


def js_redirect_target(body: bytes, base_url: str) -> str | None:
    """The absolute target of a JavaScript redirect stub, or ``None`` when *body* is a page."""
    if len(body) > MAX_STUB_BYTES or b"location" not in body:
        return None
    text = body.decode("utf-8", errors="replace")
    m = _JS_REDIRECT.search(text)
    if m is None:
        return None
    # A stub has (almost) no visible text besides the script.
    visible = re.sub(r"<script.*?</script>|<[^>]+>|\s+", "", text, flags=re.S | re.I)
    if len(visible) > 40:
        return None
    return urljoin(base_url, m[1].strip())


def _entry_date(anchor: etree._Element) -> str | None:
    """The date shown beside a list link: in the link (``<span>``) or its row (``<li>``)."""
    row = anchor.getparent()
    for scope in (anchor, row):
        if scope is None:
            continue
        for span in scope.iter("span", "em", "i", "font"):
            found = dates.find_datetime(span.text_content() or "")
            if found:
                return found
    if row is not None:
        return dates.find_datetime(row.text_content() or "")
    return None


def _entry_title(anchor: etree._Element) -> str | None:
    for el in anchor.iter("p", "h3", "h4"):
        text = clean_line(el.text_content() or "")
        if text:
            return text
    text = clean_line(anchor.get("title") or "")
    if text:
        return text
    # The link text without its date span.
    parts = [anchor.text or ""]
    for child in anchor:
        if child.tag not in ("span", "em", "i", "font"):
            parts.append(child.text_content() or "")
        parts.append(child.tail or "")
    return clean_line("".join(parts)) or None


def is_article_url(url: str) -> bool:
    """A link that looks like an article of the CMS: ``…/<YYYYMM>/<id>.shtml`` (current) or
    ``…/<YYYYMM>/t<YYYYMMDD>_<id>.html`` (old TRS)."""
    path = urlsplit(url).path
    return bool(
        re.search(r"/\d{6}/[0-9a-zA-Z_-]+\.s?html?$", path)
        and not path.rsplit("/", 1)[-1].startswith(("common_list", "index"))
    )


def parse_list_page(body: bytes, page_url: str, encoding: str | None = None) -> ListPage:
    """The article links of a static ``common_list`` page, with their dates and titles, and
    the next page. Raises :class:`ExtractionError` for an empty or non-HTML page."""
    tree = parse_html(decode_html(body, encoding))
    page = ListPage()
    seen: set[str] = set()
    for anchor in select(tree, "li a[href]"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(page_url, href)
        if not is_article_url(url) or url in seen:
            continue
        seen.add(url)
        page.entries.append(ListEntry(url, _entry_title(anchor), _entry_date(anchor)))
    for anchor in tree.iter("a"):
        text = clean_line(anchor.text_content() or "")
        href = (anchor.get("href") or "").strip()
        if text in _NEXT_PAGE_TEXT and href and not href.startswith(("javascript:", "#")):
            target = urljoin(page_url, href)
            if target != page_url:
                page.next_url = target
            break
    return page


def api_url(base_url: str, channel_id: str, page: int, page_size: int = API_PAGE_SIZE) -> str:
    """The JSON search API URL for one page of a channel, parameters in the site's own order."""
    query = urlencode(
        {
            "_isAgg": "true",
            "_isJson": "true",
            "_pageSize": page_size,
            "_template": "index",
            "_rangeTimeGte": "",
            "_channelName": "",
            "page": page,
        }
    )
    return f"{base_url.rstrip('/')}/common/search/{channel_id}?{query}"


def _meta_value(result: dict[str, Any], key: str) -> str | None:
    for meta in result.get("domainMetaList") or []:
        for pair in (meta or {}).get("resultList") or []:
            if (pair or {}).get("key") == key:
                value = str(pair.get("value") or "").strip()
                return None if value.lower() in _NULLS else value
    return None


def parse_api_page(body: bytes, page_url: str) -> ApiPage:
    """The entries and total of one API answer. Raises :class:`ExtractionError` (kind
    ``not-json``) when the answer is not the API's JSON (an HTML error page, say)."""
    try:
        payload = json.loads(body.decode("utf-8-sig"))
        data = payload["data"]
        results = data.get("results") or []
        total = int(data.get("total") or 0)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ExtractionError(f"not the search API's JSON: {exc}", "not-json") from None
    entries = []
    for result in results:
        if not isinstance(result, dict) or not result.get("url"):
            continue
        published = dates.find_datetime(str(result.get("publishedTimeStr") or ""))
        if published is None and result.get("publishedTime") is not None:
            published = dates.from_epoch_ms(result["publishedTime"])
        title = clean_line(str(result.get("title") or "")) or None
        entries.append(
            ListEntry(
                url=urljoin(page_url, str(result["url"]).strip()),
                title=title,
                published=published,
                source=_meta_value(result, "source"),
                author=_meta_value(result, "author"),
            )
        )
    return ApiPage(entries, total)
