"""Make an extraction fixture from a saved page: ``tests/fixtures/<site>/<name>.html`` + ``.json``.

    python scripts/make_fixture.py saved.html --url https://gd.spb.gov.cn/…/x.shtml --site gd_spb

The page is copied as saved (bytes unchanged) and the current extractor and normalizer write
the expected JSON beside it, in the shape of the existing fixtures (``url, site, title,
published, source, author, original_url, paragraphs``, and ``attachments`` for sites whose
rules collect them). The JSON is printed for review.

The JSON is a draft, not the truth: it says what the extractor does today. Read the page in
a browser and correct every field by hand (title, date, 来源, each paragraph; no chrome, nothing
missing) before committing; otherwise the fixture only freezes today's mistakes.

An existing fixture is never overwritten without ``--force``. Exit status: 0 written, 1 the
page has no article or the files exist, 2 bad arguments (unknown site, URL of another site).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from postcrawl.article_text import normalize_extracted  # noqa: E402
from postcrawl.extraction import Extracted, ExtractionError, extract_article  # noqa: E402
from postcrawl.sites import Site, get_site, site_for_url  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
REVIEW = (
    "Check this JSON against the page by reading it (title, date, source, every paragraph): "
    "it is what the extractor does today, not what the page says."
)


class FixtureError(Exception):
    """A one-line reason the fixture was not written; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def expected_json(article: Extracted, url: str, site: Site) -> dict[str, Any]:
    """The fixture JSON for *article*: the fields tests/test_extraction_fixtures.py compares."""
    expected: dict[str, Any] = {
        "url": url,
        "site": article.site,
        "title": article.title,
        "published": article.published,
        "source": article.source,
        "author": article.author,
        "original_url": article.original_url,
        "paragraphs": article.paragraphs,
    }
    if site.rules.attachments:
        expected["attachments"] = article.attachments
    return expected


def render(expected: dict[str, Any]) -> str:
    """The JSON text, formatted as the committed fixtures are."""
    return json.dumps(expected, ensure_ascii=False, indent=2) + "\n"


def make_fixture(
    page: Path,
    url: str,
    site_name: str,
    *,
    name: str | None = None,
    fixtures: Path = FIXTURES,
    encoding: str | None = None,
    force: bool = False,
) -> tuple[Path, str]:
    """Write the fixture for the saved *page*; return the JSON path and text."""
    try:
        site = get_site(site_name)
    except KeyError as exc:
        raise FixtureError(str(exc.args[0]), 2) from None
    claimed = site_for_url(url)
    if claimed.name != site.name:
        raise FixtureError(f"{url} belongs to site {claimed.name!r}, not {site.name!r}", 2)
    try:
        html = page.read_bytes()
    except OSError as exc:
        raise FixtureError(f"cannot read {page}: {exc.strerror}") from None
    try:
        article = normalize_extracted(extract_article(html, url, site=site, encoding=encoding))
    except ExtractionError as exc:
        raise FixtureError(f"no article on {page}: {exc}") from None
    folder = fixtures / site.name
    html_out = folder / f"{name or page.stem}.html"
    json_out = html_out.with_suffix(".json")
    existing = [p for p in (html_out, json_out) if p.exists()]
    if existing and not force:
        listed = ", ".join(str(p) for p in existing)
        raise FixtureError(f"{listed} exists already: pass --force to overwrite")
    text = render(expected_json(article, url, site))
    folder.mkdir(parents=True, exist_ok=True)
    html_out.write_bytes(html)
    json_out.write_text(text, encoding="utf-8")
    return json_out, text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Make tests/fixtures/<site>/<name>.html and .json from a saved page.",
        epilog=REVIEW,
    )
    parser.add_argument("page", type=Path, help="the saved HTML file")
    parser.add_argument("--url", required=True, help="the page's real URL")
    parser.add_argument("--site", required=True, help="the site row (spider name): gd_spb, …")
    parser.add_argument("--name", help="the fixture's file name, without suffix (default: page's)")
    parser.add_argument("--encoding", help="the charset the server declared, if known")
    parser.add_argument(
        "--fixtures", type=Path, default=FIXTURES, help=f"fixtures folder (default: {FIXTURES})"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing fixture")
    args = parser.parse_args(argv)
    try:
        path, text = make_fixture(
            args.page,
            args.url,
            args.site,
            name=args.name,
            fixtures=args.fixtures,
            encoding=args.encoding,
            force=args.force,
        )
    except FixtureError as exc:
        print(f"make_fixture: {exc}", file=sys.stderr)
        return exc.code
    sys.stdout.write(text)
    print(f"wrote {path} and {path.with_suffix('.html')}\n{REVIEW}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
