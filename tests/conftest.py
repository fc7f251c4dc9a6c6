"""Shared test helpers: the saved fixture pages and their expected extractions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Tests do not time things (benchmarks do): no per-example deadline.
settings.register_profile("postcrawl", deadline=None, print_blob=True)
settings.load_profile("postcrawl")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = ROOT / "seeds"


@dataclass(frozen=True)
class Fixture:
    """A saved page and what a correct extractor makes of it."""

    html: Path
    expected: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.html.parent.name}/{self.html.stem}"

    @property
    def url(self) -> str:
        return str(self.expected["url"])


def page_fixtures() -> list[Fixture]:
    """Every ``tests/fixtures/<site>/<name>.html`` that has a ``<name>.json`` beside it."""
    out = []
    for html in sorted(FIXTURES.glob("*/*.html")):
        expected = html.with_suffix(".json")
        if expected.exists():
            out.append(Fixture(html, json.loads(expected.read_text(encoding="utf-8"))))
    return out


def fixture_named(site: str, stem: str) -> Fixture:
    for fx in page_fixtures():
        if fx.html.parent.name == site and fx.html.stem == stem:
            return fx
    raise LookupError(f"no fixture {site}/{stem}")


@pytest.fixture
def archive_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    return root
