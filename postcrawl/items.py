"""The Scrapy item: one article, as fetched and as the pipelines fill it in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def utc_now() -> str:
    """The current time as the archive records it (ISO 8601, UTC, seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class ArticleItem:
    """An article page. Spiders set the *fetched* fields; the pipelines add the rest.

    Hints come from a list page or the JSON API and outrank what the page says where the
    list is the better witness (the list date is the publication date on the bureau CMS).
    """

    # As fetched.
    url: str
    site: str
    listed_url: str | None = None  # the URL the list gave, before redirects (frontier key)
    body: bytes = field(repr=False, default=b"")
    encoding: str | None = None  # charset declared by the HTTP response, if any
    fetched_at: str = field(default_factory=utc_now)
    list_url: str | None = None
    hint_title: str | None = None
    hint_published: str | None = None
    hint_source: str | None = None
    hint_author: str | None = None
    # Added by ExtractPipeline.
    title: str | None = None
    published: str | None = None
    undated_reason: str | None = None
    source: str | None = None
    author: str | None = None
    forwarded_from: str | None = None
    original_url: str | None = None
    attachments: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    # Added by NormalizePipeline.
    normalized_body: str | None = field(repr=False, default=None)
    body_hash: str | None = None
    # Added by StorePipeline.
    path: str | None = None


@dataclass(frozen=True)
class ListWalkDone:
    """A spider's note that it walked one list completely (to its end, or to where an earlier
    complete walk began); :class:`postcrawl.spidermiddlewares.FrontierMiddleware` records it as
    the list's new watermark. Never an article: it does not reach the pipelines."""

    list_key: str
    head_url: str
    head_published: str | None = None
