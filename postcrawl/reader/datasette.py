"""Datasette metadata for ``index.sqlite3``: descriptions, full-text search, facets.

``datasette data/index.sqlite3 -m metadata.json`` with the JSON from :func:`metadata` (written by
``postcrawl datasette-metadata``) gives a browsable archive: the articles table searchable
(Datasette does not find our FTS table by itself: it looks for ``content="articles"`` in double
quotes, the schema has single ones), faceted by site, source and month, newest first.
"""

from __future__ import annotations

from typing import Any

ARTICLE_COLUMNS_HELP: dict[str, str] = {
    "hash": "Article id: first 16 hex digits of the SHA-256 of the normalized body",
    "path": "The article's text file, relative to the archive root",
    "title": "Title (simplified Chinese)",
    "published": "Publication date and time as the page gave it (not the crawl time)",
    "day": "Publication day, YYYY-MM-DD",
    "month": "Publication month, YYYY-MM",
    "undated_reason": "Why the article has no date (its file is under undated/)",
    "source": "来源: the issuing bureau or paper; else the site's name",
    "author": "Author or byline, where given",
    "site": "The site (spider) it was stored from: gd_spb, spb, txyddy, …",
    "province": "Province of the bureau site (全国 for the State Post Bureau); empty for aggregators",
    "url": "The URL it was stored from",
    "official_url": "The bureau's own page for this article, where it was seen",
    "original_url": "The 原文链接 (original link) a repost named",
    "forwarded_from": "转自: where a repost says it came from",
    "attachments": "Attachment URLs (JSON list)",
    "crawled_at": "When it was fetched (UTC)",
    "paragraphs": "Number of body paragraphs",
    "chars": "Number of body characters",
    "body": "The body text, one paragraph per line",
}

URL_COLUMNS_HELP: dict[str, str] = {
    "url": "A URL at which the article was seen",
    "hash": "The article (articles.hash)",
    "site": "The site this URL belongs to",
    "official": "1 when this is a bureau's own page",
    "relation": "stored (the copy archived) | duplicate (same body) | near-duplicate | claimed"
    " | redirect (an old URL or a redirect stub that led to it)",
    "similarity": "Similarity of this page's body to the archived one (1.0: identical)",
    "claimed_original": "The 原文链接 this page gave",
    "crawled_at": "When this URL was fetched (UTC)",
}


def metadata(database: str = "index") -> dict[str, Any]:
    """Datasette metadata for an archive index whose file stem is *database*."""
    return {
        "title": "postcrawl archive",
        "description": (
            "Chinese postal-bureau news (State Post Bureau, 31 provincial bureaus, and the "
            "sites that repost them), one row per deduplicated article. Search matches "
            "substrings of 3+ characters (FTS5 trigram); traditional characters are not "
            "converted here, so search in simplified Chinese."
        ),
        "databases": {
            database: {
                "tables": {
                    "articles": {
                        "description": "One row per archived article (deduplicated by body).",
                        "label_column": "title",
                        "fts_table": "articles_fts",
                        "fts_pk": "rowid",
                        "sort_desc": "day",
                        "facets": ["site", "source", "month", "province"],
                        "columns": ARTICLE_COLUMNS_HELP,
                    },
                    "urls": {
                        "description": (
                            "Provenance: every URL at which an article was seen — the page "
                            "it was stored from, the bureau's original, reposts."
                        ),
                        "facets": ["relation", "site", "official"],
                        "columns": URL_COLUMNS_HELP,
                    },
                    "seen": {
                        "description": "Every URL the crawler fetched and what became of it.",
                        "facets": ["status"],
                    },
                    "monthly_counts": {
                        "description": "Articles per month, site and province (a view).",
                        "facets": ["site", "province"],
                    },
                    "reposts": {
                        "description": (
                            "Further URLs of archived articles (duplicates, reposts, "
                            "near-duplicates) beside the article they copy (a view)."
                        ),
                        "facets": ["relation", "site", "stored_site"],
                    },
                    "articles_fts": {"hidden": True},
                    "fts_pending": {"hidden": True},  # empty between transactions
                },
            }
        },
    }
