"""``postcrawl mirror [--site gd|txyddy|…|all]``: serve realistic local copies of sites to crawl.

Serves on 127.0.0.1 (never on other interfaces) until interrupted, and prints the exact
command that crawls it into a scratch archive at full speed: ``scrapy crawl <spider>`` for one
site, ``postcrawl crawl <spiders>`` for several. ``--site`` takes a bureau (code or spider
name), an aggregator, several of them (space- or comma-separated) or ``all`` (the bureau, gd
unless another is named, and every aggregator), all on one port: the bureau at ``/``, each
aggregator at its own list and article paths (see :func:`postcrawl.mirror.aggregators.
combined_routes` for the one shared path, the root).
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import threading
from typing import Any

from postcrawl.cli import CliError, plural
from postcrawl.mirror.aggregators import (
    AggregatorMirror,
    aggregator_named,
    combined_routes,
)
from postcrawl.mirror.bureau import BureauMirror, bureau_named, counts, invented_layout
from postcrawl.mirror.server import MirrorServer
from postcrawl.sites.aggregators import AGGREGATOR_ROWS, Aggregator
from postcrawl.sites.bureaus import BUREAUS, Bureau


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "mirror",
        help="serve local mirrors of a bureau and the aggregators on 127.0.0.1 (offline demo)",
        description="Serve a generated copy of a bureau CMS site (lists, articles, robots.txt "
        "and the faults seen in the wild) and/or of the aggregator sites (their list shapes, "
        "saved and generated articles, a repost, an off-topic article) on 127.0.0.1, and print "
        "the command to crawl them.",
    )
    p.add_argument(
        "--site",
        nargs="+",
        default=["gd"],
        metavar="NAME",
        help="bureau code or spider name, aggregator (txyddy, e0734, sxrb, dezhou), several, "
        "or all (default: gd)",
    )
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free)")
    p.add_argument(
        "--articles", type=int, default=120, help="the bureau's listed articles (default 120)"
    )
    p.add_argument("--page-size", type=int, default=10, help="rows a bureau's static list shows")
    p.add_argument(
        "--clean", action="store_true", help="no bureau fault cases (404, 500, stubs, …)"
    )
    p.add_argument(
        "--invented",
        action="store_true",
        help="a made-up prefix and channel codes (found only by discovery)",
    )
    p.add_argument("--no-api", action="store_true", help="the search API answers HTML")
    p.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="milliseconds added to every answer (a distant server; default 0)",
    )
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


def crawl_command(spiders: list[str], base_url: str, data_dir: str) -> str:
    """The crawl command for a mirror: the real spiders, pointed at the mirror, delays off
    (``scrapy crawl`` for one spider, ``postcrawl crawl`` for several)."""
    settings = {"POSTCRAWL_DATA_DIR": data_dir, **FAST_SETTINGS}
    head = ["scrapy", "crawl"] if len(spiders) == 1 else ["postcrawl", "crawl"]
    return shlex.join(
        [*head, *spiders, "-a", f"base_url={base_url}"]
        + [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]
    )


def resolve_sites(names: list[str]) -> tuple[Bureau | None, list[Aggregator]]:
    """The bureau (at most one: bureaus share the root ``/``) and the aggregators named;
    ``all`` is the bureau (gd unless one is named) and every aggregator."""
    words = [w for name in names for w in name.replace(",", " ").split()]
    bureaus: list[Bureau] = []
    aggregators: list[Aggregator] = []
    every = False
    for word in words:
        if word == "all":
            every = True
            continue
        try:
            bureau = bureau_named(word)
        except KeyError:
            try:
                row = aggregator_named(word)
            except KeyError:
                known = ", ".join([b.code for b in BUREAUS] + [r.name for r in AGGREGATOR_ROWS])
                raise CliError(f"unknown site {word!r}; known: {known}, all", 2) from None
            if row not in aggregators:
                aggregators.append(row)
            continue
        if bureau not in bureaus:
            bureaus.append(bureau)
    if every:
        bureaus = bureaus or [bureau_named("gd")]
        aggregators = list(AGGREGATOR_ROWS)
    if len(bureaus) > 1:
        raise CliError(
            "one bureau per mirror: bureau sites are served at / "
            f"(got {', '.join(b.code for b in bureaus)})",
            2,
        )
    if not bureaus and not aggregators:
        raise CliError("name a site to mirror", 2)
    return (bureaus[0] if bureaus else None), aggregators


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    if args.articles < 1 or args.page_size < 1:
        raise CliError("--articles and --page-size must be at least 1", 2)
    if args.latency < 0:
        raise CliError("--latency must not be negative", 2)
    bureau, rows = resolve_sites(args.site)
    aggregators = [AggregatorMirror(row) for row in rows]
    mirror = None
    if bureau is not None:
        mirror = BureauMirror(
            bureau,
            articles=args.articles,
            page_size=args.page_size,
            faults=not args.clean,
            layout=invented_layout(bureau.code) if args.invented else None,
            api=not args.no_api,
            nav=not args.no_nav,
            # The originals the aggregators repost, where they are served with them.
            originals=bool(aggregators),
        )
    try:
        server = MirrorServer(
            combined_routes(mirror, aggregators), port=args.port, latency=args.latency / 1000
        )
    except OSError as exc:
        raise CliError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    names = [f"{b.display_name} ({b.domain})" for b in [bureau] if b is not None]
    names += [f"{row.site.display_name} ({row.site.domain})" for row in rows]
    spiders = [b.spider_name for b in [bureau] if b is not None] + [row.name for row in rows]
    with server:
        print(f"Mirror of {', '.join(names)} at {server.base_url}", flush=True)
        if mirror is not None:
            info = counts(mirror)
            print(
                f"  {plural(info.articles, 'listed article')} ({info.retrievable} retrievable), "
                f"{plural(info.list_pages, 'channel list')}, faults: "
                + (", ".join(f"{k} {v}" for k, v in sorted(info.faults.items())) or "none"),
                flush=True,
            )
        for agg in aggregators:
            off = len(agg.off_topic())
            print(
                f"  {agg.name}: {plural(len(agg.articles()), 'article')}"
                + (f" ({off} off-topic)" if off else "")
                + f", lists {', '.join(agg.row.listing.start_paths)}",
                flush=True,
            )
        if mirror is not None and any(agg.name == "dezhou" for agg in aggregators):
            print("  / is dezhou's home page with the bureau's navigation added", flush=True)
        print("Crawl it with:", flush=True)
        print(f"  {crawl_command(spiders, server.base_url, args.data_dir)}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    return 0
