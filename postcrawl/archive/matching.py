"""The dedupe policy: which archived article, if any, a new page is a copy of."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

from postcrawl import index, neardup
from postcrawl.chinese_text import normalized_body
from postcrawl.extraction import Extracted
from postcrawl.neardup import NearDupIndex

Relation = Literal["duplicate", "near-duplicate", "claimed", "redirect"]


@dataclass(frozen=True)
class Match:
    """An archived article that a new page is a copy of (see :func:`find_match`)."""

    body_hash: str
    relation: Relation
    similarity: float
    # Whether the archived article was stored from an official (bureau) page.
    stored_official: bool

    def superseded_by(self, official: bool) -> bool:
        """Whether a page with this *official* flag should replace the archived article:
        an official page always wins over a repost, whichever came first."""
        return official and not self.stored_official


def scheme_variants(url: str) -> tuple[str, str]:
    """*url* with http and with https: a claim and the page it names may differ only there."""
    rest = url.split("://", 1)[1] if "://" in url else url
    return f"http://{rest}", f"https://{rest}"


def find_match(conn: sqlite3.Connection, near: NearDupIndex, article: Extracted) -> Match | None:
    """The archived article that *article* is a copy of, if any, checked in this order:

    1. the same normalized body (``duplicate``, similarity 1.0);
    2. its ``原文链接`` names a URL of an archived article, compared ignoring http/https
       (``claimed``, or ``near-duplicate`` when the texts agree);
    3. an archived repost's ``原文链接`` names this page's URL (the same, reversed);
    4. a body whose character-shingle Jaccard similarity is at least
       :data:`postcrawl.neardup.THRESHOLD` (``near-duplicate``).
    """
    if index.article_path(conn, article.body_hash) is not None:
        return _match(conn, article.body_hash, "duplicate", 1.0)
    text = article.normalized_body or normalized_body(article.paragraphs)
    claimed = None
    if article.original_url:
        claimed = index.hash_at_urls(conn, scheme_variants(article.original_url))
    if claimed is None:
        claimed = index.hash_claiming(conn, scheme_variants(article.url))
    if claimed is not None:
        similarity = neardup.jaccard(text, _stored_text(conn, claimed))
        relation: Relation = "near-duplicate" if similarity >= neardup.THRESHOLD else "claimed"
        return _match(conn, claimed, relation, similarity)
    mine = None
    for candidate in near.candidates(text, exclude=article.body_hash):
        # The estimate only nominates; the exact Jaccard decides. A candidate whose article
        # has gone meanwhile reads as an empty text here, and so never matches.
        if mine is None:
            mine = neardup.shingles(text)
        stored = neardup.shingles(_stored_text(conn, candidate.body_hash))
        similarity = neardup.shingle_jaccard(mine, stored)
        if similarity >= neardup.THRESHOLD:
            return _match(conn, candidate.body_hash, "near-duplicate", similarity)
    return None


def _match(
    conn: sqlite3.Connection, body_hash: str, relation: Relation, similarity: float
) -> Match:
    return Match(
        body_hash, relation, round(similarity, 4), index.stored_from_official(conn, body_hash)
    )


def _stored_text(conn: sqlite3.Connection, body_hash: str) -> str:
    return normalized_body(index.article_body(conn, body_hash) or [])
