"""Run reports and monitors: what each crawl did, and whether it did its job.

Every run writes one JSON report to ``<data>/runs/<UTC stamp>-<spider or 'crawl'>.json``
(temp file + rename). Per spider it holds the counts from the crawl stats, the duration, the
finish reason and a status — ``ok``, ``degraded`` or ``broken`` — with the findings of the
monitors (:func:`evaluate`) that set it. In the manner of Spidermon, but as plain functions over
the final stats: each rule names the spider, the rule and the figures. Thresholds are settings
(``POSTCRAWL_MONITOR_*``, :data:`DEFAULT_THRESHOLDS`).

No Scrapy here: the :class:`postcrawl.extensions.RunReport` extension and ``postcrawl crawl``
call it with the stats.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import statistics
import subprocess
import tempfile
import urllib.request
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

RUNS_DIR = "runs"
REPORT_VERSION = 1
Status = Literal["ok", "degraded", "broken"]
SEVERITY: dict[str, int] = {"ok": 0, "degraded": 1, "broken": 2}

DISCOVERY_CHANNELS_KEY = "postcrawl/discovery/channels"
DISCOVERY_LIST_KEY = "postcrawl/discovery/channel_list"

# Setting name -> default. Shares are of the articles fetched (or extracted, for undated and the
# extractor method); share rules are judged only from MIN_ARTICLES fetched articles on.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "POSTCRAWL_MONITOR_MIN_ARTICLES": 5,
    "POSTCRAWL_MONITOR_FALLBACK_SHARE": 0.5,  # generic extractor instead of the site's rules
    "POSTCRAWL_MONITOR_UNDATED_SHARE": 0.3,
    "POSTCRAWL_MONITOR_UNTITLED_SHARE": 0.2,
    "POSTCRAWL_MONITOR_BOILERPLATE_SHARE": 0.2,  # above: broken; any at all: degraded
    "POSTCRAWL_MONITOR_CHROME_PER_ARTICLE": 40,  # boilerplate-rule hits per article
    "POSTCRAWL_MONITOR_FAILURE_SHARE": 0.2,
    "POSTCRAWL_MONITOR_YIELD_DROP": 0.1,  # below this share of the median of earlier runs
    "POSTCRAWL_MONITOR_YIELD_RUNS": 3,  # earlier runs needed before the yield is judged
}


@dataclass
class Finding:
    """One monitor's verdict on one spider's run."""

    spider: str
    rule: str
    severity: Status
    message: str
    figures: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        return f"{self.spider}: {self.severity}: {self.rule}: {self.message}"


def _n(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def _prefixed(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {
        key[len(prefix) :]: int(v)
        for key, v in stats.items()
        if key.startswith(prefix) and isinstance(v, int | float)
    }


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value) if value else None


def failure_kind(reason: str) -> str:
    """A failure reason without the URL-specific detail: ``HTTP 404``, ``no article``, …"""
    head = reason.split(":", 1)[0].split("(", 1)[0].strip()
    return head or reason


def spider_counts(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The report's figures for one spider, from its final crawl stats."""
    dedupe = _prefixed(stats, "postcrawl/dedupe/")
    failed_urls: dict[str, str] = stats.get("postcrawl/failed_urls") or {}
    channels = stats.get(DISCOVERY_CHANNELS_KEY)
    started, finished = stats.get("start_time"), stats.get("finish_time")
    duration = stats.get("elapsed_time_seconds")
    if duration is None and isinstance(started, datetime) and isinstance(finished, datetime):
        duration = (finished - started).total_seconds()
    return {
        "lists_read": _n(stats, "postcrawl/list/pages")
        + _n(stats, "postcrawl/api/pages")
        + _n(stats, "postcrawl/spider/list_pages"),
        "list_rows": _n(stats, "postcrawl/list/entries"),
        "list_rows_wanted": max(
            0,
            _n(stats, "postcrawl/list/entries")
            - _n(stats, "postcrawl/list/known")
            - _n(stats, "postcrawl/list/too_old"),
        ),
        "pending_at_start": _n(stats, "postcrawl/frontier/pending_at_start"),
        "articles_fetched": _n(stats, "postcrawl/spider/articles_fetched"),
        "articles_extracted": _n(stats, "postcrawl/extract/articles"),
        "stored": _n(stats, "postcrawl/store/stored"),
        "duplicates": dedupe.get("duplicate", 0) + _n(stats, "postcrawl/store/duplicate"),
        "near_duplicates": dedupe.get("near-duplicate", 0) + dedupe.get("claimed", 0),
        "suspicious_duplicates": dedupe.get("suspicious", 0),
        "filtered_topic": _n(stats, "postcrawl/topic/dropped"),
        "undated": _n(stats, "postcrawl/extract/undated"),
        "boilerplate": _n(stats, "postcrawl/extract/dropped/boilerplate"),
        "untitled": _n(stats, "postcrawl/extract/dropped/no-title"),
        "failed": _n(stats, "postcrawl/failed"),
        "requests_failed": _n(stats, "postcrawl/spider/request_failed"),
        "failure_reasons": dict(Counter(failure_kind(r) for r in failed_urls.values())),
        "failures": list(stats.get("postcrawl/failures") or []),
        "extract_methods": _prefixed(stats, "postcrawl/extract/method/"),
        "chrome_hits": sum(_prefixed(stats, "postcrawl/extract/chrome/").values()),
        "channels_discovered": int(channels) if isinstance(channels, int | float) else None,
        "channel_list": stats.get(DISCOVERY_LIST_KEY),
        "archive_error": stats.get("postcrawl/archive_error"),
        "started": _iso(started),
        "finished": _iso(finished),
        "duration_s": round(float(duration), 1) if duration is not None else None,
    }


def thresholds_from(settings: Any) -> dict[str, float]:
    """The monitor thresholds from Scrapy settings (or any ``.getfloat`` mapping)."""
    if settings is None:
        return dict(DEFAULT_THRESHOLDS)
    return {k: settings.getfloat(k, v) for k, v in DEFAULT_THRESHOLDS.items()}


def yield_of(entry: Mapping[str, Any]) -> int:
    """A run's yield: the list rows it read plus the articles it extracted. Incremental runs
    read their lists' first pages even when nothing is new, so this stays comparable."""
    return int(entry.get("list_rows") or 0) + int(entry.get("articles_extracted") or 0)


@dataclass(frozen=True)
class _Run:
    """What the monitor rules judge: one spider's run, with the thresholds in force."""

    spider: str
    counts: Mapping[str, Any]
    finish_reason: str | None
    t: Mapping[str, float]
    earlier: list[int]
    problem: str | None

    def finding(self, rule: str, severity: Status, message: str, **figures: Any) -> Finding:
        return Finding(self.spider, rule, severity, message, figures)

    @property
    def enough(self) -> bool:
        """Whether enough articles were fetched for the share rules to judge."""
        return self.counts["articles_fetched"] >= self.t["POSTCRAWL_MONITOR_MIN_ARTICLES"]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _rule_run_problem(run: _Run) -> Finding | None:
    """No answer from the site, the archive failed, ended early; or an unusual finish reason."""
    reason = run.finish_reason
    if run.problem:
        return run.finding("run-problem", "broken", run.problem, finish_reason=reason)
    if reason not in (None, "finished") and not str(reason).startswith("closespider_"):
        return run.finding(
            "finish-reason",
            "broken",
            f"finished with {reason!r}, not 'finished'",
            finish_reason=reason,
        )
    return None


def _rule_no_list_rows(run: _Run) -> Finding | None:
    counts = run.counts
    rows, lists = counts["list_rows"], counts["lists_read"]
    # Lists read and empty; or nothing read at all (a resumed JOBDIR run reads no lists but
    # fetches what its queue held).
    if rows != 0 or run.problem or not (lists or counts["articles_fetched"] == 0):
        return None
    return run.finding(
        "no-list-rows",
        "broken",
        f"the lists gave no rows ({lists} list pages read)"
        if lists
        else "no list page was read"
        + (f" ({counts['failed']} requests failed)" if counts["failed"] else ""),
        lists_read=lists,
        list_rows=0,
    )


def _rule_no_articles(run: _Run) -> Finding | None:
    wanted = run.counts["list_rows_wanted"]
    if not (wanted > 0 and run.counts["articles_extracted"] == 0):
        return None
    fetched = run.counts["articles_fetched"]
    return run.finding(
        "no-articles",
        "broken",
        f"0 articles from lists with {wanted} new rows ({fetched} pages fetched)",
        list_rows_wanted=wanted,
        articles_fetched=fetched,
        articles=0,
    )


def _rule_boilerplate(run: _Run) -> Finding | None:
    counts, fetched = run.counts, run.counts["articles_fetched"]
    bad = counts["boilerplate"] + counts["suspicious_duplicates"]
    if not bad:
        return None
    bad_share = _share(bad, fetched)
    return run.finding(
        "boilerplate",
        "broken" if bad_share > run.t["POSTCRAWL_MONITOR_BOILERPLATE_SHARE"] else "degraded",
        f"{bad} of {fetched} pages were navigation, a notice or boilerplate, not archived "
        f"({bad_share:.0%}; {counts['suspicious_duplicates']} of them shared one body)",
        boilerplate=counts["boilerplate"],
        suspicious_duplicates=counts["suspicious_duplicates"],
        fetched=fetched,
        share=round(bad_share, 3),
    )


def _rule_failures(run: _Run) -> Finding | None:
    counts, limit = run.counts, run.t["POSTCRAWL_MONITOR_FAILURE_SHARE"]
    attempted = counts["articles_fetched"] + counts["requests_failed"]
    fail_share = _share(counts["failed"], attempted)
    if not (run.enough and fail_share > limit):
        return None
    return run.finding(
        "failures",
        "degraded",
        f"{counts['failed']} of {attempted} article requests failed ({fail_share:.0%} > "
        f"{limit:.0%}): "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts["failure_reasons"].items())),
        failed=counts["failed"],
        attempted=attempted,
        share=round(fail_share, 3),
    )


def _rule_extractor_fallback(run: _Run) -> Finding | None:
    methods, extracted = run.counts["extract_methods"], run.counts["articles_extracted"]
    generic = sum(v for k, v in methods.items() if k != "selector")
    generic_share = _share(generic, sum(methods.values()))
    if not (
        extracted >= run.t["POSTCRAWL_MONITOR_MIN_ARTICLES"]
        and generic_share > run.t["POSTCRAWL_MONITOR_FALLBACK_SHARE"]
    ):
        return None
    return run.finding(
        "extractor-fallback",
        "degraded",
        f"{generic} of {extracted} articles fell back from the site's rules to the generic "
        f"extractor ({generic_share:.0%})",
        generic=generic,
        articles=extracted,
        share=round(generic_share, 3),
    )


def _rule_undated(run: _Run) -> Finding | None:
    undated, extracted = run.counts["undated"], run.counts["articles_extracted"]
    undated_share = _share(undated, extracted)
    if not (
        extracted >= run.t["POSTCRAWL_MONITOR_MIN_ARTICLES"]
        and undated_share > run.t["POSTCRAWL_MONITOR_UNDATED_SHARE"]
    ):
        return None
    return run.finding(
        "undated",
        "degraded",
        f"{undated} of {extracted} articles have no date ({undated_share:.0%})",
        undated=undated,
        articles=extracted,
        share=round(undated_share, 3),
    )


def _rule_untitled(run: _Run) -> Finding | None:
    untitled, fetched = run.counts["untitled"], run.counts["articles_fetched"]
    untitled_share = _share(untitled, fetched)
    if not (run.enough and untitled_share > run.t["POSTCRAWL_MONITOR_UNTITLED_SHARE"]):
        return None
    return run.finding(
        "untitled",
        "degraded",
        f"{untitled} of {fetched} pages had no title ({untitled_share:.0%})",
        untitled=untitled,
        fetched=fetched,
        share=round(untitled_share, 3),
    )


def _rule_chrome(run: _Run) -> Finding | None:
    hits, extracted = run.counts["chrome_hits"], run.counts["articles_extracted"]
    limit = run.t["POSTCRAWL_MONITOR_CHROME_PER_ARTICLE"]
    per_article = _share(hits, extracted)
    if not (extracted and per_article > limit):
        return None
    return run.finding(
        "chrome",
        "degraded",
        f"{per_article:.1f} boilerplate-rule hits per article (> {limit:g}): "
        "the pages may have changed",
        chrome_hits=hits,
        articles=extracted,
    )


def _rule_yield_drop(run: _Run) -> Finding | None:
    earlier, drop = run.earlier, run.t["POSTCRAWL_MONITOR_YIELD_DROP"]
    if len(earlier) < run.t["POSTCRAWL_MONITOR_YIELD_RUNS"] or run.problem:
        return None
    median = statistics.median(earlier)
    now = yield_of(run.counts)
    if not (median > 0 and now < median * drop):
        return None
    return run.finding(
        "yield-drop",
        "broken",
        f"yield {now} (list rows + articles) is under {drop:g} of the median {median:g} of the "
        f"last {len(earlier)} runs",
        yield_=now,
        median=median,
        runs=len(earlier),
    )


# The monitor rules, in the order their findings are listed.
_RULES = (
    _rule_run_problem,
    _rule_no_list_rows,
    _rule_no_articles,
    _rule_boilerplate,
    _rule_failures,
    _rule_extractor_fallback,
    _rule_undated,
    _rule_untitled,
    _rule_chrome,
    _rule_yield_drop,
)


def evaluate(
    spider: str,
    counts: Mapping[str, Any],
    finish_reason: str | None,
    thresholds: Mapping[str, float] | None = None,
    previous_yields: Iterable[int] = (),
    problem: str | None = None,
) -> list[Finding]:
    """The monitors' findings for one spider's run (empty: ``ok``)."""
    run = _Run(
        spider,
        counts,
        finish_reason,
        {**DEFAULT_THRESHOLDS, **(thresholds or {})},
        list(previous_yields),
        problem,
    )
    return [finding for rule in _RULES if (finding := rule(run)) is not None]


def status_of(findings: Iterable[Finding]) -> Status:
    worst: Status = "ok"
    for f in findings:
        if SEVERITY[f.severity] > SEVERITY[worst]:
            worst = f.severity
    return worst


def spider_entry(
    spider: str,
    stats: Mapping[str, Any],
    *,
    finish_reason: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    root: Path | None = None,
    problem: str | None = None,
) -> dict[str, Any]:
    """One spider's part of a run report: its figures, status and findings."""
    counts = spider_counts(stats)
    reason = finish_reason or stats.get("finish_reason")
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    previous = (
        previous_yields(root, spider, int(t["POSTCRAWL_MONITOR_YIELD_RUNS"]) * 3) if root else []
    )
    findings = evaluate(spider, counts, reason, t, previous, problem)
    return {
        "spider": spider,
        "status": status_of(findings),
        "findings": [asdict(f) for f in findings],
        "finish_reason": reason,
        **counts,
    }


# -- report files ------------------------------------------------------------------------------
def utc_stamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def make_report(
    entries: list[dict[str, Any]], *, root: Path, name: str, started: datetime | None = None
) -> dict[str, Any]:
    """The whole report of one run (one or several spiders)."""
    started = started or datetime.now(UTC)
    findings = [f for e in entries for f in e["findings"]]
    worst: Status = "ok"
    for e in entries:
        if SEVERITY[e["status"]] > SEVERITY[worst]:
            worst = e["status"]
    return {
        "version": REPORT_VERSION,
        "id": f"{utc_stamp(started)}-{name}",
        "name": name,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(root),
        "pid": os.getpid(),
        "status": worst,
        "findings": findings,
        "spiders": entries,
    }


def write_report(root: Path, report: dict[str, Any]) -> Path:
    """Write *report* to ``<root>/runs/<id>.json`` atomically (temp file, fsync, rename); a
    second run with the same id in the same second gets ``-2``, ``-3``, …"""
    folder = root / RUNS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    base = report["id"]
    path, n = folder / f"{base}.json", 1
    while path.exists():
        n += 1
        report["id"] = f"{base}-{n}"
        path = folder / f"{report['id']}.json"
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: no empty runs/ left by a full disk
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_reports(root: Path) -> list[dict[str, Any]]:
    """Every readable report under ``<root>/runs/``, oldest first."""
    out = []
    for path in sorted((root / RUNS_DIR).glob("*.json")):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(report, dict) and isinstance(report.get("spiders"), list):
            report.setdefault("id", path.stem)
            out.append(report)
    out.sort(key=lambda r: (str(r.get("started")), r["id"]))
    return out


def previous_yields(root: Path | None, spider: str, limit: int = 9) -> list[int]:
    """The yields of *spider*'s last *limit* runs that were not broken."""
    if root is None:
        return []
    found = [
        yield_of(e)
        for r in read_reports(root)
        for e in r["spiders"]
        if e.get("spider") == spider and e.get("status") != "broken"
    ]
    return found[-limit:]


# -- the index's runs table ------------------------------------------------------------------
RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT NOT NULL, spider TEXT NOT NULL, status TEXT, started TEXT, finished TEXT,
    duration_s REAL, finish_reason TEXT, lists_read INTEGER, list_rows INTEGER,
    articles_fetched INTEGER, stored INTEGER, duplicates INTEGER, near_duplicates INTEGER,
    filtered_topic INTEGER, undated INTEGER, boilerplate INTEGER, failed INTEGER,
    channels_discovered INTEGER, findings TEXT, PRIMARY KEY (run_id, spider)
)"""
_RUN_COLUMNS = [
    "status",
    "started",
    "finished",
    "duration_s",
    "finish_reason",
    "lists_read",
    "list_rows",
    "articles_fetched",
    "stored",
    "duplicates",
    "near_duplicates",
    "filtered_topic",
    "undated",
    "boilerplate",
    "failed",
    "channels_discovered",
]


def load_runs_table(root: Path) -> int:
    """Replace the ``runs`` table of ``<root>/index.sqlite3`` with one row per spider per
    report file (the files are the record; the table is derived, for datasette and SQL).
    Returns the rows written; 0 and no change when there is no index."""
    index = root / "index.sqlite3"
    if not index.exists():
        return 0
    rows = [
        (
            r["id"],
            e.get("spider"),
            *(e.get(c) for c in _RUN_COLUMNS),
            "\n".join(f"{f['severity']}: {f['rule']}: {f['message']}" for f in e["findings"]),
        )
        for r in read_reports(root)
        for e in r["spiders"]
    ]
    conn = sqlite3.connect(index, timeout=30)
    try:
        with conn:
            conn.execute(RUNS_SCHEMA)
            conn.execute("DELETE FROM runs")
            conn.executemany(
                f"INSERT OR REPLACE INTO runs VALUES ({', '.join('?' * (len(_RUN_COLUMNS) + 3))})",
                rows,
            )
    finally:
        conn.close()
    return len(rows)


# -- the table printed at the end ----------------------------------------------------------
TABLE_COLUMNS = (
    ("spider", "spider"),
    ("status", "status"),
    ("lists", "lists_read"),
    ("rows", "list_rows"),
    ("fetched", "articles_fetched"),
    ("stored", "stored"),
    ("dup", "duplicates"),
    ("near", "near_duplicates"),
    ("topic", "filtered_topic"),
    ("undated", "undated"),
    ("boiler", "boilerplate"),
    ("failed", "failed"),
    ("channels", "channels_discovered"),
    ("secs", "duration_s"),
    ("finish", "finish_reason"),
)


def table_rows(report: Mapping[str, Any]) -> list[list[str]]:
    return [
        ["-" if e.get(key) is None else str(e.get(key)) for _, key in TABLE_COLUMNS]
        for e in report["spiders"]
    ]


def plain_table(report: Mapping[str, Any]) -> str:
    """The report as a plain-text table with the findings under it."""
    head = [h for h, _ in TABLE_COLUMNS]
    rows = table_rows(report)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for entry in report["spiders"]:
        for f in entry["findings"]:
            lines.append(f"{f['spider']}: {f['severity']}: {f['rule']}: {f['message']}")
        failures = entry.get("failure_reasons") or {}
        if failures:
            lines.append(
                f"{entry['spider']}: failures: "
                + ", ".join(f"{k} {v}" for k, v in sorted(failures.items()))
            )
    lines.append(f"run {report['id']}: {report['status']}")
    return "\n".join(lines)


# -- notifications ---------------------------------------------------------------------------
def notify(report: Mapping[str, Any], command: str | None, url: str | None) -> list[str]:
    """Send the report: *command* gets the JSON on stdin (a shell command), *url* a POST of
    it. Returns what went wrong, one line each (a failed notification never fails a run)."""
    body = json.dumps(report, ensure_ascii=False, default=str).encode("utf-8")
    problems = []
    if command:
        try:
            done = subprocess.run(command, shell=True, input=body, capture_output=True, timeout=60)
            if done.returncode:
                problems.append(f"notify command exited {done.returncode}: {command}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"notify command failed: {exc}")
    if url:
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as answer:
                answer.read()
        except OSError as exc:
            problems.append(f"notify URL {url} failed: {exc}")
    for line in problems:
        logger.error("%s", line)
    return problems


def finish_report(
    report: dict[str, Any],
    root: Path,
    *,
    notify_command: str | None = None,
    notify_url: str | None = None,
    notify_when: str = "problems",
) -> Path | None:
    """Write *report*, reload the index's ``runs`` table and notify; the report's path (None
    when it could not be written: logged, the run's own result stands)."""
    try:
        path = write_report(root, report)
    except OSError as exc:
        logger.error("cannot write the run report under %s: %s", root / RUNS_DIR, exc)
        return None
    try:
        load_runs_table(root)
    except sqlite3.Error as exc:
        logger.warning("the runs table of the index was not updated: %s", exc)
    if (notify_command or notify_url) and should_notify(report, notify_when):
        notify(report, notify_command, notify_url)
    return path


def should_notify(report: Mapping[str, Any], when: str) -> bool:
    """``always``, or ``problems`` (the default: degraded or broken runs), or ``broken``."""
    if when == "always":
        return True
    if when == "broken":
        return report["status"] == "broken"
    return report["status"] != "ok"
