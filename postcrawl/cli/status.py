"""``postcrawl status``: distributed mode at a glance — each spider's queue and in-flight
requests, the items waiting for the archiver and its lag, dead letters, the workers and
archivers seen (alive while their heartbeat lasts)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from postcrawl.cli.crawl import _pairs, project_settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="distributed mode: queues, pending items, workers and archivers",
        description=(__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument(
        "-s",
        dest="set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="setting (POSTCRAWL_REDIS_URL=…)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from postcrawl.distributed.cli import gather_status, redis_for, status_text

    settings = project_settings(_pairs(args.set, "-s"))
    client, url = redis_for(settings, "archiver")
    try:
        status = gather_status(client)
    finally:
        client.close()
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print(status_text(status, url))
    return 0
