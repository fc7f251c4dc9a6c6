"""A local mirror of one bureau site of the State Post Bureau CMS, for tests, demos and benchmarks.

:class:`BureauMirror` builds the route table of a :class:`~postcrawl.mirror.server.MirrorServer`
from the templates in ``postcrawl/mirror/sites/bureau/`` (the page shapes of sites.md §1): a
robots.txt, each channel's paginated ``common_list.shtml`` (and the JSON search API where the
channel has an ``api_id``), and the article pages. With ``faults=True`` it also has the faults
seen in the wild: a page that answers 500 once, a listed page that is gone (404), an empty 200,
a GB18030 page, a JavaScript redirect stub, an old TRS URL that 301s to its new home, a page
robots.txt forbids, two URLs with the same article, migrated pre-2020 pages in both shapes and
a document-disclosure page.

The text is generated (deterministic per article number), so any size can be served;
:meth:`BureauMirror.add_articles` publishes new articles at the top of the lists.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Literal

from postcrawl.bureau_lists import API_PAGE_SIZE, api_url
from postcrawl.mirror.server import Route
from postcrawl.sites.bureaus import BUREAUS, Bureau, Channel

Shape = Literal["cms", "trs", "disclosure"]
Fault = Literal["retry", "missing", "empty", "gb18030", "stub", "moved", "robots", "duplicate"]

# The newest article of a fresh mirror, and how far back its articles reach.
NEWEST = datetime(2024, 6, 28, 10, 0)
SPAN_DAYS = 1800  # about five years: the oldest articles predate the 2020 CMS migration
MIGRATION = date(2020, 1, 1)
CHINA_TIME = timezone(timedelta(hours=8))
# Old TRS column of the mirror's migrated pages (the real ones vary: xw/dtxx_15079, zcfg, …).
TRS_COLUMN = "xwzx"
# The channel a JS stub points into: a column the spider does not list.
STUB_TARGET_CHANNEL = "c100057/c100063"

# Positions (0 = newest) of the fault cases among a fresh mirror's articles.
FAULT_POSITIONS: dict[int, Fault] = {
    3: "retry",
    7: "missing",
    11: "empty",
    15: "gb18030",
    19: "stub",
    23: "robots",
    31: "duplicate",  # same text as position 30, listed in the other channel
}
DISCLOSURE_POSITION = 27

_CITIES = [
    "广州",
    "深圳",
    "珠海",
    "汕头",
    "佛山",
    "韶关",
    "河源",
    "梅州",
    "惠州",
    "汕尾",
    "东莞",
    "中山",
    "江门",
    "阳江",
    "湛江",
    "茂名",
    "肇庆",
    "清远",
    "潮州",
    "揭阳",
    "云浮",
]
_TOPICS = (
    "召开寄递渠道安全管理工作会议",
    "开展邮政普遍服务监督检查",
    "部署旺季寄递服务保障工作",
    "推进农村寄递物流体系建设",
    "召开政企联席会议",
    "开展快递包装绿色治理专项行动",
    "组织快递员权益保障座谈会",
    "开展寄递企业安全生产大检查",
)
_DUTIES = (
    "压实企业安全生产主体责任，严格落实收寄验视、实名收寄、过机安检三项制度",
    "加快推进快递进村，巩固建制村直接通邮成果，完善县乡村三级寄递物流体系",
    "持续提升邮政普遍服务水平，认真做好消费者申诉处理工作",
    "推动绿色包装要求落实到位，减少过度包装和随意包装",
    "切实保障快递员合法权益，畅通快递员诉求表达渠道",
    "做好重大活动和重要时间节点寄递渠道安全服务保障工作",
)


@dataclass
class MirrorArticle:
    """One article of the mirror: where it is listed, where it lives, how it is served."""

    key: int
    channel: Channel
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


# Words the generated bodies are drawn from, so that two articles share little text: a crawl
# test must see distinct articles as distinct, not as near-duplicates of one template.
_WORDS = [
    "邮政",
    "快递",
    "寄递",
    "网点",
    "服务",
    "监管",
    "安全",
    "农村",
    "建设",
    "推进",
    "落实",
    "企业",
    "行业",
    "质量",
    "保障",
    "渠道",
    "包装",
    "绿色",
    "末端",
    "驿站",
    "快件",
    "揽收",
    "投递",
    "分拣",
    "中心",
    "运输",
    "干线",
    "冷链",
    "跨境",
    "电商",
    "乡镇",
    "建制村",
    "通邮",
    "普遍服务",
    "机要",
    "党建",
    "作风",
    "培训",
    "考核",
    "督导",
    "检查",
    "整改",
    "隐患",
    "风险",
    "应急",
    "预案",
    "演练",
    "旺季",
    "高峰",
    "时限",
    "申诉",
    "投诉",
    "满意度",
    "实名",
    "验视",
    "安检",
    "制度",
    "许可",
    "备案",
    "执法",
    "信用",
    "标准",
    "规范",
    "数据",
    "信息",
    "平台",
    "智能",
    "设备",
    "无人车",
    "快递柜",
    "从业人员",
    "权益",
    "社保",
    "驿站",
    "共配",
    "统仓",
    "县级",
    "市级",
    "省局",
    "政企",
    "联席",
    "座谈",
    "调研",
    "部署",
    "总结",
    "通报",
    "表彰",
    "协同",
    "融合",
    "发展",
    "创新",
    "改革",
    "营商环境",
    "服务窗口",
    "邮票",
    "集邮",
    "报刊",
    "发行",
    "网络",
    "覆盖",
    "效率",
    "成本",
    "效益",
]


def article_text(bureau: Bureau, key: int, year: int | None = None) -> tuple[str, tuple[str, ...]]:
    """A generated title and body for article number *key* (each key a different body), about
    the quarter before *year*'s publication. Deterministic per bureau and key."""
    rng = random.Random(f"{bureau.code}-{key}")
    city = _CITIES[key % len(_CITIES)]
    topic = _TOPICS[(key // len(_CITIES)) % len(_TOPICS)]
    duties = rng.sample(_DUTIES, 3)
    year = year or 2019 + key % 6

    def clause() -> str:
        return "、".join(rng.sample(_WORDS, rng.randint(3, 5)))

    def details(n: int) -> str:
        return "，".join(
            f"{rng.choice(('加强', '做好', '围绕', '聚焦', '统筹'))}{clause()}工作"
            for _ in range(n)
        )

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
    return f"{city}局{topic}", paragraphs


class BureauMirror:
    """The pages of one bureau site (``gd`` by default) as a route table.

    *articles* listed articles (newest first) are spread over the bureau's channels, *page_size*
    to a list page. ``faults=False`` serves only clean pages (the benchmark).
    """

    def __init__(
        self,
        bureau: Bureau | str = "gd",
        articles: int = 120,
        page_size: int = 20,
        faults: bool = True,
    ) -> None:
        self.bureau = bureau if isinstance(bureau, Bureau) else bureau_named(bureau)
        self.page_size = page_size
        self.faults = faults
        self.articles: list[MirrorArticle] = []  # newest first
        step = timedelta(days=SPAN_DAYS / max(articles, 1))
        for i in range(articles):
            fault = FAULT_POSITIONS.get(i) if faults else None
            published = NEWEST - step * i
            if fault == "duplicate":  # the same article in two channels: one publication date
                published = self.articles[-1].published
            self.articles.append(self._article(i, published, fault, position=i))
        if faults:
            self._add_migrated_faults()

    # -- the articles ----------------------------------------------------------------------
    def _article(
        self, key: int, published: datetime, fault: Fault | None, position: int
    ) -> MirrorArticle:
        channels = self.bureau.hint_channels
        channel = channels[position % len(channels)]
        text_key = key - 1 if fault == "duplicate" else key
        title, paragraphs = article_text(self.bureau, text_key, published.year)
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
        prefix = self.bureau.hint_prefix
        if shape == "trs":
            path = f"/{TRS_COLUMN}/{month}/t{published:%Y%m%d}_{700000 + key}.html"
        elif fault == "robots":
            path = f"/{prefix}/nbgl/{month}/{_hex_id(self.bureau.code, key)}.shtml"
        else:
            path = f"/{prefix}/{channel.path}/{month}/{_hex_id(self.bureau.code, key)}.shtml"
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
                    f"/{self.bureau.hint_prefix}/{article.channel.path}/{article.published:%Y%m}/"
                    f"{_hex_id(self.bureau.code, article.key, 'moved')}.shtml"
                )
                break

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

    # -- pages -----------------------------------------------------------------------------
    def _site_vars(self) -> dict[str, str]:
        return {
            "site_name": self.bureau.display_name,
            "domain": self.bureau.domain,
            "prefix": self.bureau.hint_prefix,
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

    def channel_articles(self, channel: Channel) -> list[MirrorArticle]:
        return [a for a in self.articles if a.channel == channel]

    def list_path(self, channel: Channel, page: int) -> str:
        """``common_list.shtml`` for page 1, ``common_list_<N>.shtml`` after it."""
        name = "common_list.shtml" if page == 1 else f"common_list_{page}.shtml"
        return f"/{self.bureau.hint_prefix}/{channel.path}/{name}"

    def list_pages(self, channel: Channel) -> dict[str, bytes]:
        """The static list pages of a channel, path → HTML."""
        articles = self.channel_articles(channel)
        chunks = [
            articles[i : i + self.page_size] for i in range(0, len(articles), self.page_size)
        ] or [[]]
        pages: dict[str, bytes] = {}
        for number, chunk in enumerate(chunks, start=1):
            rows = "\n".join(
                f'        <li><a href="{a.listed_path}" target="_blank"><p>{escape(a.title)}</p>'
                f"<span>{a.day}</span></a></li>"
                for a in chunk
            )
            pager = [f'<a href="{self.list_path(channel, 1)}">首页</a>']
            if number > 1:
                pager.append(f'<a href="{self.list_path(channel, number - 1)}">上一页</a>')
            if number < len(chunks):
                pager.append(f'<a href="{self.list_path(channel, number + 1)}">下一页</a>')
            pager.append(f"<span>共{len(chunks)}页</span>")
            html = _template("list.html").substitute(
                self._site_vars(),
                channel_label=channel.label,
                channel_path=channel.path,
                rows=rows,
                pager=" ".join(pager),
            )
            pages[self.list_path(channel, number)] = html.encode("utf-8")
        return pages

    def api_pages(self, channel: Channel) -> dict[str, bytes]:
        """The JSON search API answers of a channel (one past the end: an empty page)."""
        assert channel.api_id is not None
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
                    # The API answers with http:// URLs of the real site (sites.md §1).
                    "url": f"http://{self.bureau.domain}{a.listed_path}",
                    # Epoch milliseconds of the China-time publication moment.
                    "publishedTime": int(a.published.replace(tzinfo=CHINA_TIME).timestamp() * 1000),
                    "publishedTimeStr": f"{a.published:%Y-%m-%d %H:%M:%S}",
                    "channelCodeName": channel.path.rsplit("/", 1)[-1],
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
            key = api_url("", channel.api_id, page)
            pages[key] = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return pages

    def routes(self) -> dict[str, Route]:
        """The whole site: path (with query for the API) → :class:`Route`."""
        site = self._site_vars()
        routes: dict[str, Route] = {
            "/robots.txt": Route(
                _template("robots.txt").substitute(site).encode(), content_type="text/plain"
            )
        }
        channel_items = "\n".join(
            f'<li><a href="{self.list_path(c, 1)}">{escape(c.label)}</a></li>'
            for c in self.bureau.hint_channels
        )
        index = _template("index.html").substitute(site, channels=channel_items).encode("utf-8")
        routes["/"] = routes[f"/{self.bureau.hint_prefix}/index.shtml"] = Route(index)
        for channel in self.bureau.hint_channels:
            if not channel.path:
                continue
            for path, body in self.list_pages(channel).items():
                routes[path] = Route(body)
            if channel.api_id:
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
                body, content_type=content_type, fail_first=1 if article.fault == "retry" else 0
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
    out.list_pages = sum(len(mirror.list_pages(c)) for c in mirror.bureau.channels)
    for article in mirror.articles:
        if article.fault:
            out.faults[article.fault] = out.faults.get(article.fault, 0) + 1
    return out
