"""``postcrawl mirror [--site gd]``: serve a realistic local copy of a bureau site to crawl.

Serves on 127.0.0.1 (never on other interfaces) until interrupted, and prints the exact
``scrapy crawl`` command that crawls it into a scratch archive at full speed.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import threading
from typing import Any

from postcrawl.cli import CliError, plural
from postcrawl.mirror.bureau import BureauMirror, bureau_named, counts, invented_layout
from postcrawl.mirror.server import MirrorServer


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "mirror",
        help="serve a local mirror of a bureau site on 127.0.0.1 (offline demo, tests)",
        description="Serve a generated copy of a bureau CMS site (lists, articles, robots.txt "
        "and the faults seen in the wild) on 127.0.0.1, and print the scrapy command to crawl it.",
    )
    p.add_argument("--site", default="gd", help="bureau code or spider name (default: gd)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free)")
    p.add_argument("--articles", type=int, default=120, help="listed articles (default 120)")
    p.add_argument("--page-size", type=int, default=10, help="rows a static list shows")
    p.add_argument("--clean", action="store_true", help="no fault cases (404, 500, stubs, …)")
    p.add_argument(
        "--invented",
        action="store_true",
        help="a made-up prefix and channel codes (found only by discovery)",
    )
    p.add_argument("--no-api", action="store_true", help="the search API answers HTML")
    p.add_argument("--no-nav", action="store_true", help="a home page without navigation")
    p.add_argument(
        "--data-dir",
        default="mirror-data",
        help="archive root to put in the printed crawl command (default: mirror-data)",
    )
    p.set_defaults(handler=run)


# The polite defaults (a 1.5 s delay per request, AutoThrottle, 2 s backoff before a retry)
# make a crawl of the local mirror take minutes; the mirror is ours, so they go.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "POSTCRAWL_RETRY_BACKOFF_BASE": "0",
}


def crawl_command(spider: str, base_url: str, data_dir: str) -> str:
    """The crawl command for a mirror: the real spider, pointed at the mirror, delays off."""
    settings = {"POSTCRAWL_DATA_DIR": data_dir, **FAST_SETTINGS}
    return shlex.join(
        ["scrapy", "crawl", spider, "-a", f"base_url={base_url}"]
        + [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]
    )


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    if args.articles < 1 or args.page_size < 1:
        raise CliError("--articles and --page-size must be at least 1", 2)
    try:
        bureau = bureau_named(args.site)
    except KeyError as exc:
        raise CliError(str(exc.args[0]), 2) from None
    mirror = BureauMirror(
        bureau,
        articles=args.articles,
        page_size=args.page_size,
        faults=not args.clean,
        layout=invented_layout(bureau.code) if args.invented else None,
        api=not args.no_api,
        nav=not args.no_nav,
    )
    try:
        server = MirrorServer(mirror.routes(), port=args.port)
    except OSError as exc:
        raise CliError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    info = counts(mirror)
    with server:
        print(f"Mirror of {bureau.display_name} ({bureau.domain}) at {server.base_url}", flush=True)
        print(
            f"  {plural(info.articles, 'listed article')} ({info.retrievable} retrievable), "
            f"{plural(info.list_pages, 'channel list')}, faults: "
            + (", ".join(f"{k} {v}" for k, v in sorted(info.faults.items())) or "none"),
            flush=True,
        )
        print("Crawl it with:", flush=True)
        print(f"  {crawl_command(bureau.spider_name, server.base_url, args.data_dir)}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    return 0
