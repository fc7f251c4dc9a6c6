"""The boilerplate ("chrome") filter: which lines of a page are the article, and which are not.

Works on cleaned lines (see :func:`postcrawl.chinese_text.clean_line`), in simplified Chinese, so one
rule covers a traditional page too. Three kinds of line leave the body:

* chrome (banners, breadcrumbs, share widgets, disclaimers, contact blocks, footers, …), dropped
  and counted by rule name;
* metadata lines (date, 来源, 作者, 转自, 原文链接), read by :mod:`postcrawl.metaline` into a
  :class:`~postcrawl.metaline.LineMeta` and dropped;
* headline copies (the title, kicker or sub-title repeated inside the body).

A *tail* rule (原文链接, 免责声明, 今日热搜, …) ends the article: it and every line after it go.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from postcrawl.chinese_text import comparable, to_simplified
from postcrawl.metaline import MAX_META_LINE, LineMeta, parse_meta_line

# A short line in the head region (before the first prose line) may be a kicker or sub-title.
MAX_HEADER_LINE = 40


@dataclass(frozen=True)
class Rule:
    """One chrome pattern. ``tail`` rules end the article once some body text has been seen."""

    name: str
    pattern: re.Pattern[str]
    tail: bool = False
    # Strings one of which every match contains: a line with none of them is not searched.
    # (A substring test costs a fraction of a search that may start at every character.)
    needles: tuple[str, ...] = ()


_ESCAPE = re.compile(r"\\.")


def _rule(name: str, pattern: str, *, tail: bool = False, needles: tuple[str, ...] = ()) -> Rule:
    # Case matters only to Latin letters; with IGNORECASE the regex engine no longer skips
    # ahead to a pattern's first characters, so rules with none (\s, \d aside) go without it.
    latin = re.search("[A-Za-z]", _ESCAPE.sub("", pattern))
    return Rule(name, re.compile(pattern, re.IGNORECASE if latin else 0), tail, needles)


RULES: tuple[Rule, ...] = (
    _rule("banner", r"^(欢迎(访问|光临|来到|您访问)|welcome to)"),
    _rule(
        "breadcrumb",
        r"^(当前位置|您所在的位置|您的位置|所在位置|当前的位置|位置)\s*[:：>]?|^首页\s*>",
    ),
    _rule(
        "breadcrumb",
        r"^[^。,，!?！？]{0,60}(\s*>\s*[^。,，>]{1,12}){2,}\s*(正文)?[:：]?$",
        needles=(">",),
    ),
    _rule("share", r"^(分享到|分享至|一键分享)|^(扫一扫|用手机扫描|扫描二维码|微信扫一扫)"),
    _rule("share", r"扫一扫在手机|在手机(上)?打开当前页", needles=("手机",)),
    _rule(
        "print",
        r"^([【\[]?\s*(打印|关闭|打印本页|关闭窗口|打印文章|收藏|返回顶部|字号|大|中|小)\s*[】\]]?[\s|]*)+$",
    ),
    _rule("rolling", r"^(滚动新闻|滚动|最新消息|热点推荐|推荐阅读|相关阅读|延伸阅读|热门文章)$"),
    _rule(
        "hot-list",
        r"^(今日热搜|热搜|相关新闻|相关文章|热门推荐|猜你喜欢|热点新闻)\s*[:：]?$",
        tail=True,
    ),
    _rule("repost-link", r"^(原文链接|原文地址|原文网址)\s*[:：]", tail=True),
    _rule("disclaimer", r"^[【\[]?\s*免责声明\s*[】\]]?", tail=True),
    _rule(
        "disclaimer",
        r"本站部分信息由|本网部分转载|凡本网未注明|凡注明[\"“]?来源",
        tail=True,
        needles=("部分", "凡"),
    ),
    _rule(
        "disclaimer",
        r"未经(本网|本站)?(允许|授权|书面授权)[^。]{0,12}不得(转载|复制|镜像)",
        tail=True,
    ),
    _rule(
        "disclaimer",
        # (…授权…发布,未经 with or without 独家 before it: leaving 独家 out lets the engine skip
        # ahead to the first characters of the three alternatives.)
        r"授权[^。]{0,20}发布,?未经|转载请注明(出处|来源)|版权归原作者",
        tail=True,
        needles=("授权", "转载请注明", "版权归原作者"),
    ),
    _rule("disclaimer", r"无法联系到权利人|如涉及作品内容、版权", needles=("权利人", "如涉及")),
    _rule(
        "contact",
        r"^(联系电话|监督电话|举报电话|服务热线|咨询电话|联系方式|地址|联系地址|通讯地址|"
        r"联系邮箱|电子邮箱|邮箱|客服QQ|QQ|邮编|邮政编码|传真)\s*[:：]",
    ),
    _rule(
        "contact",
        r"违法和不良信息举报|(联系邮箱|客服QQ)\s*[:：]",
        needles=("举报", "联系邮箱", "客服"),
    ),
    # (Both Latin words have a g, which no other letter matches even ignoring case.)
    _rule(
        "copyright",
        r"版权所有|all rights reserved|copyright|©|\(c\)\s*\d{4}",
        needles=("版权所有", "©", "(", "g", "G"),
    ),
    _rule(
        "copyright", r"ICP备|ICP证|公网安备|网安备\d|网站标识码", needles=("备", "证", "网站标识码")
    ),
    _rule(
        "sponsor",
        r"^(主办单位|承办单位|主办|承办|技术支持|网站维护|协办)\s*[:：]|主办\s*-{1,2}|^[^。]{2,30}主办$",
        needles=("主办", "承办", "技术支持", "网站维护", "协办"),
    ),
    _rule("editor", r"^[(（\[]?\s*(责编|责任编辑|编辑|审核|校对|终审|初审)\s*[:：]"),
    _rule("counter", r"^(浏览次数|阅读次数|点击数|访问量|阅读量)\s*[:：]"),
)

MENU_WORDS = frozenset(
    [
        "首页",
        "本网概况",
        "网站概况",
        "关于我们",
        "联系我们",
        "会员服务",
        "免责声明",
        "网站地图",
        "版权声明",
        "网站声明",
        "法律声明",
        "隐私政策",
        "广告服务",
        "意见反馈",
        "帮助中心",
        "投稿须知",
        "网站导航",
        "使用帮助",
    ]
)


@dataclass
class FilterResult:
    """The article paragraphs, the metadata found in lines, and what was dropped, by rule."""

    paragraphs: list[str]
    meta: LineMeta
    dropped: Counter[str] = field(default_factory=Counter)


_BYLINE = re.compile(r"(记者|通讯员|特约撰稿|撰文)\s*\S{1,12}$")
_SENTENCE_END = re.compile(r"[。！？!?；;]")


_MENU_SPLIT = re.compile(r"[\s|｜/]+")
_MENU_WORD = re.compile("|".join(sorted(MENU_WORDS, key=len, reverse=True)))
_FOOTER_MENU = Rule("footer-menu", re.compile(""))


def chrome_rule(line: str) -> Rule | None:
    """The chrome rule that *line* matches, if any."""
    if len(line) >= MAX_META_LINE * 2:
        return None
    for rule in RULES:
        if rule.needles and not any(needle in line for needle in rule.needles):
            continue
        if rule.pattern.search(line):
            return rule
    if _MENU_WORD.search(line):  # (splitting every line into tokens costs more)
        tokens = _MENU_SPLIT.split(line)
        if len(tokens) >= 3 and sum(t in MENU_WORDS for t in tokens) >= 2:
            return _FOOTER_MENU
    return None


def is_prose(line: str) -> bool:
    """A line that reads as article text rather than a label: long, or a full sentence."""
    return len(line) > MAX_HEADER_LINE or bool(_SENTENCE_END.search(line))


def filter_chrome(
    lines: Iterable[str],
    *,
    title: str | None = None,
    header_texts: Sequence[str] = (),
    chrome_lines: Sequence[str] = (),
) -> FilterResult:
    """Split cleaned *lines* into article paragraphs, metadata and dropped chrome.

    *title* and *header_texts* (kicker, sub-title) are dropped wherever they repeat in the body;
    *chrome_lines* are a site's own fixed lines (its name, its ticker label).
    """
    meta = LineMeta()
    dropped: Counter[str] = Counter()
    kept: list[str] = []
    headline_keys = {comparable(t) for t in (title, *header_texts) if t}
    headline_keys.discard("")
    title_key = comparable(title) if title else ""
    fixed = {comparable(c) for c in chrome_lines}
    pending = list(lines)
    head_counts = Counter(comparable(line) for line in _head(pending))

    for line in pending:
        view = to_simplified(line)  # rules are written in simplified Chinese
        key = comparable(view)
        if not key:
            dropped["empty"] += 1
            continue
        if key in headline_keys:
            dropped["headline-copy"] += 1
            continue
        if key in fixed:
            dropped["site-chrome"] += 1
            continue
        line_meta = parse_meta_line(view)
        if line_meta is not None:
            meta.merge(line_meta)
            dropped["meta"] += 1
            if line_meta.original_url and kept:
                break  # 原文链接 closes a repost: what follows is the aggregator's footer.
            continue
        rule = chrome_rule(view)
        if rule is not None:
            dropped[rule.name] += 1
            if rule.tail and kept:
                dropped["tail"] += 1
                break
            continue
        # Head region: a short line before the article starts. Kicker, pre-title and title
        # lines repeat here, or are part of the title; a real opening heading is neither.
        in_head = not kept and not is_prose(view)
        if in_head and (head_counts[key] > 1 or _overlaps(key, title_key)):
            dropped["headline-copy"] += 1
            continue
        kept.append(line)

    # A closing byline ("山西晚报·山河+记者 王茜") is metadata, not body.
    if kept and _is_byline(kept[-1]):
        meta.author = meta.author or kept.pop()
        dropped["byline"] += 1
    return FilterResult(kept, meta, dropped)


def _overlaps(key: str, title_key: str) -> bool:
    return bool(title_key) and (key in title_key or title_key in key)


def _is_byline(line: str) -> bool:
    short = len(line) <= MAX_HEADER_LINE and not _SENTENCE_END.search(line)
    return short and bool(_BYLINE.search(to_simplified(line)))


def _head(lines: list[str]) -> list[str]:
    """The lines before the first prose line."""
    head: list[str] = []
    for line in lines:
        if is_prose(line):
            break
        head.append(line)
    return head
