"""Re-extraction: rebuild articles from the raw responses in ``<data>/warc/`` with the current
extractor (no network), compare them with the archive, and apply the changes (``postcrawl
reextract``; docs/archive-format.md, "Re-extraction").

1. **Read** (:func:`scan`): every ``response`` record (HTTP 200) of an article page of the
   chosen sites. A URL fetched more than once counts once: the newest record wins (by
   ``WARC-Date``, then file and position). Records carry the real site URL, the site, the
   page's role and the list's hints (``WARC-Postcrawl-*``, :mod:`postcrawl.warc`); for older
   WARCs without them the fetched URL is mapped back to the real site (a mirror's root is
   swapped for the real one, as the spider's ``roots.real_url()`` does), the site comes from the
   file name, a page counts as an article when the archive knows its URL as one (the frontier,
   the seen table, the provenance), and the hints come from the crawl frontier.
2. **Extract** (:func:`extract_all`): extraction and normalization of each page, as the
   pipelines do (:func:`postcrawl.extraction.extract_article`,
   :func:`postcrawl.article_text.normalize_extracted`, the topic filter), in a process pool.
3. **Compare** (:func:`compare`) with the article each URL was stored from.
4. **Apply** (:func:`apply`): new articles through :meth:`ArchiveStore.add` (dedupe,
   near-duplicates, official replacement, as a crawl), changed bodies through
   :meth:`ArchiveStore.supersede`. Metadata-only changes (title, date, source) and pages that
   now fail are reported, not applied.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from postcrawl.archive import ArchiveStore
from postcrawl.article_text import normalize_extracted
from postcrawl.bureau_lists import js_redirect_target
from postcrawl.extraction import Extracted, ExtractionError, PageHints, extract_article
from postcrawl.sites import SITES, Site, site_for_url
from postcrawl.topic import matched_keyword
from postcrawl.warc import HINTS_HEADER, REAL_URL_HEADER, ROLE_HEADER, SITE_HEADER, WARC_DIR

_WARC_NAME = re.compile(r"^(?P<spider>.+)-(?P<stamp>\d{8}T\d{6}Z)-(?P<pid>\d+)\.warc\.gz$")
# Pages per task sent to a worker process.
CHUNK = 16

logger = logging.getLogger(__name__)


# -- reading the WARCs ---------------------------------------------------------------------
@dataclass(frozen=True)
class PageRef:
    """One response record to re-extract: where it is and what it is of."""

    url: str  # the real site's URL, as the archive records it
    fetched_url: str
    site: str
    date: str  # WARC-Date (UTC)
    warc: str  # the WARC file's name
    offset: int  # of the record's gzip member in the file
    order: tuple[str, int, int]  # (date, file number, record number): the newest is the largest
    hints: PageHints | None = None


@dataclass
class ScanStats:
    files: int = 0
    records: int = 0  # response records read
    skipped: int = 0  # not HTTP 200, not an article page, another site, before --since
    pages: int = 0  # article pages left once the newest record of each URL wins


def warc_files(root: Path) -> list[Path]:
    """The archive's WARC files, oldest run first."""
    folder = Path(root) / WARC_DIR
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.warc.gz") if p.is_file()]

    def key(path: Path) -> tuple[str, str]:
        match = _WARC_NAME.match(path.name)
        return (match["stamp"] if match else "", path.name)

    return sorted(files, key=key)


def _spider_bases() -> dict[str, str]:
    """Spider name → the real site's root (:meth:`ArchiveSpider.real_root`)."""
    from postcrawl.spiders import aggregators, bureau  # noqa: F401 - define the classes
    from postcrawl.spiders.base import ArchiveSpider

    bases: dict[str, str] = {}
    stack: list[type[ArchiveSpider]] = list(ArchiveSpider.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        site = getattr(cls, "site", None)
        name = getattr(cls, "name", None)
        if site is not None and name:
            bases[name] = cls.real_root()
    return bases


def real_url(fetched: str, site: Site | None, base: str | None) -> str:
    """The real site's URL for a URL fetched by an older crawl (no ``WARC-Postcrawl-Real-URL``):
    a URL on the site's own hosts stays; another host (a mirror) is swapped for the site's
    root, keeping path and query. Mirrors served below a path of their host are not undone."""
    if site is None or base is None:
        return fetched
    parts = urlsplit(fetched)
    if site.matches(parts.hostname or "", parts.path or "/"):
        return fetched
    rest = fetched.split(parts.netloc, 1)[1] if parts.netloc else fetched
    return base + rest


def _hints(value: str | None) -> PageHints | None:
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return PageHints(**{k: data.get(k) for k in ("title", "published", "source", "author")})


def site_of(url: str, name: str | None) -> Site:
    """The site row of a page: by name (header or file name), else by its URL."""
    return SITES.get(name or "") or site_for_url(url)


def scan(
    root: Path,
    *,
    sites: Sequence[str] = (),
    since: date | None = None,
    known_articles: Callable[[str], bool] = lambda url: False,
    frontier_hints: Callable[[str], PageHints | None] = lambda url: None,
) -> tuple[list[PageRef], ScanStats]:
    """The article pages to re-extract, newest record per URL, in URL order.

    *known_articles* says whether the archive knows a URL as an article page (used for
    records of older WARCs, which do not say so); *frontier_hints* gives the list's hints for
    such records."""
    stats = ScanStats()
    bases = _spider_bases()
    wanted = set(sites)
    newest: dict[str, PageRef] = {}
    for number, path in enumerate(warc_files(root)):
        match = _WARC_NAME.match(path.name)
        prefix = match["spider"] if match else None
        if wanted and prefix in SITES and prefix not in wanted:
            continue
        stats.files += 1
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh)
            for position, record in _readable(iterator, path):
                if record.rec_type != "response":
                    continue
                stats.records += 1
                ref = _page_ref(
                    record,
                    iterator.get_record_offset(),
                    path.name,
                    number,
                    position,
                    prefix,
                    bases,
                    known_articles,
                )
                if (
                    ref is None
                    or (wanted and ref.site not in wanted)
                    or (since is not None and ref.date[:10] < since.isoformat())
                ):
                    stats.skipped += 1
                    continue
                if ref.url in newest:
                    stats.skipped += 1
                    if newest[ref.url].order > ref.order:
                        continue
                newest[ref.url] = ref
    pages = [newest[url] for url in sorted(newest)]
    pages = [p if p.hints is not None else replace(p, hints=frontier_hints(p.url)) for p in pages]
    stats.pages = len(pages)
    return pages, stats


def _readable(iterator: ArchiveIterator, path: Path) -> Iterator[tuple[int, Any]]:
    """The records of one WARC, stopping at a torn tail (a killed crawl) with a warning
    instead of an error: every record before it is whole."""
    position = 0
    try:
        for record in iterator:
            yield position, record
            position += 1
    except (ArchiveLoadFailed, EOFError, zlib.error, AttributeError, ValueError) as exc:
        logger.warning(
            "%s: stopped at a torn record after %d records (%s)", path.name, position, exc
        )


def _page_ref(
    record: Any,
    offset: int,
    file_name: str,
    number: int,
    position: int,
    prefix: str | None,
    bases: dict[str, str],
    known_articles: Callable[[str], bool],
) -> PageRef | None:
    headers = record.rec_headers
    if record.http_headers is None or record.http_headers.get_statuscode() != "200":
        return None
    fetched = headers.get_header("WARC-Target-URI") or ""
    role = headers.get_header(ROLE_HEADER)
    if role is not None and role != "article":
        return None
    url = headers.get_header(REAL_URL_HEADER)
    name = headers.get_header(SITE_HEADER)
    if url is None:  # an older WARC
        named = SITES.get(prefix or "")
        url = real_url(fetched, named, bases.get(prefix or ""))
        name = name or (prefix if named is not None else None)
    if role is None and not known_articles(url):
        return None
    when = headers.get_header("WARC-Date") or ""
    return PageRef(
        url=url,
        fetched_url=fetched,
        site=site_of(url, name).name,
        date=when,
        warc=file_name,
        offset=offset,
        order=(when, number, position),
        hints=_hints(headers.get_header(HINTS_HEADER)),
    )


class TornRecord(ValueError):
    """A WARC record cut short (the crawl was killed while writing it)."""


def read_body(root: Path, ref: PageRef) -> tuple[bytes, str | None]:
    """The page's body and the charset its Content-Type declared; :class:`TornRecord` when the
    record ends before the length it declares (a page read from it would be truncated)."""
    with open(Path(root) / WARC_DIR / ref.warc, "rb") as fh:
        fh.seek(ref.offset)
        record = next(iter(ArchiveIterator(fh)))
        content_type = record.http_headers.get_header("Content-Type") or ""
        body = record.content_stream().read()
        if getattr(record.raw_stream, "limit", 0) > 0:
            raise TornRecord(f"{ref.warc}: the record of {ref.url} is cut short")
        return body, content_type.partition("charset=")[2].strip() or None


# -- extraction (in worker processes) ------------------------------------------------------
@dataclass(frozen=True)
class Task:
    url: str
    fetched_url: str
    site: Site
    body: bytes
    encoding: str | None
    hints: PageHints | None


@dataclass(frozen=True)
class Outcome:
    """What re-extracting one page gave: the normalized article, or why there is none."""

    url: str
    article: Extracted | None = None
    failure: str | None = None  # a one-line reason
    kind: str | None = None  # "stub", "off-topic", or the extraction error's kind


def rebuild(task: Task) -> Outcome:
    """Extract and normalize one page as the pipelines do (extract → normalize → topic)."""
    if not task.body.strip():
        return Outcome(task.url, failure="empty page", kind="empty")
    if js_redirect_target(task.body, task.fetched_url) is not None:
        return Outcome(task.url, failure="a JavaScript redirect stub", kind="stub")
    try:
        extracted = extract_article(
            task.body,
            task.url,
            site=task.site,
            hints=task.hints or PageHints(),
            encoding=task.encoding,
        )
        article = normalize_extracted(extracted)
    except ExtractionError as exc:
        return Outcome(task.url, failure=str(exc), kind=exc.kind)
    if matched_keyword(article.title, article.paragraphs, task.site.topic_keywords) is None:
        return Outcome(task.url, failure="not about posts or parcels", kind="off-topic")
    # Small results back: the normalized body is the paragraphs again, and the dropped
    # chrome counts are the crawl's stats, not the archive's.
    return Outcome(task.url, replace(article, normalized_body="", dropped=type(article.dropped)()))


@dataclass(frozen=True)
class Job:
    """One page for a worker: where its record is (the worker reads the body itself, so the
    parent process only hands out small jobs) and its site row."""

    root: str
    ref: PageRef
    site: Site


def run_job(job: Job) -> Outcome:
    """Read the page's record and :func:`rebuild` it (a torn record is a failure, not a page)."""
    ref = job.ref
    try:
        body, encoding = read_body(Path(job.root), job.ref)
    except (TornRecord, ArchiveLoadFailed, EOFError, OSError, zlib.error) as exc:
        return Outcome(ref.url, failure=f"unreadable WARC record: {exc}", kind="torn-record")
    return rebuild(Task(ref.url, ref.fetched_url, job.site, body, encoding, ref.hints))


def _run_chunk(jobs: list[Job]) -> list[Outcome]:
    return [run_job(job) for job in jobs]


Progress = Callable[[int, int], None]


def extract_all(
    root: Path, pages: Sequence[PageRef], *, workers: int = 1, progress: Progress | None = None
) -> list[Outcome]:
    """:func:`rebuild` for every page, in the order of *pages*: in this process with one
    worker, else in a pool of *workers* processes, :data:`CHUNK` pages per task. The site
    rows go with the jobs, so the workers use the rules of this process."""
    jobs = [Job(str(root), ref, site_of(ref.url, ref.site)) for ref in pages]
    total = len(jobs)
    outcomes: list[Outcome] = []
    if workers <= 1:
        for job in jobs:
            outcomes.append(run_job(job))
            if progress:
                progress(len(outcomes), total)
        return outcomes
    chunks = [jobs[i : i + CHUNK] for i in range(0, total, CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for results in pool.map(_run_chunk, chunks):
            outcomes.extend(results)
            if progress:
                progress(len(outcomes), total)
    return outcomes


# -- comparing with the archive ------------------------------------------------------------
@dataclass(frozen=True)
class Archived:
    """What the archive holds for a URL: the article it belongs to and how."""

    hash: str
    relation: str  # "stored" for the URL the article was stored from
    title: str
    published: str | None
    source: str | None
    path: str


def archived_urls(conn: sqlite3.Connection) -> dict[str, Archived]:
    """Every URL in the archive's provenance, with its article."""
    rows = conn.execute(
        "SELECT u.url, u.hash, u.relation, a.title, a.published, a.source, a.path "
        "FROM urls u JOIN articles a ON a.hash = u.hash"
    ).fetchall()
    return {r[0]: Archived(*r[1:]) for r in rows}


def known_article_urls(conn: sqlite3.Connection) -> set[str]:
    """URLs the crawl handled as article pages: listed, seen, or in the provenance."""
    urls: set[str] = set()
    for table in ("frontier", "seen", "urls"):
        try:
            urls.update(r[0] for r in conn.execute(f"SELECT url FROM {table}"))
        except sqlite3.OperationalError:  # an index from before the frontier existed
            continue
    return urls


def frontier_hints(conn: sqlite3.Connection) -> Callable[[str], PageHints | None]:
    """The list's hints for a URL, from the crawl frontier (for older WARCs)."""

    def hints(url: str) -> PageHints | None:
        try:
            row = conn.execute(
                "SELECT title, published, source, author FROM frontier WHERE url = ?", (url,)
            ).fetchone()
        except sqlite3.OperationalError:
            return None
        return PageHints(*row) if row else None

    return hints


@dataclass
class Report:
    """What re-extraction found (and, with ``--apply``, did)."""

    records: int = 0
    pages: int = 0
    new: list[dict[str, Any]] = field(default_factory=list)
    changed_body: list[dict[str, Any]] = field(default_factory=list)
    changed_title: list[dict[str, Any]] = field(default_factory=list)
    changed_published: list[dict[str, Any]] = field(default_factory=list)
    changed_source: list[dict[str, Any]] = field(default_factory=list)
    now_failing: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    # Pages not archived that still give no article (stubs, empty, off-topic, no text).
    not_articles: int = 0
    # URLs archived as a further URL of an article stored from elsewhere: not compared.
    sightings: int = 0
    applied: dict[str, Any] | None = None

    @property
    def changes(self) -> int:
        return (
            len(self.new)
            + len(self.changed_body)
            + len(self.changed_title)
            + len(self.changed_published)
            + len(self.changed_source)
            + len(self.now_failing)
        )

    def counts(self) -> list[tuple[str, int]]:
        return [
            ("new articles", len(self.new)),
            ("changed bodies", len(self.changed_body)),
            ("changed titles", len(self.changed_title)),
            ("changed dates", len(self.changed_published)),
            ("changed sources", len(self.changed_source)),
            ("now failing", len(self.now_failing)),
            ("unchanged", self.unchanged),
            ("not articles (not archived)", self.not_articles),
            ("further URLs (not compared)", self.sightings),
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["changes"] = self.changes
        return data


def compare(
    pages: Sequence[PageRef], outcomes: Sequence[Outcome], archive: dict[str, Archived]
) -> Report:
    """Sort every page into new / changed / now failing / unchanged against *archive*."""
    report = Report(pages=len(pages))
    for ref, outcome in zip(pages, outcomes, strict=True):
        stored = archive.get(ref.url)
        article = outcome.article
        if stored is None:
            if article is None:
                report.not_articles += 1
            else:
                report.new.append(
                    {
                        "url": ref.url,
                        "site": ref.site,
                        "hash": article.body_hash,
                        "title": article.title,
                        "published": article.published,
                    }
                )
            continue
        if stored.relation != "stored":
            report.sightings += 1
            continue
        if article is None:
            report.now_failing.append(
                {
                    "url": ref.url,
                    "site": ref.site,
                    "hash": stored.hash,
                    "path": stored.path,
                    "reason": outcome.failure,
                    "kind": outcome.kind,
                }
            )
            continue
        changed = False
        if article.body_hash != stored.hash:
            changed = True
            report.changed_body.append(
                {
                    "url": ref.url,
                    "site": ref.site,
                    "path": stored.path,
                    "old": stored.hash,
                    "new": article.body_hash,
                }
            )
        for name, old, new in (
            ("title", stored.title, article.title),
            ("published", stored.published, article.published),
            ("source", stored.source, article.source),
        ):
            if (old or None) != (new or None):
                changed = True
                getattr(report, f"changed_{name}").append(
                    {"url": ref.url, "site": ref.site, "path": stored.path, "old": old, "new": new}
                )
        if not changed:
            report.unchanged += 1
    return report


# -- applying ------------------------------------------------------------------------------
def apply(
    store: ArchiveStore,
    pages: Sequence[PageRef],
    outcomes: Sequence[Outcome],
    report: Report,
    *,
    when: str,
) -> dict[str, Any]:
    """Write the report's changed bodies and new articles through the archive's write path.
    Each is one change of its own (one manifest line, under the lock): an interruption leaves
    the ones done done and the rest undone, never half of one."""
    by_url = {ref.url: (ref, outcome) for ref, outcome in zip(pages, outcomes, strict=True)}
    done: dict[str, Any] = {
        "superseded": [],
        "stored": [],
        "duplicate": [],
        "replaced": [],
        "left_alone": [],
    }
    for change in report.changed_body:
        ref, outcome = by_url[change["url"]]
        assert outcome.article is not None
        site = site_of(ref.url, ref.site)
        result = store.supersede(
            outcome.article,
            change["old"],
            crawled_at=ref.date or None,
            official=site.official,
            province=site.province,
            extra={"reextracted_at": when},
        )
        entry = {"url": ref.url, "path": result.path, "hash": result.body_hash}
        done["superseded" if result.status == "replaced" else "left_alone"].append(entry)
    for change in report.new:
        ref, outcome = by_url[change["url"]]
        assert outcome.article is not None
        site = site_of(ref.url, ref.site)
        result = store.add(
            outcome.article,
            crawled_at=ref.date or None,
            official=site.official,
            province=site.province,
        )
        done[result.status].append({"url": ref.url, "path": result.path, "hash": result.body_hash})
    return done


# -- progress ------------------------------------------------------------------------------
def progress_printer(stream: IO[str] | None = None) -> Progress:
    """A progress display: one line rewritten in place on a terminal, else a plain line at
    every tenth of the way."""
    out = stream or sys.stderr
    tty = out.isatty()
    started = time.monotonic()
    shown = {"step": -1}

    def show(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        line = f"re-extracted {done}/{total} pages ({rate:.0f} pages/s)"
        if tty:
            out.write(f"\r{line}" + ("\n" if done == total else ""))
            out.flush()
            return
        step = done * 10 // max(total, 1)
        if step != shown["step"]:
            shown["step"] = step
            print(line, file=out, flush=True)

    return show


def write_json(path: Path, data: dict[str, Any]) -> None:
    """*data* as JSON at *path*, atomically (a temp file beside it, renamed)."""
    from postcrawl.atomic import atomic_output

    with atomic_output(path, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def default_workers() -> int:
    return os.cpu_count() or 1
