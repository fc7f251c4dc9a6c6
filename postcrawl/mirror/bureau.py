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
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, timezone
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Literal

from postcrawl.bureau_lists import API_PAGE_SIZE, api_url
from postcrawl.mirror.server import Route
from postcrawl.sites.bureaus import BUREAUS, Bureau

Shape = Literal["cms", "trs", "disclosure"]
Fault = Literal[
    "retry", "missing", "empty", "gb18030", "stub", "moved", "robots", "duplicate", "slow"
]

# The newest article of a fresh mirror, and how far back its articles reach.
NEWEST = datetime(2024, 6, 28, 10, 0)
SPAN_DAYS = 1800  # about five years: the oldest articles predate the 2020 CMS migration
MIGRATION = date(2020, 1, 1)
CHINA_TIME = timezone(timedelta(hours=8))
# Old TRS column of the mirror's migrated pages (the real ones vary: xw/dtxx_15079, zcfg, …).
TRS_COLUMN = "xwzx"
# The channel a JS stub points into: a column the spider does not list.
STUB_TARGET_CHANNEL = "c100057/c100063"


@dataclass(frozen=True)
class MirrorChannel:
    """A channel of the mirror: its list's path below the prefix, its label, its API id and
    code, and where its articles live (another channel's path, for some)."""

    path: str
    label: str
    code: str
    article_path: str = ""  # default: the list's own path
    more_path: str = ""  # the "more" page's directory; default: the list's own path
    more_name: str = "common_listmore.shtml"
    more_lists_rows: bool = False  # the more page shows every row in its HTML
    holds_articles: bool = True
    nav_group: str = ""  # shown in a sub-menu of this (text-less) parent entry

    @property
    def channel_id(self) -> str:
        return _hex_id("channel", self.path, self.code)

    @property
    def articles_under(self) -> str:
        return self.article_path or self.path


@dataclass(frozen=True)
class MirrorLayout:
    """The mirror's own prefix and channels (never read from the site table)."""

    prefix: str
    channels: tuple[MirrorChannel, ...]

    @property
    def article_channels(self) -> tuple[MirrorChannel, ...]:
        return tuple(c for c in self.channels if c.holds_articles)


def standard_layout(prefix: str) -> MirrorLayout:
    """A layout in the codes captures show: work news, notices, a statistics list whose articles
    live under another channel's path (as 统计信息 on the national site), and an empty list."""
    return MirrorLayout(
        prefix,
        (
            MirrorChannel("c100057/c100061", "工作动态", "c100061"),
            MirrorChannel("c100057/c100058", "通知公告", "c100058", more_lists_rows=True),
            MirrorChannel(
                "c100276",
                "统计信息",
                "c100276",
                article_path="c100015/c100016",
                more_path="c100037/c100150",
                more_name="common_listmores.shtml",
                nav_group="信息公开",
            ),
            MirrorChannel("c100001", "机构概况", "c100001", holds_articles=False),
        ),
    )


def invented_layout(code: str) -> MirrorLayout:
    """A layout whose prefix and channel codes appear nowhere in the site table."""
    return MirrorLayout(
        f"{code}mirroryzj",
        (
            MirrorChannel("c900101/c900102", "工作动态", "c900102"),
            MirrorChannel("c900101/c900103", "通知公告", "c900103", more_lists_rows=True),
            MirrorChannel(
                "c900200",
                "统计信息",
                "c900200",
                article_path="c900300/c900301",
                more_path="c900400/c900401",
                more_name="common_listmores.shtml",
                nav_group="信息公开",
            ),
            MirrorChannel("c900500", "机构概况", "c900500", holds_articles=False),
        ),
    )


# Positions (0 = newest) of the fault cases among a fresh mirror's articles.
FAULT_POSITIONS: dict[int, Fault] = {
    3: "retry",
    7: "missing",
    11: "empty",
    15: "gb18030",
    19: "stub",
    23: "robots",
    31: "duplicate",  # same text as position 30, listed in the other channel
    35: "slow",
}
# Rows a static list shows; older rows are on the API only.
STATIC_ROWS = 10
SLOW_SECONDS = 0.5
DISCLOSURE_POSITION = 27


@dataclass
class MirrorArticle:
    """One article of the mirror: where it is listed, where it lives, how it is served."""

    key: int
    channel: MirrorChannel
    published: datetime
    title: str
    paragraphs: tuple[str, ...]
    shape: Shape = "cms"
    fault: Fault | None = None
    attachment: str | None = None  # a relative link inside the page (not downloaded)
    listed_path: str = ""  # the path in the list's link
    home_path: str = ""  # where the article page is served (a redirect's target)

    @property
    def retrievable(self) -> bool:
        """Whether a polite crawler can archive it (404, empty and robots-forbidden are not)."""
        return self.fault not in ("missing", "empty", "robots")

    @property
    def day(self) -> str:
        return self.published.date().isoformat()


@cache
def _template(name: str) -> Template:
    text = (resources.files("postcrawl.mirror") / "sites" / "bureau" / name).read_text("utf-8")
    return Template(text)


def _hex_id(*parts: object) -> str:
    return hashlib.md5("-".join(map(str, parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Words:
    """The word lists generated articles are drawn from (``sites/bureau/words.json``): many
    words, so that two articles share little text (a crawl test must see distinct articles as
    distinct, not as near-duplicates of one template). Their order is part of the output."""

    cities: tuple[str, ...]
    topics: tuple[str, ...]
    duties: tuple[str, ...]
    words: tuple[str, ...]
    verbs: tuple[str, ...]
    openers: tuple[str, ...]


@cache
def words() -> Words:
    """The word lists, read once."""
    text = (resources.files("postcrawl.mirror") / "sites" / "bureau" / "words.json").read_text(
        "utf-8"
    )
    data = json.loads(text)
    return Words(**{f.name: tuple(data[f.name]) for f in fields(Words)})


def article_text(
    bureau: Bureau, key: int, year: int | None = None, min_chars: int = 0
) -> tuple[str, tuple[str, ...]]:
    """A generated title and body for article number *key* (each key a different body), about
    the quarter before *year*'s publication, with paragraphs of further work added until the
    body has *min_chars* characters (the seeds average about 2,500). Deterministic per bureau
    and key."""
    w = words()
    rng = random.Random(f"{bureau.code}-{key}")
    city = w.cities[key % len(w.cities)]
    topic = w.topics[(key // len(w.cities)) % len(w.topics)]
    duties = rng.sample(w.duties, 3)
    year = year or 2019 + key % 6

    def clause() -> str:
        return "、".join(rng.sample(w.words, rng.randint(3, 5)))

    def details(n: int) -> str:
        return "，".join(f"{rng.choice(w.verbs)}{clause()}工作" for _ in range(n))

    paragraphs = (
        f"近日，{city}市邮政管理局{topic}，{bureau.display_name}有关处室负责同志参加会议。"
        f"会议通报了{year}年第{key % 4 + 1}季度全市寄递渠道运行情况，"
        f"全市快递业务量累计完成{1000 + key * 37 % 9000}万件，同比增长{5 + key % 17}.{key % 10}%。",
        f"会议强调，各寄递企业要提高政治站位，{details(3)}。"
        f"一是{duties[0]}；二是{duties[1]}；三是{duties[2]}。",
        f"据统计，本次共检查快递网点{30 + key}个，发现并督促整改问题{key % 9 + 2}处，"
        f"{details(4)}。",
        f"下一步，{city}市邮政管理局将{details(3)}，推动全市邮政快递业高质量发展（第{key}号）。",
    )
    while sum(len(p) for p in paragraphs) < min_chars:
        extra = f"{rng.choice(w.openers)}{clause()}方面，{city}市邮政管理局{details(4)}。"
        paragraphs = (*paragraphs[:-1], extra, paragraphs[-1])
    return f"{city}局{topic}", paragraphs


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
        self.articles: list[MirrorArticle] = []  # newest first
        self.originals: list[MirrorArticle] = []  # reposted by an aggregator mirror
        step = timedelta(days=SPAN_DAYS / max(articles, 1))
        for i in range(articles):
            fault = FAULT_POSITIONS.get(i) if faults else None
            published = NEWEST - step * i
            if fault == "duplicate":  # the same article in two channels: one publication date
                published = self.articles[-1].published
            self.articles.append(self._article(i, published, fault, position=i))
        if faults:
            self._add_migrated_faults()
        if originals:
            self._add_originals()

    @property
    def prefix(self) -> str:
        return self.layout.prefix

    @property
    def channels(self) -> tuple[MirrorChannel, ...]:
        """The channels whose lists hold articles."""
        return self.layout.article_channels

    # -- the articles ----------------------------------------------------------------------
    def _article(
        self, key: int, published: datetime, fault: Fault | None, position: int
    ) -> MirrorArticle:
        channels = self.channels
        channel = channels[position % len(channels)]
        text_key = key - 1 if fault == "duplicate" else key
        title, paragraphs = article_text(
            self.bureau, text_key, published.year, min_chars=self.body_chars
        )
        old = published.date() < MIGRATION
        shape: Shape = "cms"
        if old and key % 2 == 0:
            shape = "trs"
        elif self.faults and position == DISCLOSURE_POSITION:
            shape = "disclosure"
        article = MirrorArticle(
            key=key,
            channel=channel,
            published=published,
            title=title,
            paragraphs=paragraphs,
            shape=shape,
            fault=fault,
            attachment=f"files/附件{key}.pdf" if key % 10 == 5 else None,
        )
        month = f"{published:%Y%m}"
        prefix = self.prefix
        if shape == "trs":
            path = f"/{TRS_COLUMN}/{month}/t{published:%Y%m%d}_{700000 + key}.html"
        elif fault == "robots":
            path = f"/{prefix}/nbgl/{month}/{_hex_id(self.bureau.code, key)}.shtml"
        else:
            path = (
                f"/{prefix}/{channel.articles_under}/{month}/{_hex_id(self.bureau.code, key)}.shtml"
            )
        article.listed_path = article.home_path = path
        if fault == "stub":
            article.home_path = (
                f"/{prefix}/{STUB_TARGET_CHANNEL}/{month}/{_hex_id(self.bureau.code, key, 'x')}"
                ".shtml"
            )
        return article

    def _add_migrated_faults(self) -> None:
        # The first old TRS URL is "moved": it now 301s to a current-CMS page.
        for article in self.articles:
            if article.shape == "trs" and article.fault is None:
                article.fault = "moved"
                article.shape = "cms"
                article.home_path = (
                    f"/{self.prefix}/{article.channel.articles_under}/{article.published:%Y%m}/"
                    f"{_hex_id(self.bureau.code, article.key, 'moved')}.shtml"
                )
                break

    def _add_originals(self) -> None:
        """Publish the articles the aggregator mirrors repost (``sites/bureau/originals.json``,
        this bureau's entries) at their real paths, in date order."""
        text = resources.files("postcrawl.mirror") / "sites" / "bureau" / "originals.json"
        entries = json.loads(text.read_text("utf-8")).get(self.bureau.code, [])
        first_key = max((a.key for a in self.articles), default=-1) + 1
        for i, entry in enumerate(entries):
            channel = next(c for c in self.channels if c.code == entry["channel"])
            article = MirrorArticle(
                key=first_key + i,
                channel=channel,
                published=datetime.fromisoformat(entry["published"]),
                title=entry["title"],
                paragraphs=tuple(entry["paragraphs"]),
            )
            article.listed_path = article.home_path = entry["path"]
            position = sum(1 for a in self.articles if a.published > article.published)
            self.articles.insert(position, article)
            self.originals.append(article)

    def add_articles(self, count: int) -> list[MirrorArticle]:
        """Publish *count* new articles, newer than every other, at the top of the lists."""
        newest = self.articles[0].published if self.articles else NEWEST
        first_key = max((a.key for a in self.articles), default=-1) + 1
        new = [
            self._article(first_key + i, newest + timedelta(days=count - i), None, position=i)
            for i in range(count)
        ]
        self.articles[:0] = new
        return new

    def expected(self) -> dict[str, MirrorArticle]:
        """The articles a crawl must archive, one per distinct body, by their body's key."""
        out: dict[str, MirrorArticle] = {}
        for article in self.articles:
            if article.retrievable:
                out.setdefault(article.paragraphs[-1], article)
        return out

    def static_articles(self) -> list[MirrorArticle]:
        """The articles reachable without the API: every static list's rows, and every row of
        a more page that lists its rows in the HTML."""
        out: list[MirrorArticle] = []
        for channel in self.channels:
            listed = self.channel_articles(channel)
            out += listed if channel.more_lists_rows else listed[: self.page_size]
        return out

    # -- pages -----------------------------------------------------------------------------
    def _site_vars(self) -> dict[str, str]:
        return {
            "site_name": self.bureau.display_name,
            "domain": self.bureau.domain,
            "prefix": self.prefix,
        }

    def article_page(self, article: MirrorArticle) -> tuple[bytes, str]:
        """The HTML of an article page and its Content-Type."""
        charset = "gb2312" if article.fault == "gb18030" else "utf-8"
        template = {"cms": "article.html", "trs": "article_trs.html"}.get(
            article.shape, "article_disclosure.html"
        )
        attachments = ""
        if article.attachment:
            name = escape(article.attachment.rsplit("/", 1)[-1])
            attachments = (
                f'<div class="fujian"><p>附件：</p><ul><li><a href="{escape(article.attachment)}"'
                f' target="_blank">{name}</a></li></ul></div>'
            )
        html = _template(template).substitute(
            self._site_vars(),
            charset=charset,
            title=escape(article.title),
            date=article.day,
            # The CMS's PubDate meta is the page's generation time, not the publication date.
            generated=f"{article.published + timedelta(days=9):%Y-%m-%d %H:%M:%S}",
            source=self.bureau.display_name,
            channel_label=article.channel.label,
            channel_path=article.channel.path,
            paragraphs="\n".join(
                f'<p style="text-indent: 2em;">{escape(p)}</p>' for p in article.paragraphs
            ),
            attachments=attachments,
            index_no=f"bm51190001/{article.published:%Y}-{article.key:05d}",
            doc_no=f"{self.bureau.province}邮管〔{article.published:%Y}〕{article.key % 90 + 1}号",
        )
        if charset == "gb2312":
            return html.encode("gb18030"), "text/html"
        return html.encode("utf-8"), "text/html; charset=utf-8"

    def channel_articles(self, channel: MirrorChannel) -> list[MirrorArticle]:
        return [a for a in self.articles if a.channel == channel]

    def list_path(self, channel: MirrorChannel) -> str:
        """The channel's static list, ``/<prefix>/<path>/common_list.shtml``."""
        return f"/{self.prefix}/{channel.path}/common_list.shtml"

    def more_path(self, channel: MirrorChannel) -> str:
        """The channel's "more" page with its channel id and code, as the list links it."""
        folder = channel.more_path or channel.path
        query = f"channelId={channel.channel_id}&code={channel.code}"
        return f"/{self.prefix}/{folder}/{channel.more_name}?{query}"

    def _rows(self, articles: list[MirrorArticle]) -> str:
        return "\n".join(
            f'        <li><a href="{a.listed_path}" target="_blank"><p>{escape(a.title)}</p>'
            f"<span>{a.day}</span></a></li>"
            for a in articles
        )

    def _nav(self, relative: bool = False) -> str:
        """The navigation bar: top entries, and sub-menus under a text-less parent. On the home
        page (*relative*) some links are relative to it, as the CMS mixes both forms."""
        if not self.nav:
            return ""
        items = [f'<li><a href="/{self.prefix}/index.shtml">首页</a></li>']
        groups: dict[str, list[str]] = {}
        for channel in self.layout.channels:
            # Links are relative to the home page where they can be (the CMS mixes both).
            href = (
                f"{channel.path}/common_list.shtml"
                if relative and channel.holds_articles and "/" in channel.path
                else self.list_path(channel)
            )
            link = f'<li><a href="{href}">{escape(channel.label)}</a></li>'
            if channel.nav_group:
                groups.setdefault(channel.nav_group, []).append(link)
            else:
                items.append(link)
        for group, links in groups.items():
            items.append(
                f'<li class="has-sub"><a href="javascript:;" title="{escape(group)}"></a>'
                f'<ul class="sub">{"".join(links)}</ul></li>'
            )
        return '<div class="nav"><ul class="w1200 clearfix">\n' + "\n".join(items) + "\n</ul></div>"

    def navigation(self) -> str:
        """The home page's navigation bar with absolute links (for a page at another path)."""
        return self._nav(relative=False)

    def home_page(self) -> bytes:
        """The home page: navigation, and a box of recent rows per channel."""
        boxes = [
            f'<div class="box"><div class="box-title"><h3>{escape(c.label)}</h3>'
            f'<a class="more" href="{self.list_path(c)}">更多&gt;&gt;</a></div><ul>\n'
            f"{self._rows(self.channel_articles(c)[:3])}\n</ul></div>"
            for c in self.channels
            if self.nav
        ]
        html = _template("index.html").substitute(
            self._site_vars(), nav=self._nav(relative=True), boxes="\n".join(boxes)
        )
        return html.encode("utf-8")

    def list_page(self, channel: MirrorChannel) -> bytes:
        """A channel's static list: its newest rows and its "more" link."""
        articles = self.channel_articles(channel)[: self.page_size]
        more = ""
        if channel.holds_articles:  # an "about us" list has neither rows nor a more-link
            more = (
                f'<a class="more" href="{escape(self.more_path(channel))}" target="_blank">更多</a>'
            )
        html = _template("list.html").substitute(
            self._site_vars(),
            nav=self._nav(),
            channel_label=channel.label,
            channel_path=channel.path,
            rows=self._rows(articles),
            more=more,
        )
        return html.encode("utf-8")

    def more_page(self, channel: MirrorChannel) -> bytes:
        """A channel's "more" page: a shell the API fills, or every row where it lists them."""
        articles = self.channel_articles(channel) if channel.more_lists_rows else []
        html = _template("listmore.html").substitute(
            self._site_vars(),
            channel_label=channel.label,
            channel_id=channel.channel_id,
            rows=self._rows(articles),
        )
        return html.encode("utf-8")

    def api_pages(self, channel: MirrorChannel) -> dict[str, bytes]:
        """The JSON search API answers of a channel (one past the end: an empty page)."""
        articles = self.channel_articles(channel)
        pages: dict[str, bytes] = {}
        count = len(articles) // API_PAGE_SIZE + 2
        for page in range(1, count + 1):
            chunk = articles[(page - 1) * API_PAGE_SIZE : page * API_PAGE_SIZE]
            results = [
                {
                    "manuscriptId": _hex_id("m", a.key),
                    "title": a.title,
                    "subTitle": "",
                    # The API answers with http:// URLs of the real site.
                    "url": f"http://{self.bureau.domain}{a.listed_path}",
                    # Epoch milliseconds of the China-time publication moment.
                    "publishedTime": int(a.published.replace(tzinfo=CHINA_TIME).timestamp() * 1000),
                    "publishedTimeStr": f"{a.published:%Y-%m-%d %H:%M:%S}",
                    "channelCodeName": channel.code,
                    "channelName": channel.label,
                    "content": a.paragraphs[0][:60],
                    "resList": [],
                    "domainMetaList": [
                        {
                            "resultList": [
                                {"key": "source", "value": self.bureau.display_name},
                                {"key": "author", "value": "null"},
                                {"key": "wh", "value": "null"},
                            ]
                        }
                    ],
                }
                for a in chunk
            ]
            payload = {"code": 200, "data": {"total": len(articles), "results": results}}
            key = api_url("", channel.channel_id, page)
            pages[key] = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return pages

    def api_paths(self) -> set[str]:
        """Path prefixes of the API, one per channel id (for counting hits)."""
        return {f"/common/search/{c.channel_id}" for c in self.layout.channels}

    def routes(self) -> dict[str, Route]:
        """The whole site: path (with query for the API and more pages) → :class:`Route`."""
        site = self._site_vars()
        routes: dict[str, Route] = {
            "/robots.txt": Route(
                _template("robots.txt").substitute(site).encode(), content_type="text/plain"
            )
        }
        home = f"/{self.prefix}/index.shtml"
        # The root is a JavaScript stub to the home page.
        routes["/"] = Route(_template("stub.html").substitute(target=home).encode("utf-8"))
        routes[home] = Route(self.home_page())
        down = _template("api_down.html").substitute().encode("utf-8")
        for channel in self.layout.channels:
            routes[self.list_path(channel)] = Route(self.list_page(channel))
            if not channel.holds_articles:
                continue
            routes[self.more_path(channel)] = Route(self.more_page(channel))
            if not self.api:
                # Every query of this channel's API answers an HTML maintenance page.
                routes[f"/common/search/{channel.channel_id}"] = Route(down)
                continue
            for key, body in self.api_pages(channel).items():
                routes[key] = Route(body, content_type="application/json;charset=UTF-8")
        for article in self.articles:
            body, content_type = self.article_page(article)
            if article.fault == "missing":
                continue
            if article.fault == "empty":
                routes[article.home_path] = Route(b"")
                continue
            routes[article.home_path] = Route(
                body,
                content_type=content_type,
                fail_first=1 if article.fault == "retry" else 0,
                delay=SLOW_SECONDS if article.fault == "slow" else 0.0,
            )
            if article.fault == "stub":
                stub = _template("stub.html").substitute(target=article.home_path)
                routes[article.listed_path] = Route(stub.encode("utf-8"))
            elif article.fault == "moved":
                routes[article.listed_path] = Route(status=301, location=article.home_path)
        return routes


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
