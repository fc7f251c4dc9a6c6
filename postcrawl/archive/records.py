"""Manifest records and how each one changes the index: the one code path that both a live
write (:meth:`postcrawl.archive.ArchiveStore.add`) and recovery or a rebuild go through.

Record kinds (``event``), docs/archive-format.md "Manifest":

* ``article``: an article file was stored (with ``replaces`` when an official page took the
  place of a repost archived before it, or when re-extraction gave the page it was stored from
  another body: ``replaced_relation`` ``"reextracted"``);
* ``url``: an archived article was also seen at another URL (repost, redirect, second URL);
* ``skip``: a page fetched and deliberately not archived (off-topic, a redirect stub);
* ``lost``: an article file found missing by a rebuild; its URL is fetched again.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from postcrawl import index
from postcrawl.chinese_text import normalized_body
from postcrawl.extraction import Extracted
from postcrawl.neardup import NearDupIndex

Record = dict[str, Any]


def article_record(
    article: Extracted, rel: str, crawled_at: str, official: bool, province: str | None
) -> Record:
    """The ``article`` record of a new file."""
    return {
        "event": "article",
        "hash": article.body_hash,
        "path": rel,
        "title": article.title,
        "published": article.published,
        "undated_reason": article.undated_reason,
        "source": article.source,
        "author": article.author,
        "site": article.site,
        "province": province,
        "url": article.url,
        "official": official,
        "original_url": article.original_url,
        "forwarded_from": article.forwarded_from,
        "attachments": article.attachments,
        "crawled_at": crawled_at,
    }


def url_record(
    article: Extracted,
    target: str,
    crawled_at: str,
    official: bool,
    relation: str,
    similarity: float,
) -> Record:
    """The ``url`` record: *article*'s URL is one more place archived article *target* is at."""
    return {
        "event": "url",
        "url": article.url,
        "hash": target,
        "site": article.site,
        "official": official,
        "relation": relation,
        "similarity": similarity,
        "claimed_original": article.original_url,
        "crawled_at": crawled_at,
    }


def replacing(
    record: Record, old_hash: str, old_path: str | None, relation: str, similarity: float
) -> Record:
    """*record*, an ``article`` record, as taking the place of archived article *old_hash*
    (an official page replacing a repost, or a re-extraction)."""
    return record | {
        "replaces": old_hash,
        "replaces_path": old_path,
        "replaced_relation": relation,
        "replaced_similarity": similarity,
    }


def skip_record(url: str, site: str, reason: str, crawled_at: str) -> Record:
    """The ``skip`` record of a page fetched and deliberately not archived."""
    return {"event": "skip", "url": url, "site": site, "reason": reason, "crawled_at": crawled_at}


def _stored_url_row(record: Record) -> Record:
    return {
        **record,
        "relation": "stored",
        "similarity": 1.0,
        "claimed_original": record.get("original_url"),
    }


def apply(
    conn: sqlite3.Connection,
    record: Record,
    near: NearDupIndex,
    paragraphs: list[str] | None = None,
    normalized: str | None = None,
) -> bool:
    """Make the index say what *record* says (inside the caller's transaction).

    *paragraphs* is the article's body for ``article`` records (read from its file when
    replaying); *normalized*, its normalized body when the caller has it already. Applying a
    record twice gives the same index. ``False`` when the record cannot apply (a URL of an
    article the index does not hold, an unknown event).
    """
    event = record.get("event")
    if event == "article":
        body = list(paragraphs or [])
        if record.get("replaces"):
            _apply_replacement(conn, record, body, near)
            return True
        if index.article_path(conn, record["hash"]) is not None:
            near.remove(record["hash"])
        index.insert_article(conn, index.article_row(record, body))
        if record.get("url"):  # a file adopted by a rebuild has no URL
            index.insert_url(conn, _stored_url_row(record))
            index.mark_seen(conn, record["url"], record["hash"], "stored", record.get("crawled_at"))
        near.add(record["hash"], normalized or normalized_body(body))
        return True
    if event == "url":
        if index.article_path(conn, record.get("hash") or "") is None:
            return False
        index.insert_url(conn, record)
        status = "stored" if record.get("relation") == "stored" else "duplicate"
        index.mark_seen(conn, record["url"], record["hash"], status, record.get("crawled_at"))
        return True
    if event == "skip":
        index.mark_seen(conn, record["url"], None, "skipped", record.get("crawled_at"))
        return True
    return event == "lost"  # nothing in the index: the article is not there


def lost_record(article: Record, when: str) -> Record:
    """The ``lost`` record of a stored article whose file has gone."""
    return {"event": "lost", "hash": article.get("hash"), "path": article.get("path"), "at": when}


def _apply_replacement(
    conn: sqlite3.Connection, record: Record, paragraphs: list[str], near: NearDupIndex
) -> None:
    """The new article takes the old one's place: every URL of the old one moves to it, and
    the URL it was stored from becomes a repost (``replaced_relation``/``_similarity``)."""
    old, new = record["replaces"], record["hash"]
    index.move_urls(
        conn,
        old,
        new,
        record.get("replaced_relation") or "near-duplicate",
        record.get("replaced_similarity"),
    )
    index.delete_article(conn, old)
    near.remove(old)
    near.remove(new)
    index.insert_article(conn, index.article_row(record, paragraphs))
    index.insert_url(conn, _stored_url_row(record))
    index.mark_seen(conn, record["url"], new, "stored", record.get("crawled_at"))
    near.add(new, normalized_body(paragraphs))
