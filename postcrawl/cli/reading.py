"""What the corpus-reading commands share: the filter options, opening the archive, tables."""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from postcrawl.cli import CliError, add_data_dir, data_dir
from postcrawl.reader import Corpus, CorpusError, Filters


def add_filters(
    parser: argparse.ArgumentParser, *, limit: int | None = None, with_limit: bool = True
) -> None:
    """``--data-dir`` and the filters search, export, stats and plot accept; ``--limit``
    (default *limit*, None: all) unless *with_limit* is false."""
    add_data_dir(parser)
    parser.add_argument(
        "--site", action="append", default=[], help="only this site (repeatable): gd_spb, txyddy…"
    )
    parser.add_argument("--since", help="from this day on: YYYY, YYYY-MM or YYYY-MM-DD")
    parser.add_argument("--until", help="up to this day, inclusive: YYYY, YYYY-MM or YYYY-MM-DD")
    parser.add_argument("--source", help="来源 contains this text (e.g. 广东)")
    parser.add_argument("--province", help="bureau province, as in the index (e.g. 广东, 全国)")
    if not with_limit:
        return
    parser.add_argument(
        "--limit",
        type=positive_int,
        default=limit,
        help=f"at most this many articles (default: {limit or 'all'})",
    )


def positive_int(text: str) -> int:
    """An argparse type: an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {value}")
    return value


def filters_from(args: argparse.Namespace) -> Filters:
    """The :class:`Filters` the options name (dates are checked when the query runs)."""
    return Filters(
        sites=tuple(args.site or ()),
        since=args.since,
        until=args.until,
        source=args.source,
        province=getattr(args, "province", None),
    )


@contextmanager
def open_corpus(args: argparse.Namespace) -> Iterator[Corpus]:
    """The archive ``--data-dir`` names, opened for reading; reader errors become CLI errors."""
    try:
        with Corpus(data_dir(args)) as corpus:
            yield corpus
    except CorpusError as exc:
        raise CliError(str(exc)) from None


def display_width(text: str) -> int:
    """Terminal columns *text* takes: East Asian Wide and Fullwidth characters (Chinese,
    full-width punctuation and letters) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """*text* padded with spaces to *width* terminal columns, left-aligned or *right*-aligned.

    Every column the CLI lines up goes through here: ``str.ljust`` counts characters, and a
    Chinese name would push the rest of its row right, one column per character.
    """
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def table(
    rows: Sequence[Sequence[object]], header: Sequence[str], right: Sequence[int] = ()
) -> str:
    """An aligned plain-text table; columns whose index is in *right* are right-aligned."""
    cells = [[str(c) for c in header], *([("" if c is None else str(c)) for c in r] for r in rows)]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        padded = (pad(cell, widths[i], right=i in right) for i, cell in enumerate(row))
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])
