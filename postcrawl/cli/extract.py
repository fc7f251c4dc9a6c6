"""``postcrawl extract PAGE.html --url URL [--json]``: the pipeline's view of one saved page."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from postcrawl import document
from postcrawl.article_text import normalize_extracted
from postcrawl.cli import CliError
from postcrawl.extraction import Extracted, ExtractionError, extract_article
from postcrawl.sites import get_site, site_for_url


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "extract",
        help="extract and normalize one saved page, as the crawl would",
        description="Run the crawl's extraction and normalization on one saved HTML page and "
        "print the archive document (or JSON). Exit status 1 when the page has no article.",
    )
    p.add_argument("page", type=Path, help="saved HTML file ('-' for standard input)")
    p.add_argument(
        "--url", required=True, help="the URL the page was fetched from (picks the site)"
    )
    p.add_argument("--site", help="force a site row instead of choosing by URL")
    p.add_argument("--encoding", help="charset the server declared, if known")
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.set_defaults(handler=run)


def as_json(article: Extracted) -> dict[str, Any]:
    """The ``--json`` object: the fields a researcher checks on one page."""
    return {
        "title": article.title,
        "published": article.published,
        "source": article.source,
        "author": article.author,
        "original_url": article.original_url,
        "paragraphs": article.paragraphs,
        "hash": article.body_hash,
        "site": article.site,
        "attachments": article.attachments,
        "undated_reason": article.undated_reason,
    }


def run(args: argparse.Namespace) -> int:
    try:
        page = sys.stdin.buffer.read() if str(args.page) == "-" else args.page.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.page}: {exc.strerror}") from None
    try:
        site = get_site(args.site) if args.site else site_for_url(args.url)
    except KeyError as exc:
        raise CliError(str(exc.args[0]), 2) from None
    # A site with page generations (sxrb) reads each page with its generation's rules.
    site = site.for_path(urlsplit(args.url).path)
    try:
        article = normalize_extracted(
            extract_article(page, args.url, site=site, encoding=args.encoding)
        )
    except ExtractionError as exc:
        raise CliError(f"no article in {args.page}: {exc}") from None
    if args.json:
        print(json.dumps(as_json(article), ensure_ascii=False, indent=2))
    else:
        doc = document.Document(
            article.title,
            article.published,
            article.source or site.display_name,
            tuple(article.paragraphs),
        )
        sys.stdout.write(document.render(doc))
    return 0
