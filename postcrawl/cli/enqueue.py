"""``postcrawl enqueue SPIDER…|--all|--group``: start a distributed run of spiders.

Each spider's start requests (what its frontier holds as pending, then its lists) go into its
shared queue on the Redis server ``POSTCRAWL_REDIS_URL`` names, once, here; workers
(``postcrawl crawl --worker``) then take them. A spider whose last run is not finished (requests
queued or held by a worker) is not seeded again; ``--restart`` drops that run first.
"""

from __future__ import annotations

import argparse
from typing import Any

from postcrawl.cli.crawl import _pairs, add_crawl_options, checked_spiders, project_settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "enqueue",
        help="distributed mode: queue the spiders' start requests for the workers",
        description=(__doc__ or "").split("\n\n")[0],
    )
    add_crawl_options(parser)
    parser.add_argument(
        "--restart",
        action="store_true",
        help="drop a spider's unfinished run (its queue and request fingerprints) and seed anew",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from postcrawl.distributed.cli import run_enqueue

    spargs = _pairs(args.spargs, "-a")
    overrides = _pairs(args.set, "-s")
    settings = project_settings(overrides)
    names = checked_spiders(args, settings, spargs)
    return run_enqueue(settings, overrides, names, spargs, restart=args.restart)
