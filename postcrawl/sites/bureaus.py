"""The State Post Bureau CMS family: the national bureau and the 31 provincial bureaus as rows.

A row needs only the subdomain ``code`` and the name: the spider discovers the site from its
home page (the channel lists its navigation links to, each list's "more" link naming the
channel id of the search API). The ``prefix`` and ``channels`` of a row are *hints*, used only
when the home page yields no navigation. Adding a bureau (a city bureau, say) is one more row.

Each hint says how well it is supported (see ``docs/sites.md``): ``seen`` (a public crawler or
capture shows it), ``inferred``, or ``guess``. Prefixes are not derivable from the subdomain,
channel codes differ per province, and an article's path need not sit under its list's channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from postcrawl.sites.model import Evidence, PageRules, Site


@dataclass(frozen=True)
class Channel:
    """A list channel of a bureau site, as a hint: its path below the prefix, what it holds,
    and its search-API id where one is known.

    ``path`` may be empty for a channel known only by its API id (the national 行业要闻)."""

    path: str  # e.g. "c100057/c100061"
    label: str = ""  # e.g. "工作动态"; empty where no capture names it
    api_id: str | None = None  # 32-hex channelId of the JSON search API, where known
    evidence: Evidence = "seen"

    @property
    def code(self) -> str | None:
        """The innermost channel code of the path (``c100061``)."""
        return self.path.rsplit("/", 1)[-1] or None


# The current CMS's article page ("Article page" in docs/sites.md).
# Pages left from the old TRS system (``/<col>/<YYYYMM>/t<YYYYMMDD>_<id>.html``) use the
# ``.TRS_Editor`` body too, with ``div.title`` and a ``div.time`` line (发布时间/来源) above it;
# the old cq capture (2016–17) reads ``.flo.boxcenter`` (title) and ``.dlll`` (body).
CMS_RULES = PageRules(
    body=(".detail-news .TRS_Editor", ".detail-news", ".content-body", ".TRS_Editor", ".dlll"),
    title=(
        "meta[name=ArticleTitle]",
        ".content h2",
        ".content-title",
        "h1",
        "div.title",
        ".flo.boxcenter",
    ),
    meta=(".info p.fl", ".info", ".content-head", "div.time"),
    remove=(".fujian", ".ewm", "#QRCode", ".share", ".printIco", ".print", "script", "style"),
    attachments=(".fujian", ".detail-news", ".content-body", ".TRS_Editor"),
)

# Fallback for a province whose home page yields no navigation and whose row has no channel
# of its own: the pair seen on sh, hb and gd. On any other province this is a guess.
GUESSED_CHANNELS = (
    Channel("c100057/c100061", "工作动态", evidence="guess"),
    Channel("c100057/c100058", "通知公告", evidence="guess"),
)

NATIONAL_CHANNELS = (
    # 政策法规标准: nested under c100009; API id with code c100012 (seen).
    Channel("c100009/c100012", "政策法规标准", api_id="de7de12df24948b98dcb8420d3777c04"),
    # 统计信息 (seen); its more-link names this id with code c100276 (seen); its rows link to
    # articles under /gjyzj/c100015/c100016/ (seen).
    Channel("c100276", "统计信息", api_id="ce2d4d5628314ff7a81553529fb7f6a0"),
    Channel("c100015/c100016", "行业运行情况"),  # seen (news, monthly 运行情况)
    Channel("c100015/c100017"),  # seen, label unknown
    Channel("c100278", "快递发展指数"),  # seen; its API id is known only in part
    # 国家邮政局行业要闻: an API id (seen) that nothing ties to a list path.
    Channel("", "国家邮政局行业要闻", api_id="a630715264f14e0aafa4ab2a945fd6da"),
)


@dataclass(frozen=True)
class Bureau:
    """One bureau site of the CMS family. ``code`` is the subdomain; the spider is ``<code>_spb``.

    ``prefix`` (``gdsyzglj``) and ``channels`` are hints for a home page without navigation;
    ``prefix=None`` where no capture shows the prefix."""

    code: str
    display_name: str
    province: str
    prefix: str | None = None
    prefix_evidence: Evidence = "seen"
    channels: tuple[Channel, ...] = ()

    @property
    def spider_name(self) -> str:
        return "spb" if self.code == "www" else f"{self.code}_spb"

    @property
    def domain(self) -> str:
        return f"{self.code}.spb.gov.cn"

    @property
    def hint_prefix(self) -> str:
        """The prefix to try without navigation: the row's, else the common ``<code>syzglj``
        shape (a guess: autonomous regions may drop the ``s``, as xz does)."""
        return self.prefix or f"{self.code}syzglj"

    @property
    def hint_channels(self) -> tuple[Channel, ...]:
        """The channels to try without navigation: the row's, else the guessed pair."""
        return self.channels or GUESSED_CHANNELS

    def list_path(self, channel: Channel) -> str:
        """The root-relative path of a hinted channel's static list."""
        return f"/{self.hint_prefix}/{channel.path}/common_list.shtml"

    @property
    def site(self) -> Site:
        return Site(
            name=self.spider_name,
            display_name=self.display_name,
            domain=self.domain,
            rules=CMS_RULES,
            official=True,
            path_prefix="/",
            province=self.province,
        )


def _province(
    code: str,
    name: str,
    full: str,
    prefix: str | None = None,
    *channels: Channel,
) -> Bureau:
    return Bureau(
        code=code,
        display_name=f"{full}邮政管理局",
        province=name,
        prefix=prefix,
        prefix_evidence="seen" if prefix else "guess",
        channels=channels,
    )


NATIONAL = Bureau(
    code="www",
    display_name="国家邮政局",
    province="全国",
    prefix="gjyzj",
    channels=NATIONAL_CHANNELS,
)

# Prefixes and channels below are seen unless marked; the rest of the provinces have no
# evidence at all and rely on discovery.
PROVINCES: tuple[Bureau, ...] = (
    _province("bj", "北京", "北京市"),
    _province("tj", "天津", "天津市"),
    _province("he", "河北", "河北省", "hbsyzglj", Channel("c100756/c100761")),
    _province("sx", "山西", "山西省"),
    _province("nm", "内蒙古", "内蒙古自治区"),
    _province("ln", "辽宁", "辽宁省"),
    _province("jl", "吉林", "吉林省"),
    _province("hl", "黑龙江", "黑龙江省"),
    _province("sh", "上海", "上海市", "shsyzglj", Channel("c100057/c100058", "通知公告")),
    _province("js", "江苏", "江苏省"),
    _province("zj", "浙江", "浙江省"),
    _province("ah", "安徽", "安徽省"),
    _province("fj", "福建", "福建省"),
    _province("jx", "江西", "江西省"),
    _province("sd", "山东", "山东省"),
    _province("ha", "河南", "河南省"),
    _province(
        "hb",
        "湖北",
        "湖北省",
        "hubsyzglj",
        Channel("c100057/c100061", "市州/县局工作动态"),
        # A list whose more-link names channel id 442538b4… with code c104693.
        Channel("c100068/c100112", api_id="442538b4702e42a1b20f32cbafa4aab4"),
        # City-bureau channels.
        Channel("c104905/c104908"),
        Channel("c104687/c104691"),
        Channel("c104724/c104729"),
        Channel("c105013/c105016"),
    ),
    _province("hn", "湖南", "湖南省"),
    _province("gd", "广东", "广东省", "gdsyzglj", Channel("c100057/c100061", "工作动态")),
    _province("gx", "广西", "广西壮族自治区"),
    _province("hi", "海南", "海南省"),
    _province("cq", "重庆", "重庆市"),
    _province("sc", "四川", "四川省"),
    _province("gz", "贵州", "贵州省"),
    _province("yn", "云南", "云南省"),
    _province("xz", "西藏", "西藏自治区", "xzyzglj", Channel("c100065/c100066")),
    _province("sn", "陕西", "陕西省"),
    _province(
        "gs", "甘肃", "甘肃省", "gssyzglj", Channel("c103910/c103912"), Channel("c100062/c100149")
    ),
    _province("qh", "青海", "青海省"),
    _province("nx", "宁夏", "宁夏回族自治区"),
    _province("xj", "新疆", "新疆维吾尔自治区"),
)

# City bureaus have subdomains of their own (zjhz.spb.gov.cn, linked from the Zhejiang site:
# seen, linked only). Adding one is this one line; discovery finds its prefix and channels.
CITY_BUREAUS: tuple[Bureau, ...] = (
    Bureau(code="zjhz", display_name="杭州市邮政管理局", province="浙江", prefix_evidence="guess"),
)

BUREAUS: tuple[Bureau, ...] = (NATIONAL, *PROVINCES, *CITY_BUREAUS)
BUREAU_SITES: tuple[Site, ...] = tuple(b.site for b in BUREAUS)
