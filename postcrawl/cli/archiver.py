"""``postcrawl archiver``: distributed mode's one archive writer.

Reads the items workers send (the Redis stream ``postcrawl:items``), writes them into the
archive at ``POSTCRAWL_DATA_DIR`` through the same steps as an embedded crawl (topic, dedupe,
store), and acknowledges each once its manifest line and index commit are done. Runs until the
stream is drained and no worker is left (``--forever``: until stopped). Several archivers on one
host share the archive's lock; the archive is written on one host only (docs/distributed.md).
"""

from __future__ import annotations

import argparse
from typing import Any

from postcrawl.cli.crawl import _pairs, add_crawl_options, project_settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "archiver",
        help="distributed mode: write the workers' items into the archive",
        description=(__doc__ or "").split("\n\n")[0],
    )
    add_crawl_options(parser, spiders=False)
    parser.add_argument(
        "--forever",
        action="store_true",
        help="keep waiting for items after the workers are gone (a service)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from postcrawl.distributed.cli import run_archiver

    _pairs(args.spargs, "-a")  # checked like crawl's; the archiver runs no spider
    overrides = _pairs(args.set, "-s")
    settings = project_settings(overrides)
    return run_archiver(settings, overrides, forever=args.forever)
