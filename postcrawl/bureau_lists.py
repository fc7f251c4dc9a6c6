"""Reading the bureau CMS's pages without Scrapy: home-page navigation, list pages, the JSON
search API and redirect stubs (the page shapes are described in ``docs/sites.md``).

The spider (:mod:`postcrawl.spiders.bureau`) fetches; these functions say what a fetched page
holds. Discovery works from what the site itself shows, not from a table of paths:

* a home page names its channels: every link to a ``…/common_list.shtml`` on the site's own
  host, whatever the prefix and depth (:func:`discover_channels`);
* a list page shows only about ten recent rows, and a "more" link
  ``common_listmore.shtml?channelId=<32 hex>&code=<cNNNNNN>`` (or ``common_listmores.shtml``)
  that names the channel's id (:func:`find_more_link`, :attr:`ListPage.more`);
* the JSON search API ``/common/search/<channelId>?…&page=N`` pages through the channel's whole
  history; it ends when the count reaches ``data.total`` or a page is empty.

No capture shows a numbered pager (``common_list_2.shtml``); a ``下一页`` link is still followed
where a page has one (a "more" page that paginates, say), but nothing relies on it.

A page these functions cannot read (empty, not HTML, an API answer that is not its JSON) raises
:class:`ListingError`: a page whose links and rows are unknown, not an article that failed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from lxml import etree

from postcrawl import dates
from postcrawl.chinese_text import clean_line
from postcrawl.extraction import ExtractionError, decode_html, parse_html, select

# `<script>window.location.href="/gjyzj/c100276/common_list.shtml"</script>` (a ~137-byte page).
_JS_REDIRECT = re.compile(
    r"""(?:window\.|document\.|top\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']""", re.I
)
# A stub is tiny; a real page with a location script somewhere (a mobile redirect) is not one.
MAX_STUB_BYTES = 2048
_NEXT_PAGE_TEXT = ("下一页", "下页", "后一页")
_NULLS = {"", "null", "none", "undefined"}
# A channel list, whatever the prefix and depth: /gjyzj/c100009/c100012/common_list.shtml
_CHANNEL_LIST = re.compile(r"/common_list\.shtml$")
# The "more" page of a list, with the channel id the search API takes.
_MORE_LINK = re.compile(
    r"""(?P<path>[^"'\s<>()]*common_listmores?\.shtml)\?(?P<query>[^"'\s<>()]*)""", re.I
)
_CHANNEL_ID = re.compile(r"[0-9a-f]{32}", re.I)
# A channel code segment: c100057, and the non-numeric ones seen (c204534nvg, yzkdyaqsc02)
# only when they start with c and digits.
_CODE = re.compile(r"c\d{5,}[0-9a-z]*", re.I)

API_PAGE_SIZE = 50


class ListingError(ValueError):
    """A home page, list page or search-API answer that cannot be read, so its channels or
    entries are unknown: ``str()`` is a one-line reason and ``kind`` a short key (``empty``,
    ``binary``, ``not-html``, ``not-json``, …). Not an :class:`ExtractionError`, which is about
    article pages."""

    def __init__(self, reason: str, kind: str = "unreadable") -> None:
        super().__init__(reason)
        self.kind = kind


def _read_html(body: bytes, encoding: str | None) -> tuple[str, etree._Element]:
    """A listing page as text and as a tree; :class:`ListingError` when it is not a page."""
    try:
        html = decode_html(body, encoding)
        return html, parse_html(html)
    except ExtractionError as exc:
        raise ListingError(str(exc), exc.kind) from None


@dataclass(frozen=True)
class ListEntry:
    """One article as a list or the API shows it. ``url`` is absolute."""

    url: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class MoreLink:
    """A list page's "more" link: where older rows are, and the channel's id for the API.

    ``channel_id`` is the 32-hex id the search API takes; ``code`` the channel code the link
    names (``c100276``), which need not be a segment of the list's own path."""

    url: str
    channel_id: str
    code: str | None = None


@dataclass(frozen=True)
class ChannelLink:
    """A channel list a home page links to. ``url`` is absolute; ``label`` the link text."""

    url: str
    label: str

    @property
    def codes(self) -> tuple[str, ...]:
        """The channel-code segments of the list's path (``c100009``, ``c100012``)."""
        return channel_codes(self.url)

    @property
    def prefix(self) -> str | None:
        """The site's path prefix the list sits under (``gdsyzglj``), if it has one."""
        segments = [s for s in urlsplit(self.url).path.split("/") if s]
        return segments[0] if len(segments) > 1 and not _CODE.fullmatch(segments[0]) else None


@dataclass
class ListPage:
    """What one list page holds: its rows, its "more" link, and a next page if it has one."""

    entries: list[ListEntry] = field(default_factory=list)
    next_url: str | None = None
    more: MoreLink | None = None


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


def channel_codes(url: str) -> tuple[str, ...]:
    """The channel-code segments of a URL's path, outermost first."""
    return tuple(s for s in urlsplit(url).path.split("/") if _CODE.fullmatch(s))


def is_channel_list(url: str) -> bool:
    """Whether *url* is a channel's static list (``…/common_list.shtml``)."""
    return bool(_CHANNEL_LIST.search(urlsplit(url).path))


def discover_channels(body: bytes, page_url: str, encoding: str | None = None) -> list[ChannelLink]:
    """The channel lists a page (the home page) links to, in page order, each once.

    Only lists on the page's own host count: the footer's links to other bureaus are not this
    site's channels. The label is the link's text (else its ``title``); where one list is
    linked several times, the first non-empty label wins. Raises :class:`ListingError` for
    an empty or non-HTML page."""
    _, tree = _read_html(body, encoding)
    host = urlsplit(page_url).hostname
    found: dict[str, str] = {}
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(page_url, href).split("#", 1)[0]
        parts = urlsplit(url)
        if parts.hostname != host or not is_channel_list(url):
            continue
        # The same list with and without a query string is one channel.
        url = url.split("?", 1)[0]
        label = clean_line(anchor.text_content() or "") or clean_line(anchor.get("title") or "")
        if not found.get(url):
            found[url] = label
    return [ChannelLink(url, label) for url, label in found.items()]


def find_more_link(html: str, page_url: str) -> MoreLink | None:
    """The list's "more" link (``common_listmore(s).shtml?channelId=…&code=…``), read from the
    page's text so that a link in a script or an ``onclick`` counts too; ``None`` when the page
    names no channel id."""
    for m in _MORE_LINK.finditer(unescape(html)):
        query = parse_qs(m["query"], keep_blank_values=True)
        channel_id = next(iter(query.get("channelId", [])), "").strip()
        if not _CHANNEL_ID.fullmatch(channel_id):
            continue
        code = next(iter(query.get("code", [])), "").strip() or None
        url = urljoin(page_url, f"{m['path']}?{m['query']}")
        return MoreLink(url, channel_id.lower(), code)
    return None


def parse_list_page(body: bytes, page_url: str, encoding: str | None = None) -> ListPage:
    """The article links of a static list page (``common_list.shtml``, or a "more" page), with
    their dates and titles, its "more" link and a next page if it has one. Raises
    :class:`ListingError` for an empty or non-HTML page."""
    html, tree = _read_html(body, encoding)
    page = ListPage(more=find_more_link(html, page_url))
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
    """The entries and total of one API answer. Raises :class:`ListingError` (kind
    ``not-json``) when the answer is not the API's JSON (an HTML error page, say)."""
    try:
        payload = json.loads(body.decode("utf-8-sig"))
        data = payload["data"]
        results = data.get("results") or []
        total = int(data.get("total") or 0)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ListingError(f"not the search API's JSON: {exc}", "not-json") from None
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
