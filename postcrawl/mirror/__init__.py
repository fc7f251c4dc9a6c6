"""Local mirrors of the target sites, served over real HTTP on 127.0.0.1 (tests, demos, benchmarks)."""

from postcrawl.mirror.server import MirrorServer, Route

__all__ = ["MirrorServer", "Route"]
