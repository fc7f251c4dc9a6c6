"""``postcrawl export``: the corpus, or a filtered part, as JSONL, CSV or Parquet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from postcrawl.cli import CliError, output_file, plural
from postcrawl.cli.reading import add_filters, filters_from, open_corpus, positive_int
from postcrawl.reader import CorpusError
from postcrawl.reader.export import FORMATS, export


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help="write the articles as JSONL, CSV or Parquet (one row per article)",
        description="Stream the articles (all, or those the filters keep) to a file or standard "
        "output, one row per article with the index's fields and the body, in file order "
        "(by date, undated last). See the README for the columns.",
    )
    add_filters(p, limit=None)
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="default: from --out's extension (.jsonl, .ndjson, .csv, .parquet), else jsonl",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="output file, in an existing folder (default: standard output; not Parquet)",
    )
    p.add_argument(
        "--batch-size", type=positive_int, default=1000, help="rows read and written at a time"
    )
    p.set_defaults(handler=run)


# The file extensions that name a format when --format is not given.
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def pick_format(fmt: str | None, out: Path | None) -> str:
    """The format asked for, else the one *out*'s extension names, else JSONL (standard output,
    or a file with no extension). An extension we do not write is refused rather than filled
    with JSONL under a misleading name (``x.xlsx``)."""
    if fmt:
        return fmt
    if out is None or not out.suffix:
        return "jsonl"
    if out.suffix.lower() not in EXTENSIONS:
        raise CliError(
            f"cannot export to {out}: unknown extension {out.suffix!r} "
            f"(supported: {', '.join(EXTENSIONS)}; or name a format with --format)",
            2,
        )
    return EXTENSIONS[out.suffix.lower()]


def run(args: argparse.Namespace) -> int:
    out = None if args.out is None or str(args.out) == "-" else args.out
    fmt = pick_format(args.format, out)
    if out is not None:
        output_file(out)  # before the archive is opened: a typo fails at once
    with open_corpus(args) as corpus:
        batches = corpus.iter_batches(
            filters_from(args), limit=args.limit, batch_size=args.batch_size
        )
        try:
            rows = export(batches, fmt, out, sys.stdout)
        except CorpusError as exc:
            raise CliError(str(exc)) from None
        except BrokenPipeError:  # `postcrawl export | head`: the reader has what it wanted
            raise
        except OSError as exc:
            raise CliError(f"cannot write {out}: {exc.strerror}") from None
    if out is not None:
        print(f"wrote {plural(rows, 'article')} to {out} ({fmt})", file=sys.stderr)
    return 0
