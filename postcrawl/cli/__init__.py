"""The ``postcrawl`` command: one module per subcommand, each with ``register(subparsers)``.

A subcommand's handler takes the parsed arguments and returns the exit status; it raises
:class:`CliError` for a clear one-line failure (no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from postcrawl.paths import default_data_dir
from postcrawl.wording import plural

__all__ = ["CliError", "add_data_dir", "data_dir", "plural"]

COMMAND_MODULES = (
    "postcrawl.cli.crawl",
    "postcrawl.cli.enqueue",
    "postcrawl.cli.archiver",
    "postcrawl.cli.status",
    "postcrawl.cli.runs",
    "postcrawl.cli.extract",
    "postcrawl.cli.reindex",
    "postcrawl.cli.reextract",
    "postcrawl.cli.verify",
    "postcrawl.cli.mirror",
    "postcrawl.cli.probe",
    "postcrawl.cli.stats",
    "postcrawl.cli.search",
    "postcrawl.cli.show",
    "postcrawl.cli.export",
    "postcrawl.cli.plot",
    "postcrawl.cli.datasette_metadata",
)


class CliError(Exception):
    """A failure to report as ``postcrawl: <message>`` with exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """The ``--data-dir`` option every archive-reading command shares."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="archive root (default: $POSTCRAWL_DATA_DIR, else data/)",
    )


def data_dir(args: argparse.Namespace, *, must_exist: bool = True) -> Path:
    """The archive root the user named; a clear error when it is missing or holds no archive."""
    root: Path = args.data_dir or default_data_dir()
    if must_exist:
        if not root.is_dir():
            raise CliError(
                f"no archive at {root}: the folder does not exist (run a crawl first, "
                "or point --data-dir / POSTCRAWL_DATA_DIR at an archive)"
            )
        if not (root / "manifest.jsonl").exists() and not (root / "index.sqlite3").exists():
            raise CliError(
                f"no archive at {root}: no manifest.jsonl or index.sqlite3 (run a crawl first)"
            )
    return root


def output_file(path: Path) -> Path:
    """*path* as a file to write: its folder must already exist (a typo in the folder should
    not quietly make a new tree of folders)."""
    folder = path.parent
    if not folder.exists():
        raise CliError(f"cannot write {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise CliError(f"cannot write {path}: {folder} is not a folder")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postcrawl",
        description="Crawl, archive and read Chinese postal-bureau news.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``postcrawl`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"postcrawl: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # `postcrawl search … | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
