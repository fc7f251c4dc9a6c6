"""The State Post Bureau CMS family: the national bureau and the 31 provincial bureaus as rows.

Adding a bureau (a city bureau, say) is one more :class:`Bureau` row. Path prefixes are not
derivable from the subdomain (sites.md §1); rows whose prefix no capture has confirmed say so
with ``prefix_confirmed=False`` and use the common ``<code>syzglj`` shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from postcrawl.sites.model import PageRules, Site


@dataclass(frozen=True)
class Channel:
    """A list channel of a bureau site: its path below the prefix and what it holds."""

    path: str  # e.g. "c100057/c100061"
    label: str  # e.g. "工作动态"
    api_id: str | None = None  # 32-hex channelId of the JSON search API, where known


# The current CMS's article page (sites.md §1, "Article page").
# Pages left from the old TRS system (``/<col>/<YYYYMM>/t<YYYYMMDD>_<id>.html``) use the
# ``.TRS_Editor`` body too, with ``div.title`` and a ``div.time`` line (发布时间/来源) above it.
CMS_RULES = PageRules(
    body=(".detail-news .TRS_Editor", ".detail-news", ".content-body", ".TRS_Editor"),
    title=("meta[name=ArticleTitle]", ".content h2", ".content-title", "h1", "div.title"),
    meta=(".info p.fl", ".info", ".content-head", "div.time"),
    remove=(".fujian", ".ewm", "#QRCode", ".share", ".printIco", ".print", "script", "style"),
    attachments=(".fujian", ".detail-news", ".content-body", ".TRS_Editor"),
)

# Channels every provincial site of the current CMS carries (sites.md §1): work news and notices.
PROVINCIAL_CHANNELS = (
    Channel("c100057/c100061", "工作动态"),
    Channel("c100057/c100058", "通知公告"),
)
NATIONAL_CHANNELS = (
    Channel("c100276", "行业要闻", api_id="a630715264f14e0aafa4ab2a945fd6da"),
    Channel("c100012", "政策法规标准", api_id="de7de12df24948b98dcb8420d3777c04"),
)


@dataclass(frozen=True)
class Bureau:
    """One bureau site of the CMS family. ``code`` is the subdomain; the spider is ``<code>_spb``."""

    code: str
    display_name: str
    province: str
    prefix: str
    prefix_confirmed: bool = True
    channels: tuple[Channel, ...] = PROVINCIAL_CHANNELS

    @property
    def spider_name(self) -> str:
        return "spb" if self.code == "www" else f"{self.code}_spb"

    @property
    def domain(self) -> str:
        return f"{self.code}.spb.gov.cn"

    def list_path(self, channel: Channel) -> str:
        """The root-relative path of a channel's static list (its first page)."""
        return f"/{self.prefix}/{channel.path}/common_list.shtml"

    @property
    def site(self) -> Site:
        return Site(
            name=self.spider_name,
            display_name=self.display_name,
            domain=self.domain,
            kind="bureau",
            rules=CMS_RULES,
            official=True,
            path_prefix="/",
            province=self.province,
        )


def _province(code: str, name: str, full: str, prefix: str | None = None) -> Bureau:
    return Bureau(
        code=code,
        display_name=f"{full}邮政管理局",
        province=name,
        prefix=prefix or f"{code}syzglj",
        prefix_confirmed=prefix is not None,
    )


NATIONAL = Bureau(
    code="www",
    display_name="国家邮政局",
    province="全国",
    prefix="gjyzj",
    channels=NATIONAL_CHANNELS,
)

PROVINCES: tuple[Bureau, ...] = (
    _province("bj", "北京", "北京市"),
    _province("tj", "天津", "天津市"),
    _province("he", "河北", "河北省", "hbsyzglj"),
    _province("sx", "山西", "山西省"),
    _province("nm", "内蒙古", "内蒙古自治区"),
    _province("ln", "辽宁", "辽宁省"),
    _province("jl", "吉林", "吉林省"),
    _province("hl", "黑龙江", "黑龙江省"),
    _province("sh", "上海", "上海市", "shsyzglj"),
    _province("js", "江苏", "江苏省"),
    _province("zj", "浙江", "浙江省"),
    _province("ah", "安徽", "安徽省"),
    _province("fj", "福建", "福建省"),
    _province("jx", "江西", "江西省"),
    _province("sd", "山东", "山东省"),
    _province("ha", "河南", "河南省"),
    _province("hb", "湖北", "湖北省", "hubsyzglj"),
    _province("hn", "湖南", "湖南省"),
    _province("gd", "广东", "广东省", "gdsyzglj"),
    _province("gx", "广西", "广西壮族自治区"),
    _province("hi", "海南", "海南省"),
    _province("cq", "重庆", "重庆市"),
    _province("sc", "四川", "四川省"),
    _province("gz", "贵州", "贵州省"),
    _province("yn", "云南", "云南省"),
    _province("xz", "西藏", "西藏自治区"),
    _province("sn", "陕西", "陕西省"),
    _province("gs", "甘肃", "甘肃省", "gssyzglj"),
    _province("qh", "青海", "青海省"),
    _province("nx", "宁夏", "宁夏回族自治区"),
    _province("xj", "新疆", "新疆维吾尔自治区"),
)

BUREAUS: tuple[Bureau, ...] = (NATIONAL, *PROVINCES)
BUREAU_SITES: tuple[Site, ...] = tuple(b.site for b in BUREAUS)
