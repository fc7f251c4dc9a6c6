"""The bureau mirror's articles: generated ones spread over the layout's channels (with the
fault cases), the originals an aggregator mirror reposts, and new ones published later."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from postcrawl.mirror.bureau_layout import MirrorChannel, MirrorLayout, hex_id, site_text
from postcrawl.mirror.bureau_text import article_text
from postcrawl.sites.bureaus import Bureau

Shape = Literal["cms", "trs", "disclosure"]
Fault = Literal[
    "retry", "missing", "empty", "gb18030", "stub", "moved", "robots", "duplicate", "slow"
]

# The newest article of a fresh mirror, and how far back its articles reach.
NEWEST = datetime(2024, 6, 28, 10, 0)
SPAN_DAYS = 1800  # about five years: the oldest articles predate the 2020 CMS migration
MIGRATION = date(2020, 1, 1)
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
    35: "slow",
}
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


class ArticleSet:
    """A bureau mirror's articles, newest first (:attr:`articles`), spread over the layout's
    channels; with *faults*, the fault cases at :data:`FAULT_POSITIONS`, a disclosure page and
    a moved TRS page. *body_chars* is a floor on each generated body's length."""

    def __init__(
        self, bureau: Bureau, layout: MirrorLayout, faults: bool = True, body_chars: int = 0
    ) -> None:
        self.bureau = bureau
        self.layout = layout
        self.faults = faults
        self.body_chars = body_chars
        self.articles: list[MirrorArticle] = []  # newest first
        self.originals: list[MirrorArticle] = []  # reposted by an aggregator mirror

    def generate(self, count: int) -> None:
        """Add *count* articles, from :data:`NEWEST` back over :data:`SPAN_DAYS` days."""
        step = timedelta(days=SPAN_DAYS / max(count, 1))
        for i in range(count):
            fault = FAULT_POSITIONS.get(i) if self.faults else None
            published = NEWEST - step * i
            if fault == "duplicate":  # the same article in two channels: one publication date
                published = self.articles[-1].published
            self.articles.append(self._article(i, published, fault, position=i))
        if self.faults:
            self._add_migrated_faults()

    def _article(
        self, key: int, published: datetime, fault: Fault | None, position: int
    ) -> MirrorArticle:
        channels = self.layout.article_channels
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
        self._place(article)
        return article

    def _place(self, article: MirrorArticle) -> None:
        """Set where a generated article is listed and served."""
        key, published, prefix = article.key, article.published, self.layout.prefix
        month = f"{published:%Y%m}"
        if article.shape == "trs":
            path = f"/{TRS_COLUMN}/{month}/t{published:%Y%m%d}_{700000 + key}.html"
        elif article.fault == "robots":
            path = f"/{prefix}/nbgl/{month}/{hex_id(self.bureau.code, key)}.shtml"
        else:
            under = article.channel.articles_under
            path = f"/{prefix}/{under}/{month}/{hex_id(self.bureau.code, key)}.shtml"
        article.listed_path = article.home_path = path
        if article.fault == "stub":
            article.home_path = (
                f"/{prefix}/{STUB_TARGET_CHANNEL}/{month}/{hex_id(self.bureau.code, key, 'x')}"
                ".shtml"
            )

    def _add_migrated_faults(self) -> None:
        # The first old TRS URL is "moved": it now 301s to a current-CMS page.
        for article in self.articles:
            if article.shape == "trs" and article.fault is None:
                article.fault = "moved"
                article.shape = "cms"
                article.home_path = (
                    f"/{self.layout.prefix}/{article.channel.articles_under}/"
                    f"{article.published:%Y%m}/"
                    f"{hex_id(self.bureau.code, article.key, 'moved')}.shtml"
                )
                break

    def add_originals(self) -> None:
        """Publish the articles the aggregator mirrors repost (``sites/bureau/originals.json``,
        this bureau's entries) at their real paths, in date order."""
        entries = json.loads(site_text("originals.json")).get(self.bureau.code, [])
        first_key = self._next_key()
        for i, entry in enumerate(entries):
            channel = next(c for c in self.layout.article_channels if c.code == entry["channel"])
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

    def _next_key(self) -> int:
        return max((a.key for a in self.articles), default=-1) + 1

    def add(self, count: int) -> list[MirrorArticle]:
        """Publish *count* new articles, newer than every other, at the top of the lists."""
        newest = self.articles[0].published if self.articles else NEWEST
        first_key = self._next_key()
        new = [
            self._article(first_key + i, newest + timedelta(days=count - i), None, position=i)
            for i in range(count)
        ]
        self.articles[:0] = new
        return new

    def in_channel(self, channel: MirrorChannel) -> list[MirrorArticle]:
        """The channel's articles, newest first."""
        return [a for a in self.articles if a.channel == channel]

    def expected(self) -> dict[str, MirrorArticle]:
        """The articles a crawl must archive, one per distinct body, by their body's key."""
        out: dict[str, MirrorArticle] = {}
        for article in self.articles:
            if article.retrievable:
                out.setdefault(article.paragraphs[-1], article)
        return out

    def static(self, page_size: int) -> list[MirrorArticle]:
        """The articles reachable without the API: each static list's newest *page_size* rows,
        and every row of a more page that lists its rows in the HTML."""
        out: list[MirrorArticle] = []
        for channel in self.layout.article_channels:
            listed = self.in_channel(channel)
            out += listed if channel.more_lists_rows else listed[:page_size]
        return out
