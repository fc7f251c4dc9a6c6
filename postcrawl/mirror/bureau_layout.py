"""The bureau mirror's layout: its own prefix and channels (never read from the site table),
the paths of its home page, lists and "more" pages, and its data files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources


def site_text(name: str) -> str:
    """A data file of the bureau mirror, ``postcrawl/mirror/sites/bureau/<name>``."""
    return (resources.files("postcrawl.mirror") / "sites" / "bureau" / name).read_text("utf-8")


def hex_id(*parts: object) -> str:
    """A stable 32-hex id made of *parts* (the CMS's ids look like this)."""
    return hashlib.md5("-".join(map(str, parts)).encode()).hexdigest()


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
        return hex_id("channel", self.path, self.code)

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

    @property
    def home_path(self) -> str:
        return f"/{self.prefix}/index.shtml"

    def list_path(self, channel: MirrorChannel) -> str:
        """The channel's static list, ``/<prefix>/<path>/common_list.shtml``."""
        return f"/{self.prefix}/{channel.path}/common_list.shtml"

    def more_path(self, channel: MirrorChannel) -> str:
        """The channel's "more" page with its channel id and code, as the list links it."""
        folder = channel.more_path or channel.path
        query = f"channelId={channel.channel_id}&code={channel.code}"
        return f"/{self.prefix}/{folder}/{channel.more_name}?{query}"


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
