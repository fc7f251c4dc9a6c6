"""From an HTML page to the article's fields: title, date, source, paragraphs.

Site rules (:class:`postcrawl.sites.PageRules`) are tried first: a body selector such as
``.detail-news``; where none matches, trafilatura finds the main text on the whole page. Either
way the boilerplate filter (:mod:`postcrawl.boilerplate`) then removes what is not the article.
No Scrapy here: the extract pipeline and ``postcrawl extract`` both call :func:`extract_article`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urljoin

import lxml.html
import trafilatura
from cssselect import GenericTranslator, SelectorError
from lxml import etree

from postcrawl import dates
from postcrawl.boilerplate import filter_chrome, is_prose
from postcrawl.chinese_text import clean_line, comparable, to_simplified
from postcrawl.cssindex import PageIndex
from postcrawl.metaline import MAX_META_LINE, LineMeta, parse_meta_line
from postcrawl.sites import Site, site_for_url

# Larger pages are refused: no real article page comes near this, and lxml would hold it all.
MAX_PAGE_BYTES = 5 * 1024 * 1024
# A body container with less text than this is not the article (an empty template slot).
MIN_BODY_CHARS = 20
# An element with more text than this is prose, not the line that dates the page.
MAX_META_SCAN_CHARS = 300
# Less article text than this is a menu or a stub page, not an article.
MIN_ARTICLE_CHARS = 20
# A body needs this much prose (lines that are neither menu/link text nor a site notice) …
MIN_PROSE_CHARS = 30
# … and this many sentences of it (or one sentence of ONE_SENTENCE_CHARS: a short notice with
# an attachment); less is navigation, a notice or boilerplate.
MIN_SENTENCES = 2
ONE_SENTENCE_CHARS = 60
# From the generic extractor: at least this share of the lines being link text (a menu) or a
# notice makes the page boilerplate whatever else it holds.
MAX_CHROME_LINE_SHARE = 0.5
# A line this long or longer with no sentence end still reads as one sentence.
LONG_LINE_SENTENCE = 30
# Site notices that stand in for an article: maintenance, removed or expired pages.
_NOTICE = re.compile(
    r"系统维护|维护中|升级维护|系统升级|网站升级|升级改造中|暂时无法|暂停(访问|服务)|敬请谅解|不便之处|页面不存在|页面(已|已经)?(删除|过期|失效)|"
    r"信息(已|已经)?(删除|撤销|过期)|无法(访问|显示|打开)|正在建设|建设中|访问出错|出错了|404|not found",
    re.IGNORECASE,
)
MAX_NOTICE_LINE = 80
_SENTENCE_MARKS = re.compile(r"[。！？!?；;]")
# When no metadata line dates the page, this many lines before and after the title are read
# for a date (a date line in its own block, under a sub-title, or above a kicker).
NEAR_TITLE_BEFORE = 2
NEAR_TITLE_AFTER = 4

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "blockquote",
        "dd",
        "dt",
        "dl",
        "center",
        "pre",
        "figure",
        "figcaption",
        "header",
        "footer",
        "aside",
        "nav",
        "form",
        "hr",
        "td",
        "th",
    ]
)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg", "select")
_ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|wps|et|ofd|zip|rar|7z|txt|csv)$", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_TODAY = re.compile(r"今天|今日|当前时间|现在时间|现在是")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--|—|–|-)\s*")


class ExtractionError(ValueError):
    """The page holds no article that can be archived; ``str()`` is a one-line reason and
    ``kind`` a short key for stats (``empty``, ``binary``, ``too-large``, ``no-text``, …)."""

    def __init__(self, reason: str, kind: str = "no-article") -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass
class PageHints:
    """What a list page or API said about an article before it was fetched."""

    title: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None


@dataclass
class Extracted:
    """The article as the extractor read it, before normalization."""

    url: str
    site: str
    title: str
    paragraphs: list[str]
    published: str | None = None
    undated_reason: str | None = None
    source: str | None = None
    author: str | None = None
    forwarded_from: str | None = None
    original_url: str | None = None
    attachments: list[str] = field(default_factory=list)
    method: str = "selector"  # "selector" (site rule) or "trafilatura" (whole-page fallback)
    dropped: Counter[str] = field(default_factory=Counter)
    normalized_body: str = ""
    body_hash: str = ""


def decode_html(data: bytes | str, declared: str | None = None) -> str:
    """The page as text. Tries the declared charset, the page's own ``<meta charset>``, UTF-8,
    then GB18030 (historical bureau pages declare UTF-8 and are GBK, or the reverse)."""
    if len(data) > MAX_PAGE_BYTES:
        raise ExtractionError(
            f"page too large: {len(data):,} bytes > {MAX_PAGE_BYTES:,}", "too-large"
        )
    if not data.strip():
        raise ExtractionError("empty page", "empty")
    if isinstance(data, str):
        return data
    head = data[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("binary content, not an HTML page", "binary")
    candidates: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        candidates.append("utf-8-sig")
    if declared:
        candidates.append(declared)
    if m := _META_CHARSET.search(data[:4096]):
        candidates.append(m[1].decode("ascii", "replace"))
    candidates += ["utf-8", "gb18030"]
    for name in candidates:
        name = "gb18030" if name.lower().replace("-", "") in {"gbk", "gb2312", "gb18030"} else name
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace")


@cache
def _xpath(css: str) -> etree.XPath:
    return etree.XPath(GenericTranslator().css_to_xpath(css))


def select(tree: etree._Element, css: str) -> list[etree._Element]:
    """Elements matching a CSS selector (compiled once per selector)."""
    try:
        return _xpath(css)(tree)
    except SelectorError as exc:  # a bad selector in a site row is a bug: say which
        raise ValueError(f"bad CSS selector in site rules: {css!r}: {exc}") from exc


def element_lines(element: etree._Element) -> list[str]:
    """The visible text of *element* as cleaned lines, one per block (p, div, br, li, …)."""
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        tag = node.tag if isinstance(node.tag, str) else None
        if event == "start":
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if tag is not None and node.text and tag not in _DROP_TAGS:
                parts.append(node.text)
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if node.tail and node is not element:
                parts.append(node.tail)
    return [line for line in (clean_line(s) for s in "".join(parts).split("\n")) if line]


def _texts(page: PageIndex, selectors: Iterable[str]) -> list[str]:
    out = []
    for css in selectors:
        for el in page.select(css, select):
            text = el.get("content") if el.tag == "meta" else " ".join(element_lines(el))
            if text and (text := clean_line(text)):
                out.append(text)
    return out


def _title(page: PageIndex, site: Site, hints: PageHints) -> str | None:
    selectors = (*site.rules.title, "meta[name=ArticleTitle]", "meta[property='og:title']", "h1")
    for text in _texts(page, selectors):
        return text
    if hints.title:
        return clean_line(hints.title)
    # Last resort: the <title>, without the site's name that follows a separator.
    for el in page.select("title", select):
        text = clean_line(el.text_content() or "")
        if text:
            return _TITLE_SEPARATORS.split(text)[0] or text
    return None


def _attachments(page: PageIndex, site: Site, base_url: str) -> list[str]:
    found: list[str] = []
    for css in site.rules.attachments:
        for container in page.select(css, select):
            for a in container.iter("a"):
                href = (a.get("href") or "").strip()
                if href and _ATTACHMENT_EXT.search(href.split("?")[0]):
                    url = urljoin(base_url, href)
                    if url not in found:
                        found.append(url)
    return found


def _body_element(page: PageIndex, site: Site) -> etree._Element | None:
    for css in site.rules.body:
        for el in page.select(css, select):
            if len("".join(el.itertext()).strip()) >= MIN_BODY_CHARS:
                return el
    return None


def _remove(tree: etree._Element, selectors: Iterable[str]) -> None:
    # One union selector: one walk of the tree instead of one per selector.
    for el in select(tree, ", ".join((*selectors, *_DROP_TAGS))):
        parent = el.getparent()
        if parent is not None:
            el.drop_tree() if isinstance(el, lxml.html.HtmlElement) else parent.remove(el)


def _page_meta(page: PageIndex, site: Site) -> LineMeta:
    """Metadata from the site's meta elements (the ``.info`` line and its like)."""
    meta = LineMeta()
    for css in site.rules.meta:
        for el in page.select(css, select):
            for line in element_lines(el):
                parsed = parse_meta_line(to_simplified(line))
                if parsed is not None:
                    meta.merge(parsed)
    return meta


# Text nodes that hold a year-month: the only places a date line can start.
_DATED_TEXT = etree.XPath(
    r"//body//text()[re:test(., '(19|20)\d\d\s*[-/.年]\s*\d{1,2}')]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)


def _scan_page_meta(tree: etree._Element) -> LineMeta:
    """A date/source line anywhere on the page: the fallback when no rule found one.

    Looks only at the elements around text that holds a date, not at the whole page."""
    meta = LineMeta()
    for text in _DATED_TEXT(tree):
        parent = text.getparent()
        if parent is None or len(parent.text_content()) > MAX_META_SCAN_CHARS:
            continue
        for line in element_lines(parent):
            parsed = parse_meta_line(to_simplified(line))
            if parsed is not None and parsed.published:
                meta.merge(parsed)
                return meta
    return meta


def _meta_published(tree: etree._Element) -> str | None:
    for css in (
        "meta[name=PubDate]",
        "meta[property='article:published_time']",
        "meta[name=pubdate]",
    ):
        for el in select(tree, css):
            if found := dates.find_datetime(el.get("content") or ""):
                return found
    return None


def parse_html(text: str) -> etree._Element:
    """An lxml tree of *text*; raises :class:`ExtractionError` when nothing parses."""
    text = _XML_DECL.sub("", text, count=1)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"not an HTML page: {exc}", "not-html") from None
    if tree is None:
        raise ExtractionError("not an HTML page", "not-html")
    return tree


def _whole_page_lines(tree: lxml.html.HtmlElement, url: str) -> list[str]:
    """The article lines trafilatura finds in the whole page. Its own extractor runs first
    (``fast``); its comparison with readability and jusText, which more than doubles the
    cost, only when that found less than an article's worth of text."""
    lines: list[str] = []
    for fast in (True, False):
        text = trafilatura.extract(
            tree,
            url=url,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            deduplicate=False,
            fast=fast,
        )
        lines = [line for line in (clean_line(s) for s in (text or "").split("\n")) if line]
        if sum(len(line) for line in lines) >= MIN_ARTICLE_CHARS:
            break
    return lines


def extract_article(
    page: bytes | str,
    url: str,
    site: Site | None = None,
    hints: PageHints | None = None,
    encoding: str | None = None,
) -> Extracted:
    """Read the article on *page* (fetched from *url*). Raises :class:`ExtractionError`."""
    site = site or site_for_url(url)
    hints = hints or PageHints()
    tree = parse_html(decode_html(page, encoding))
    # The site-rule selectors, answered from one walk of the tree (until _remove changes it).
    elements = PageIndex(tree)

    title = _title(elements, site, hints)
    header_texts = _texts(elements, site.rules.header)
    attachments = _attachments(elements, site, url)
    meta = _page_meta(elements, site)

    body = _body_element(elements, site)
    link_texts: set[str] = set()
    if body is not None:
        _remove(body, site.rules.remove)
        lines = element_lines(body)
        method = "selector"
    else:
        if meta.published is None:
            meta.merge(_scan_page_meta(tree))
        link_texts = {t for a in tree.iter("a") if (t := clean_line(a.text_content() or ""))}
        lines = _whole_page_lines(tree, url)
        method = "trafilatura"

    result = filter_chrome(
        lines,
        title=title,
        header_texts=header_texts,
        chrome_lines=site.rules.chrome_lines,
    )
    meta.merge(result.meta)
    if sum(len(p) for p in result.paragraphs) < MIN_ARTICLE_CHARS:
        raise ExtractionError(f"no article text found ({method})", "no-text")
    if not title:
        raise ExtractionError("no title found", "no-title")
    if why := boilerplate_reason(result.paragraphs, link_texts, generic=method != "selector"):
        raise ExtractionError(f"{why} ({method})", "boilerplate")

    published, undated_reason = _publication_date(tree, url, hints, meta, title)
    source = clean_line(hints.source) if hints.source else None
    return Extracted(
        url=url,
        site=site.name,
        title=title,
        paragraphs=result.paragraphs,
        published=published,
        undated_reason=undated_reason,
        source=source or meta.source or meta.forwarded_from or site.display_name,
        author=(clean_line(hints.author) if hints.author else None) or meta.author,
        forwarded_from=meta.forwarded_from,
        original_url=meta.original_url,
        attachments=attachments,
        method=method,
        dropped=result.dropped,
    )


def boilerplate_reason(
    paragraphs: list[str], link_texts: set[str] = frozenset(), *, generic: bool = True
) -> str | None:
    """Why *paragraphs* are navigation, a notice or boilerplate rather than an article, in a
    few words; ``None`` for an article. Link texts (*link_texts*: the page's ``<a>`` texts) and
    notices (maintenance, removed page) are not prose; what is left must hold at least
    ``MIN_SENTENCES`` sentences (or one long one) and ``MIN_PROSE_CHARS`` characters. For the generic extractor
    (*generic*), a body that is mostly links and notices is boilerplate too."""
    links = notices = 0
    prose: list[str] = []
    for line in paragraphs:
        if line in link_texts:
            links += 1
        elif len(line) <= MAX_NOTICE_LINE and _NOTICE.search(line):
            notices += 1
        else:
            prose.append(line)
    sentences = sum(
        len(_SENTENCE_MARKS.findall(line)) or (len(line) >= LONG_LINE_SENTENCE) for line in prose
    )
    chars = sum(len(line) for line in prose)
    found = (
        f"{links} link lines, {notices} notice lines, {sentences} sentences in {chars} characters"
    )
    if (
        sentences == 0
        or chars < MIN_PROSE_CHARS
        or (sentences < MIN_SENTENCES and chars < ONE_SENTENCE_CHARS)
    ):
        return f"boilerplate, not an article: {found}"
    if generic and paragraphs and (links + notices) / len(paragraphs) >= MAX_CHROME_LINE_SHARE:
        return f"boilerplate, mostly links and notices: {found}"
    return None


def _publication_date(
    tree: etree._Element, url: str, hints: PageHints, meta: LineMeta, title: str
) -> tuple[str | None, str | None]:
    """The publication date and, when there is none, why. The list/API date outranks the page;
    then the page's metadata lines, then a date line near the title, then the URL.
    ``meta[name=PubDate]`` comes last, as on this CMS it can be the page's generation time."""
    candidates: tuple[Callable[[], str | None], ...] = (
        lambda: dates.find_datetime(hints.published or ""),
        lambda: meta.published,
        lambda: _date_near_title(tree, title),
        lambda: dates.day_from_url(url),
        lambda: _meta_published(tree),
    )
    for candidate in candidates:  # lazily: the near-title scan reads the whole page
        if found := candidate():
            return found, None
    month = dates.month_from_url(url)
    if month:
        return None, f"no date on the page; the URL gives only the month {month}"
    return None, "no date on the page, in the list or in the URL"


def _date_near_title(tree: etree._Element, title: str) -> str | None:
    """A date in the short lines right after (then right before) the title on the page.

    The fallback for pages whose date sits in a line that is not a metadata line (a bare
    ``发布者 2025年7月1日`` under the title, say). Each direction stops at the first prose line:
    a date in the article's text is about events, not about publication."""
    body = tree.find("body")
    title_key = comparable(title)
    if body is None or not title_key:
        return None
    lines = element_lines(body)
    for i, line in enumerate(lines):
        # The length test spares the comparison (an OpenCC pass) for most lines.
        if abs(len(line) - len(title)) > 10 or comparable(line) != title_key:
            continue
        after = lines[i + 1 : i + 1 + NEAR_TITLE_AFTER]
        before = lines[max(0, i - NEAR_TITLE_BEFORE) : i][::-1]
        for window in (after, before):
            for near in window:
                if comparable(near) == title_key:
                    continue  # the title again (an h1 and its copy)
                if len(near) >= MAX_META_LINE:
                    break
                if _TODAY.search(near):
                    continue  # a header clock ("今天是2025年7月1日 星期二") dates the visit
                parsed = parse_meta_line(to_simplified(near))
                if parsed is not None and parsed.published:
                    return parsed.published
                if is_prose(near):
                    break
                if found := dates.find_datetime(near):
                    return found
    return None
