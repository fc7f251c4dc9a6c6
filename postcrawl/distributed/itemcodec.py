"""Items on the way from a worker to the archiver: versioned JSON of the item dataclasses.

A worker sends what the extract and normalize steps made of a page — an :class:`ArticleItem`
with its :class:`~postcrawl.extraction.Extracted` article, or a :class:`SkippedPage` — and never
the page's bytes (the extract step has dropped them). JSON rather than pickle: the archiver
must not run code a stream entry names, and a person can read an entry with ``redis-cli``.

``{"v": 1, "type": "article"|"skipped", ...}``. A decoder meets a newer worker's entry with
fields it does not know: they are left out, so adding a field keeps version 1; changing the
meaning of one needs version 2, which a version-1 archiver refuses (:class:`ItemCodecError`).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

from postcrawl.extraction import Extracted, PageHints
from postcrawl.items import ArticleItem, FetchedPage, SkippedPage

VERSION = 1

StreamItem = ArticleItem | SkippedPage


class ItemCodecError(ValueError):
    """An entry that is not an item this version can read."""


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def encode_item(item: StreamItem) -> str:
    """The JSON text of *item* (the page's body is never included)."""
    if isinstance(item, SkippedPage):
        return json.dumps(
            {"v": VERSION, "type": "skipped", **dataclasses.asdict(item)}, ensure_ascii=False
        )
    if not isinstance(item, ArticleItem):
        raise ItemCodecError(f"not an item the archiver takes: {type(item).__name__}")
    page = {f.name: getattr(item.page, f.name) for f in dataclasses.fields(item.page)}
    page.pop("body")
    page["aliases"] = list(item.page.aliases)
    article = None
    if item.article is not None:
        article = dataclasses.asdict(item.article)
        article["dropped"] = dict(item.article.dropped)
    data = {
        "v": VERSION,
        "type": "article",
        "url": item.url,
        "site": item.site,
        "page": page,
        "hints": dataclasses.asdict(item.hints),
        "article": article,
    }
    return json.dumps(data, ensure_ascii=False)


def decode_item(text: str | bytes) -> StreamItem:
    """The item *text* (from :func:`encode_item`) describes; :class:`ItemCodecError` if it
    is not one."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ItemCodecError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ItemCodecError("not a JSON object")
    if data.get("v") != VERSION:
        raise ItemCodecError(f"item version {data.get('v')!r}; this archiver reads {VERSION}")
    try:
        if data.get("type") == "skipped":
            return SkippedPage(**_known(SkippedPage, data))
        if data.get("type") != "article":
            raise ItemCodecError(f"unknown item type {data.get('type')!r}")
        page = _known(FetchedPage, data.get("page") or {})
        page["aliases"] = tuple(page.get("aliases") or ())
        article = None
        if data.get("article") is not None:
            fields = _known(Extracted, data["article"])
            fields["dropped"] = Counter(fields.get("dropped") or {})
            article = Extracted(**fields)
        return ArticleItem(
            url=data["url"],
            site=data["site"],
            page=FetchedPage(body=b"", **{k: v for k, v in page.items() if k != "body"}),
            hints=PageHints(**_known(PageHints, data.get("hints") or {})),
            article=article,
        )
    except (KeyError, TypeError) as exc:
        raise ItemCodecError(f"an item with missing or bad fields: {exc!r}") from None
