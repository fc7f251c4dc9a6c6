"""``postcrawl probe``: check, with a handful of polite requests, that each site still has the
shape the spiders expect. Nothing is archived.

Per bureau (the steps the crawl depends on, in its order):

1. **home page**: ``/`` answers, JavaScript stubs and HTTP redirects followed;
2. **navigation**: the home page links to channel lists (:func:`discover_channels`);
3. **list rows**: one channel list shows article rows (:func:`parse_list_page`);
4. **channel id**: the list's more-link names the channel's 32-hex id;
5. **API**: the JSON search API answers for that id (its ``data.total``);
6. **article**: one listed article is fetched and extracted as the pipeline would
   (title, date, body length, whether a chrome line survived the filter).

Per aggregator: **list rows** of its first list page (the row's selectors and article-link
pattern), then one **article**.

Every step runs where it can, so one probe shows everything that changed; without navigation
the row's channel hints stand in, as they do in the crawl.

**Severity.** A site is ``FAIL`` when a step failed that stops a crawl: the home page, the
navigation (the hints only cover a guessed subset of channels), list rows where the API does
not list the channel either, or the article (fetch or extraction). It is ``degraded`` when the
crawl still runs but gets less or worse: the API (the crawl keeps the ~10 static rows per
channel and reads the more page), no channel id on the list, list rows missing while the API
lists the channel, an article without a date, or a chrome line that survived the filter.
:attr:`ProbeReport.exit_status` is 1 only when some site is ``FAIL``.

Where a difference between the site and its row can be inferred (the prefix the site uses is
not the row's hint, a hinted channel is not in the navigation, a channel's API id differs),
the site's ``suggestions`` name the row change.

HTTP goes through a :data:`Transport` (``urllib.request`` by default), so tests swap in one
that maps the real hosts to local mirrors. :class:`Fetcher` adds what makes it polite: the
project's user agent, robots.txt (protego, as Scrapy reads it) and a delay per host.
"""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPException
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from protego import Protego

from postcrawl.article_text import normalize_extracted
from postcrawl.atomic import atomic_output
from postcrawl.boilerplate import chrome_rule
from postcrawl.bureau_lists import (
    ChannelLink,
    ListEntry,
    ListingError,
    ListPage,
    api_url,
    discover_channels,
    js_redirect_target,
    parse_api_page,
    parse_list_page,
)
from postcrawl.chinese_text import clean_line, comparable, to_simplified
from postcrawl.extraction import (
    ExtractionError,
    PageHints,
    decode_html,
    extract_article,
    parse_html,
    select,
)
from postcrawl.settings import DOWNLOAD_DELAY, DOWNLOAD_MAXSIZE, DOWNLOAD_TIMEOUT, USER_AGENT
from postcrawl.siteroots import SiteRoots
from postcrawl.sites.aggregators import AGGREGATOR_ROWS, Aggregator
from postcrawl.sites.bureaus import BUREAUS, Bureau, Channel
from postcrawl.sites.model import Site
from postcrawl.topic import matched_keyword

# The crawl's per-host floor (settings.DOWNLOAD_DELAY): the probe never goes faster by default.
DEFAULT_DELAY = DOWNLOAD_DELAY
# Redirect stubs followed in a row (as the spider: MAX_STUB_HOPS).
MAX_STUB_HOPS = 3
# Channel lists and articles tried before a step is given up (keeps a site at <= 8 requests).
LIST_TRIES = 2
ARTICLE_TRIES = 2
# A hard cap per site, robots.txt, stubs and retries included: past it, requests fail unsent.
MAX_REQUESTS_PER_SITE = 8
LABELS_SHOWN = 5

StepStatus = Literal["ok", "FAIL", "skipped"]
SiteStatus = Literal["ok", "degraded", "FAIL"]


# -- HTTP ----------------------------------------------------------------------------------
@dataclass
class FetchResult:
    """One answer: the final URL (after HTTP redirects), status, body and Content-Type.
    ``error`` is set when there was no HTTP answer (network error, robots.txt refusal)."""

    url: str
    status: int = 0
    body: bytes = b""
    content_type: str = ""
    error: str | None = None

    @property
    def charset(self) -> str | None:
        return self.content_type.partition("charset=")[2].split(";")[0].strip() or None

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300 and bool(self.body.strip())

    def reason(self) -> str:
        """Why the answer is not a page: ``HTTP 404``, ``empty 200 answer``, the error."""
        if self.error:
            return self.error
        if not 200 <= self.status < 300:
            return f"HTTP {self.status}"
        return f"empty {self.status} answer" if not self.body.strip() else "ok"


# (url, headers, timeout) -> answer. HTTP redirects are the transport's to follow.
Transport = Callable[[str, Mapping[str, str], float], FetchResult]

# As Scrapy's default TLS context factory: certificates are not verified (several bureau sites
# serve incomplete chains), so the probe predicts what the crawl sees.
_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


def urllib_transport(url: str, headers: Mapping[str, str], timeout: float) -> FetchResult:
    """A GET with ``urllib.request`` (redirects followed, at most ``DOWNLOAD_MAXSIZE`` read)."""
    request = urllib.request.Request(url, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=_TLS) as answer:
            body = answer.read(DOWNLOAD_MAXSIZE + 1)
            status, final, ctype = answer.status, answer.url, answer.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(DOWNLOAD_MAXSIZE + 1)
        except (OSError, HTTPException):
            body = b""
        return FetchResult(exc.url or url, exc.code, body, exc.headers.get("Content-Type") or "")
    except urllib.error.URLError as exc:
        return FetchResult(url, error=f"{type(exc.reason).__name__}: {exc.reason}")
    except (OSError, HTTPException, ValueError) as exc:
        return FetchResult(url, error=f"{type(exc).__name__}: {exc}")
    if len(body) > DOWNLOAD_MAXSIZE:
        return FetchResult(final, status, b"", ctype or "", error="answer larger than 16 MB")
    return FetchResult(final, status, body, ctype or "")


class Fetcher:
    """Polite GETs for the probe: the project's user agent, robots.txt obeyed (read once per
    host; an unreadable robots.txt allows everything, as in Scrapy), at least *delay* seconds
    between two requests to one host, one retry after a 5xx or a network error. Counts every
    request it sends, robots.txt included, and sends at most *per_site* between two
    :meth:`begin_site` calls."""

    def __init__(
        self,
        transport: Transport | None = None,
        delay: float = DEFAULT_DELAY,
        user_agent: str = USER_AGENT,
        timeout: float = DOWNLOAD_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        per_site: int | None = MAX_REQUESTS_PER_SITE,
    ) -> None:
        self.per_site = per_site
        self._site_start = 0
        self.transport = transport or urllib_transport
        self.delay = max(0.0, delay)
        self.user_agent = user_agent
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._last: dict[str, float] = {}
        self._robots: dict[str, tuple[Protego | None, str]] = {}
        self.requests = 0
        self.log: list[tuple[str, str]] = []  # (url, outcome) of every request sent

    def begin_site(self) -> None:
        """Start counting the next site's requests against :attr:`per_site`."""
        self._site_start = self.requests

    @property
    def site_requests(self) -> int:
        return self.requests - self._site_start

    def _send(self, url: str) -> FetchResult:
        if self.per_site is not None and self.site_requests >= self.per_site:
            return FetchResult(url, error=f"not sent: {self.per_site} requests per site spent")
        host = urlsplit(url).netloc.lower()
        wait = self._last.get(host, -1e9) + self.delay - self._clock()
        if wait > 0:
            self._sleep(wait)
        self.requests += 1
        headers = {"User-Agent": self.user_agent, "Accept-Language": "zh-CN,zh;q=0.9"}
        try:
            result = self.transport(url, headers, self.timeout)
        finally:
            self._last[host] = self._clock()
        self.log.append((url, result.reason() if not result.ok else f"HTTP {result.status}"))
        return result

    def robots(self, url: str) -> tuple[Protego | None, str]:
        """The robots.txt rules of *url*'s host (``None``: everything allowed) and a note."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        if key not in self._robots:
            answer = self._send(key + "/robots.txt")
            if answer.error is not None and answer.error.startswith("not sent"):
                return None, answer.error  # not cached: nothing was learnt
            if answer.error is None and answer.status == 200:
                text = answer.body.decode("utf-8", errors="replace")
                self._robots[key] = (Protego.parse(text), "HTTP 200")
            else:
                self._robots[key] = (None, f"{answer.reason()}: no rules")
        return self._robots[key]

    def allowed(self, url: str) -> bool:
        rules, _ = self.robots(url)
        return rules is None or bool(rules.can_fetch(url, self.user_agent))

    def get(self, url: str) -> FetchResult:
        """GET *url* politely; a URL robots.txt forbids is not requested."""
        if not self.allowed(url):
            return FetchResult(url, error="forbidden by robots.txt")
        result = self._send(url)
        if result.error is not None or result.status >= 500:
            result = self._send(url)  # one retry: the crawl retries 3 times with back-off
        return result


# -- the report ----------------------------------------------------------------------------
@dataclass
class Step:
    """One checked fact. ``fatal``: whether its failure stops a crawl (else it degrades it)."""

    name: str
    status: StepStatus = "skipped"
    detail: str = ""
    fatal: bool = True

    def ok(self, detail: str = "") -> None:
        self.status, self.detail = "ok", detail

    def fail(self, detail: str, fatal: bool | None = None) -> None:
        self.status, self.detail = "FAIL", detail
        if fatal is not None:
            self.fatal = fatal

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "fatal": self.fatal,
        }


@dataclass
class SiteReport:
    """What the probe found on one site: steps, key figures, suggested row changes."""

    site: str
    kind: str
    base_url: str
    steps: dict[str, Step] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    def step(self, name: str, fatal: bool = True) -> Step:
        self.steps[name] = Step(name, fatal=fatal)
        return self.steps[name]

    @property
    def failures(self) -> list[Step]:
        return [s for s in self.steps.values() if s.status == "FAIL"]

    @property
    def status(self) -> SiteStatus:
        failures = self.failures
        if any(s.fatal for s in failures):
            return "FAIL"
        return "degraded" if failures else "ok"

    @property
    def first_failure(self) -> str | None:
        """The first failing step, fatal ones first: ``home page: HTTP 404``."""
        failures = sorted(self.failures, key=lambda s: not s.fatal)
        return f"{failures[0].name}: {failures[0].detail}" if failures else None

    def as_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "kind": self.kind,
            "base_url": self.base_url,
            "status": self.status,
            "first_failure": self.first_failure,
            "steps": [s.as_json() for s in self.steps.values()],
            "figures": self.figures,
            "suggestions": self.suggestions,
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class ProbeReport:
    sites: list[SiteReport]
    delay: float
    user_agent: str
    started: str

    @property
    def exit_status(self) -> int:
        """0 when no site fails (``degraded`` sites pass), 1 otherwise."""
        return 1 if any(s.status == "FAIL" for s in self.sites) else 0

    def as_json(self) -> dict[str, Any]:
        counts = Counter(s.status for s in self.sites)
        return {
            "started": self.started,
            "user_agent": self.user_agent,
            "delay": self.delay,
            "exit_status": self.exit_status,
            "counts": {k: counts.get(k, 0) for k in ("ok", "degraded", "FAIL")},
            "sites": [s.as_json() for s in self.sites],
        }


def write_json(report: ProbeReport, path: Path) -> None:
    """Write the report as JSON atomically: a temporary file beside *path*, then a rename."""
    with atomic_output(Path(path), "w") as out:
        out.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")


# -- URLs ----------------------------------------------------------------------------------
def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _get_page(fetcher: Fetcher, root: SiteRoots, url: str) -> tuple[FetchResult, int]:
    """GET *url* and follow JavaScript redirect stubs; the answer and the stubs followed."""
    answer = fetcher.get(url)
    hops = 0
    while answer.ok and hops < MAX_STUB_HOPS:
        target = js_redirect_target(answer.body, answer.url)
        if target is None:
            break
        hops += 1
        answer = fetcher.get(root.link(target))
    return answer, hops


# -- the article (both families) -----------------------------------------------------------
def chrome_survivors(paragraphs: Iterable[str], site: Site) -> list[str]:
    """The chrome rules (and the site's own fixed lines) that extracted paragraphs still
    match: each should have been dropped by the filter."""
    fixed = {comparable(c) for c in site.rules.chrome_lines}
    found = []
    for paragraph in paragraphs:
        view = to_simplified(paragraph)
        rule = chrome_rule(view)
        if rule is not None:
            found.append(rule.name)
        elif comparable(view) in fixed:
            found.append("site-chrome")
    return found


def _probe_article(
    report: SiteReport,
    fetcher: Fetcher,
    root: SiteRoots,
    site: Site,
    entries: Sequence[ListEntry],
) -> None:
    step = report.step("article")
    candidates = [e for e in entries if root.on_crawled_host(root.link(e.url))]
    if not candidates:
        # Nothing listed: the failure is the list's (or the API's), not the article page's.
        step.detail = "no listed article" if not entries else "every listed article is off-site"
        if entries:
            step.fail(step.detail)
        return
    last = ""
    for entry in candidates[:ARTICLE_TRIES]:
        answer, _ = _get_page(fetcher, root, root.link(entry.url))
        url = root.real_url(answer.url)
        if not answer.ok:
            last = f"{answer.reason()} ({url})"
            continue
        page_site = site.for_path(urlsplit(url).path)
        hints = PageHints(entry.title, entry.published, entry.source, entry.author)
        try:
            article = normalize_extracted(
                extract_article(
                    answer.body, url, site=page_site, hints=hints, encoding=answer.charset
                )
            )
        except ExtractionError as exc:
            last = f"no article ({exc}) at {url}"
            continue
        survivors = chrome_survivors(article.paragraphs, page_site)
        chars = sum(len(p) for p in article.paragraphs)
        report.figures["article"] = {
            "url": url,
            "title": article.title,
            "published": article.published,
            "undated_reason": article.undated_reason,
            "source": article.source,
            "paragraphs": len(article.paragraphs),
            "chars": chars,
            "method": article.method,
            "chrome_dropped": dict(article.dropped),
            "chrome_survived": survivors,
        }
        if site.topic_keywords:
            keyword = matched_keyword(article.title, article.paragraphs, site.topic_keywords)
            report.figures["article"]["postal"] = keyword is not None
        if survivors:
            step.fail(f"chrome line survived ({', '.join(sorted(set(survivors)))})", fatal=False)
        elif article.published is None:
            step.fail(f"no date ({article.undated_reason})", fatal=False)
        else:
            step.ok(f"{chars} chars, {article.published[:10]}")
        return
    step.fail(last)


# -- bureaus -------------------------------------------------------------------------------
def _home_prefix(url: str) -> str | None:
    """The prefix a home page's address shows: ``/gdsyzglj/index.shtml`` → ``gdsyzglj``."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return segments[0] if len(segments) > 1 else None


def _hinted_lists(bureau: Bureau, root: SiteRoots) -> list[ChannelLink]:
    """The row's channel hints as list links, as the spider uses them without navigation."""
    return [
        ChannelLink(root.real + bureau.list_path(hint), hint.label)
        for hint in bureau.hint_channels
        if hint.path
    ]


def _row_suggestions(
    bureau: Bureau,
    links: Sequence[ChannelLink],
    home_prefix: str | None,
    where: str,
) -> list[str]:
    """Row changes the site's own navigation (or home address) suggests."""
    out: list[str] = []
    prefixes = Counter(link.prefix for link in links if link.prefix)
    found = prefixes.most_common(1)[0][0] if prefixes else home_prefix
    row = f"the {bureau.code} row of postcrawl/sites/bureaus.py"
    if found and found != bureau.hint_prefix:
        out.append(
            f"row hint prefix {bureau.hint_prefix} ({bureau.prefix_evidence}), site uses {found} "
            f"({where}): set prefix={found!r} in {row}"
        )
    elif found and bureau.prefix is None:
        out.append(
            f"the guessed prefix {found} is what the site uses ({where}): {row} can name it as seen"
        )
    if not links:
        return out
    found_paths = {"/".join(link.codes): link for link in links}
    for hint in bureau.channels:
        if not hint.path or hint.path in found_paths:
            continue
        same_label = [link for link in links if hint.label and link.label == hint.label]
        if same_label:
            moved = "/".join(same_label[0].codes)
            out.append(
                f"row hint channel {hint.path} ({hint.label}) is not in the navigation; the site "
                f"lists {hint.label} at {moved}: update {row}"
            )
        else:
            label = f" ({hint.label})" if hint.label else ""
            out.append(
                f"row hint channel {hint.path}{label} is not in the navigation "
                f"({len(links)} lists found); check {row}"
            )
    return out


def _hint_for(bureau: Bureau, codes: Sequence[str]) -> Channel | None:
    path = "/".join(codes)
    return next((c for c in bureau.channels if c.path and c.path == path), None)


def probe_bureau(bureau: Bureau, fetcher: Fetcher, base_url: str | None = None) -> SiteReport:
    """Probe one bureau site (its mirror at *base_url*, if given): its home page, navigation,
    one list's rows and channel id, the search API for that id, and one article."""
    real = f"https://{bureau.domain}"
    root = SiteRoots.of(real, base_url)
    report = SiteReport(bureau.spider_name, "bureau", root.crawled)
    started = time.monotonic()
    fetcher.begin_site()
    home = _probe_home(report, fetcher, root)
    links = _probe_navigation(report, home)
    home_prefix = _home_prefix(root.real_url(home.url)) if home is not None else None
    candidates = _list_candidates(report, bureau, root, links, home_prefix)
    listing, chosen, entries = _probe_list_rows(report, fetcher, root, candidates)
    channel_id = _probe_channel_id(report, bureau, listing, chosen)
    api_entries = _probe_api(report, fetcher, root, channel_id)
    _probe_article(report, fetcher, root, bureau.site, entries or api_entries)
    report.requests = fetcher.site_requests
    report.seconds = time.monotonic() - started
    return report


def _probe_home(report: SiteReport, fetcher: Fetcher, root: SiteRoots) -> FetchResult | None:
    """Step 1, the home page (after any JavaScript stubs): the answer, or ``None``."""
    home = report.step("home page")
    answer, hops = _get_page(fetcher, root, root.fetch("/"))
    report.figures["robots"] = fetcher.robots(root.fetch("/"))[1]
    if not answer.ok:
        home.fail(answer.reason())
        return None
    home_url = root.real_url(answer.url)
    home.ok(home_url + (f" ({hops} JS stub{'s' * (hops > 1)})" if hops else ""))
    report.figures["home"] = home_url
    return answer


def _probe_navigation(report: SiteReport, home: FetchResult | None) -> list[ChannelLink]:
    """Step 2, the home page's navigation: the channel lists it links to."""
    nav = report.step("navigation")
    if home is None:
        nav.detail = "no home page"
        return []
    try:
        links = discover_channels(home.body, home.url, home.charset)
    except ListingError as exc:
        nav.fail(f"home page unreadable ({exc})")
        return []
    if not links:
        nav.fail("no channel lists found")
        return []
    labels = [link.label or "/".join(link.codes) for link in links]
    shown = ", ".join(labels[:LABELS_SHOWN]) + (", …" if len(labels) > LABELS_SHOWN else "")
    nav.ok(f"{len(links)} lists: {shown}")
    report.figures["channels"] = len(links)
    report.figures["channel_labels"] = labels[:LABELS_SHOWN]
    return links


def _list_candidates(
    report: SiteReport,
    bureau: Bureau,
    root: SiteRoots,
    links: Sequence[ChannelLink],
    home_prefix: str | None,
) -> list[ChannelLink]:
    """The lists to read (the navigation's, else the row's hints) and the row changes the
    navigation (or the home page's address) suggests."""
    where = "its navigation" if links else "the home page's address"
    report.suggestions += _row_suggestions(bureau, links, home_prefix, where)
    if links:
        report.figures["lists_from"] = "navigation"
        return [ChannelLink(root.real_url(link.url), link.label) for link in links]
    report.figures["lists_from"] = "row hints"
    return _hinted_lists(bureau, root)


def _read_a_list(
    fetcher: Fetcher, root: SiteRoots, candidates: Sequence[ChannelLink]
) -> tuple[ListPage | None, ChannelLink | None, list[str]]:
    """The first of (up to LIST_TRIES) *candidates* with rows or a more-link, else the last
    one readable; and why each unreadable one failed."""
    listing: ListPage | None = None
    chosen: ChannelLink | None = None
    tried: list[str] = []
    for link in candidates[:LIST_TRIES]:
        page, _ = _get_page(fetcher, root, root.link(link.url))
        if not page.ok:
            tried.append(f"{page.reason()} ({link.url})")
            continue
        try:
            parsed = parse_list_page(page.body, page.url, page.charset)
        except ListingError as exc:
            tried.append(f"unreadable ({exc}) ({link.url})")
            continue
        listing, chosen = parsed, link
        if parsed.entries or parsed.more is not None:
            break  # a list without rows or a more-link holds no articles: try the next
    return listing, chosen, tried


def _probe_list_rows(
    report: SiteReport, fetcher: Fetcher, root: SiteRoots, candidates: Sequence[ChannelLink]
) -> tuple[ListPage | None, ChannelLink | None, list[ListEntry]]:
    """Step 3, one list's rows: the list read, its link and its rows."""
    rows = report.step("list rows")
    listing, chosen, tried = _read_a_list(fetcher, root, candidates)
    if chosen is None or listing is None:
        rows.fail(tried[0] if tried else "no channel list to read")
        return None, None, []
    label = chosen.label or "/".join(chosen.codes)
    report.figures["list"] = {
        "url": chosen.url,
        "label": chosen.label,
        "codes": list(chosen.codes),
    }
    entries = [ListEntry(root.real_url(e.url), e.title, e.published) for e in listing.entries]
    report.figures["list"]["rows"] = len(entries)
    if entries:
        rows.ok(f"{len(entries)} rows ({label})")
    else:
        rows.fail(f"none ({label})")
    return listing, chosen, entries


def _probe_channel_id(
    report: SiteReport, bureau: Bureau, listing: ListPage | None, chosen: ChannelLink | None
) -> str | None:
    """Step 4, the list's more-link's channel id (else the row's hint for that list)."""
    chan = report.step("channel id", fatal=False)
    if chosen is None or listing is None:
        return None
    hint = _hint_for(bureau, chosen.codes)
    if listing.more is not None:
        channel_id = listing.more.channel_id
        report.figures["list"].update(channel_id=channel_id, code=listing.more.code)
        chan.ok(f"{listing.more.code or '?'} {channel_id}")
        if hint and hint.api_id and hint.api_id != channel_id:
            report.suggestions.append(
                f"row hint channel {hint.path} has api_id {hint.api_id}, its list names "
                f"{channel_id}: update the {bureau.code} row of postcrawl/sites/bureaus.py"
            )
        return channel_id
    if hint and hint.api_id:
        chan.fail(f"no more-link; the row's hint {hint.api_id} is tried", fatal=False)
        return hint.api_id
    chan.fail("no more-link naming a channel id (only the static rows are crawlable)")
    return None


def _probe_api(
    report: SiteReport, fetcher: Fetcher, root: SiteRoots, channel_id: str | None
) -> list[ListEntry]:
    """Step 5, the search API for the channel id: its first page's rows. A list that showed
    no rows is not fatal when the API lists the channel."""
    api = report.step("API", fatal=False)
    entries = _api_entries(api, report, fetcher, root, channel_id)
    rows = report.steps["list rows"]
    if rows.status == "FAIL" and rows.detail.startswith("none") and entries:
        rows.fatal = False
        rows.detail += "; the API lists the channel"
    return entries


def _api_entries(
    api: Step, report: SiteReport, fetcher: Fetcher, root: SiteRoots, channel_id: str | None
) -> list[ListEntry]:
    if channel_id is None:
        api.detail = "no channel id"
        return []
    answer = fetcher.get(api_url(root.crawled, channel_id, 1))
    if not answer.ok:
        api.fail(answer.reason())
        return []
    try:
        result = parse_api_page(answer.body, answer.url)
    except ListingError:
        api.fail("not JSON")
        return []
    report.figures["api_total"] = result.total
    if result.entries:
        api.ok(f"total {result.total}")
    else:
        api.fail(f"no results (total {result.total})")
    return result.entries


# -- aggregators ---------------------------------------------------------------------------
def _aggregator_entries(
    row: Aggregator, root: SiteRoots, body: bytes, url: str, charset: str | None
) -> tuple[int, list[ListEntry], bool]:
    """The rows a list page shows (the first of the row's selectors that matches), as entries
    with the article link the spider would take; and whether a pager link is there."""
    tree = parse_html(decode_html(body, charset))
    listing = row.listing
    found = []
    for css in listing.rows:
        found = select(tree, css)
        if found:
            break
    pattern = re.compile(listing.article_path)
    entries: list[ListEntry] = []
    for element in found:
        for anchor in element.iter("a"):
            href = (anchor.get("href") or "").strip()
            if not href:
                continue
            link = root.real_url(urljoin(url, href))
            if pattern.match(_path_and_query(link)):
                title = clean_line(anchor.text_content() or "") or None
                entries.append(ListEntry(link, title))
                break
    wanted = {t.lower() for t in listing.next_texts}
    pager = any(
        clean_line(a.text_content() or "").lower() in wanted
        for css in listing.next_page
        for a in select(tree, css)
    )
    return len(found), entries, pager or bool(listing.page_param)


def probe_aggregator(row: Aggregator, fetcher: Fetcher, base_url: str | None = None) -> SiteReport:
    """Probe one aggregator: its first list page's rows, then one article."""
    root = SiteRoots.of(row.base_url, base_url)
    report = SiteReport(row.name, "aggregator", root.crawled)
    started = time.monotonic()
    fetcher.begin_site()
    rows = report.step("list rows")
    entries: list[ListEntry] = []
    tried: list[str] = []
    for start in row.listing.starts[:LIST_TRIES]:
        url = root.fetch(start.path)
        answer = fetcher.get(url)
        if not answer.ok:
            tried.append(f"{answer.reason()} ({root.real_url(url)})")
            continue
        try:
            count, entries, pager = _aggregator_entries(
                row, root, answer.body, answer.url, answer.charset
            )
        except ExtractionError as exc:
            tried.append(f"unreadable ({exc})")
            continue
        report.figures["list"] = {
            "url": root.real_url(url),
            "label": start.label,
            "rows": len(entries),  # rows with an article link, as the spider reads them
            "row_elements": count,
            "pager": pager,
        }
        if entries:
            rows.ok(f"{len(entries)} rows ({start.label})")
            break
        tried.append(
            f"none (selectors {', '.join(row.listing.rows)})"
            if not count
            else f"{count} rows, no link matching {row.listing.article_path}"
        )
    if rows.status != "ok":
        rows.fail(tried[0] if tried else "no list to read")
    report.figures["robots"] = fetcher.robots(root.fetch("/"))[1]
    _probe_article(report, fetcher, root, row.site, entries)
    report.requests = fetcher.site_requests
    report.seconds = time.monotonic() - started
    return report


# -- sites ---------------------------------------------------------------------------------
BUREAUS_BY_SPIDER: dict[str, Bureau] = {b.spider_name: b for b in BUREAUS}
AGGREGATORS_BY_SPIDER: dict[str, Aggregator] = {a.name: a for a in AGGREGATOR_ROWS}
SPIDER_NAMES: tuple[str, ...] = (*BUREAUS_BY_SPIDER, *AGGREGATORS_BY_SPIDER)


def probe_site(name: str, fetcher: Fetcher, base_url: str | None = None) -> SiteReport:
    """Probe the site of spider *name*; ``KeyError`` for an unknown spider."""
    if name in BUREAUS_BY_SPIDER:
        return probe_bureau(BUREAUS_BY_SPIDER[name], fetcher, base_url)
    if name in AGGREGATORS_BY_SPIDER:
        return probe_aggregator(AGGREGATORS_BY_SPIDER[name], fetcher, base_url)
    raise KeyError(name)


def probe(
    names: Sequence[str],
    fetcher: Fetcher,
    base_url: str | None = None,
    progress: Callable[[SiteReport], None] | None = None,
) -> ProbeReport:
    """Probe the sites of *names* in turn (*base_url*: one site's mirror)."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    reports = []
    for name in names:
        report = probe_site(name, fetcher, base_url)
        reports.append(report)
        if progress is not None:
            progress(report)
    return ProbeReport(reports, fetcher.delay, fetcher.user_agent, started)
