"""Scrapy settings for postcrawl. Polite by default; tests turn the delays off explicitly."""

from __future__ import annotations

import os

from postcrawl import __version__
from postcrawl.paths import default_data_dir

BOT_NAME = "postcrawl"
# Our `scrapy crawl` (postcrawl/commands/crawl.py): checks arguments and the archive first, and
# exits non-zero with one line when a crawl could not do its job.
COMMANDS_MODULE = "postcrawl.commands"
SPIDER_MODULES = ["postcrawl.spiders"]
NEWSPIDER_MODULE = "postcrawl.spiders"

# --- Politeness -----------------------------------------------------------------------------
USER_AGENT = (
    f"postcrawl/{__version__} (+https://github.com/postcrawl/postcrawl; "
    "research archive of postal-bureau news)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.5  # per host; AutoThrottle never goes below it
DOWNLOAD_DELAY_JITTER = (
    0.5  # ±50% around the delay (RANDOMIZE_DOWNLOAD_DELAY is deprecated in 2.19)
)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
POSTCRAWL_RETRY_BACKOFF_BASE = 2.0  # seconds before the 1st retry, doubled each time
POSTCRAWL_RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "postcrawl.middlewares.RobotsTxtMiddleware": 100,
    "postcrawl.middlewares.RetryBackoffMiddleware": 560,  # beside Scrapy's RetryMiddleware
}

# --- Nothing exposed on unattended runs -----------------------------------------------------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # on by default in Scrapy 2.19: runs Python code sent over HTTP

# --- The archive ----------------------------------------------------------------------------
POSTCRAWL_DATA_DIR = str(default_data_dir())  # $POSTCRAWL_DATA_DIR, else data/
POSTCRAWL_FSYNC = True
ITEM_PIPELINES = {
    "postcrawl.pipelines.extract.ExtractPipeline": 100,
    "postcrawl.pipelines.normalize.NormalizePipeline": 200,
    "postcrawl.pipelines.topic.TopicPipeline": 250,
    "postcrawl.pipelines.dedupe.DedupePipeline": 300,
    "postcrawl.pipelines.store.StorePipeline": 400,
}
# The steps run in a pipeline process, off the reactor thread, committing the items waiting
# as one group (one index transaction, one manifest fsync); see postcrawl/pipelines/process.py.
ITEM_PROCESSOR = "postcrawl.pipelines.process.PipelineProcess"
POSTCRAWL_PIPELINE_PROCESS = True  # False: the same groups on the reactor thread
POSTCRAWL_GROUP_MAX = 200  # items per group commit at most
SPIDER_MIDDLEWARES = {
    "postcrawl.spidermiddlewares.FrontierMiddleware": 900,
}
POSTCRAWL_FRONTIER_ENABLED = True
# Bureau spiders reuse the channel lists an earlier run discovered for this many days, then
# read the home page's navigation again (0: every run).
POSTCRAWL_REDISCOVER_DAYS = 7
# A URL that fails this many runs in a row is given up: HTTP 404/410, robots.txt, no article…
POSTCRAWL_GIVE_UP_RUNS = 3
# … and timeouts, 5xx, resets (0: never give up on those).
POSTCRAWL_GIVE_UP_TRANSIENT_RUNS = 10
EXTENSIONS = {
    "postcrawl.extensions.FrontierFailures": 490,
    "postcrawl.extensions.DiscoveryRecorder": 495,
    "postcrawl.extensions.RunSummary": 500,
    "postcrawl.extensions.RunReport": 505,
    "postcrawl.extensions.StatsFile": 510,
    "postcrawl.warc.WarcRecorder": 520,
}
# Run reports (<data>/runs/) and their monitors (postcrawl/runs.py). A status broken makes the
# crawl exit 1. Thresholds: shares of the articles fetched (see postcrawl.runs).
POSTCRAWL_RUN_REPORT_ENABLED = True
POSTCRAWL_MONITOR_MIN_ARTICLES = 5  # share rules are judged from this many articles on
POSTCRAWL_MONITOR_FALLBACK_SHARE = 0.5  # generic extractor instead of the site's rules
POSTCRAWL_MONITOR_UNDATED_SHARE = 0.3
POSTCRAWL_MONITOR_UNTITLED_SHARE = 0.2
POSTCRAWL_MONITOR_BOILERPLATE_SHARE = 0.2  # above: broken; any boilerplate page: degraded
POSTCRAWL_MONITOR_CHROME_PER_ARTICLE = 40  # boilerplate-rule hits per article
POSTCRAWL_MONITOR_FAILURE_SHARE = 0.2
POSTCRAWL_MONITOR_YIELD_DROP = 0.1  # yield under this share of the median of earlier runs
POSTCRAWL_MONITOR_YIELD_RUNS = 3  # earlier runs needed before the yield is judged
# More distinct URLs of one site with one body in one run than this: not duplicates, failures.
POSTCRAWL_SUSPICIOUS_HASH_URLS = 3
# Notification of a run's report: a shell command (the JSON on stdin) and/or a URL (POST).
POSTCRAWL_NOTIFY_COMMAND = os.environ.get("POSTCRAWL_NOTIFY_COMMAND") or None
POSTCRAWL_NOTIFY_URL = os.environ.get("POSTCRAWL_NOTIFY_URL") or None
POSTCRAWL_NOTIFY_ON = os.environ.get("POSTCRAWL_NOTIFY_ON") or "problems"  # always, broken
# One crawl at a time per archive root (<data>/.run.lock): wait for it, or exit 75.
POSTCRAWL_RUN_LOCK_WAIT = False
# postcrawl crawl: seconds between progress lines when stdout is not a terminal.
POSTCRAWL_PROGRESS_INTERVAL = 30.0
POSTCRAWL_STATS_FILE = None  # a path: the final stats as JSON, written at spider close
POSTCRAWL_WARC_ENABLED = True  # raw responses in data/warc/, for re-extraction
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
LOG_FORMATTER = "postcrawl.logformatter.OneLineLogFormatter"  # a dropped item: URL and reason

# --- Where "seen" and the crawl frontier live -------------------------------------------------
# Chosen like Scrapy's DUPEFILTER_CLASS: import paths of a SeenStore and a Frontier. The
# defaults live inside the archive's index.sqlite3 (postcrawl/crawl_archive.py).
POSTCRAWL_SEEN_STORE = "postcrawl.seen.SqliteSeenStore"
POSTCRAWL_FRONTIER_STORE = "postcrawl.frontier.SqliteFrontier"

# --- Distributed mode (docs/distributed.md) ----------------------------------------------------
# redis://[:password@]host:6379/0 switches it on: shared request queues (scrapy-redis), the seen
# store and the frontier in Redis, items to a Redis stream that `postcrawl archiver` writes into
# the archive. Unset (the default): everything embedded, no server needed.
POSTCRAWL_REDIS_URL = os.environ.get("POSTCRAWL_REDIS_URL") or None
# A worker exits once its spiders' queues are empty, no worker holds a request of them and this
# many seconds have passed so (0: never exit).
POSTCRAWL_WORKER_IDLE_TIMEOUT = 10.0
# Workers and archivers beat this often; one silent for POSTCRAWL_HEARTBEAT_TTL seconds is dead
# (its requests go back to the queue, its stream entries to another archiver).
POSTCRAWL_HEARTBEAT_INTERVAL = 5.0
POSTCRAWL_HEARTBEAT_TTL = 30.0
# An idle worker looks at the shared queue this often (Scrapy's own poll is every 5 s).
POSTCRAWL_WORKER_POLL_INTERVAL = 0.25
# Requests a worker takes from the shared queue at a time (one Redis round trip).
POSTCRAWL_WORKER_PREFETCH = 4
# The archiver: stream entries read per batch; a dead archiver's entries are claimed after
# they have waited this many seconds unacknowledged; with nothing to do, no worker alive and
# every queue empty for POSTCRAWL_ARCHIVER_IDLE_TIMEOUT seconds it exits (unless --forever).
POSTCRAWL_ARCHIVER_BATCH = 50
POSTCRAWL_ARCHIVER_CLAIM_IDLE = 60.0
POSTCRAWL_ARCHIVER_IDLE_TIMEOUT = 10.0
# Workers write no WARC unless this names a folder on their own host (never the archive's).
POSTCRAWL_WARC_DIR = None

# --- Runtime --------------------------------------------------------------------------------
LOG_LEVEL = "INFO"
# Scrapy parses every callback's source for a `return value` in a generator, per response;
# the spiders have none, and the check costs CPU on the one reactor thread.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Scrapy starts this many asyncio tasks for every response with output (2.19), whatever the
# output; a callback here yields one article or one list page's requests, handled in order, so
# the default 100 cost ~100 task creations per article on the reactor thread for nothing.
CONCURRENT_ITEMS = 4
LOGSTATS_INTERVAL = 60.0  # progress line every minute
FEED_EXPORT_ENCODING = "utf-8"
