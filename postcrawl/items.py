"""The items spiders yield: an article page, a skipped page, a completed list walk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from postcrawl.extraction import Extracted, PageHints


def utc_now() -> str:
    """The current time as the archive records it (ISO 8601, UTC, seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class FetchedPage:
    """An article page as the spider fetched it."""

    body: bytes = field(repr=False)
    encoding: str | None = None  # charset declared by the HTTP response, if any
    fetched_at: str = field(default_factory=utc_now)
    listed_url: str | None = None  # the URL the list gave, before redirects (frontier key)
    list_url: str | None = None  # the list page or API page that showed it
    # Other real URLs that led here (an HTTP redirect, a JavaScript stub): once the article is
    # archived, they are recorded as its URLs too, so they are not fetched again.
    aliases: tuple[str, ...] = ()


@dataclass
class ArticleItem:
    """One article page on its way through the steps (``ITEM_PIPELINES``).

    The spider sets the page and what the list said about it (*hints*: they outrank the page
    where the list is the better witness — the list date is the publication date on the bureau
    CMS). The extract step sets :attr:`article`; the next steps read it and replace it with
    their result (normalized, …); the store (or dedupe, for a copy) sets :attr:`path`.
    """

    url: str
    site: str
    page: FetchedPage
    hints: PageHints = field(default_factory=PageHints)
    article: Extracted | None = None
    path: str | None = None
    # Set by the dedupe step when it found no copy: the archive's checkpoint at that moment,
    # so the store need not look again if nothing was written since.
    unmatched_at: int | None = None


@dataclass(frozen=True)
class SkippedPage:
    """A page the spider fetched and deliberately did not turn into an article (a redirect
    stub to an article already archived): the store step records it, so incremental crawls
    do not fetch it again."""

    url: str
    site: str
    reason: str
    fetched_at: str = field(default_factory=utc_now)


@dataclass(frozen=True)
class ListWalkDone:
    """A spider's note that it walked one list completely (to its end, or to where an earlier
    complete walk began); :class:`postcrawl.spidermiddlewares.FrontierMiddleware` records it as
    the list's new watermark. Never an article: it does not reach the pipelines."""

    list_key: str
    head_url: str
    head_published: str | None = None
