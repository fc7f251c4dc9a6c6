"""Small helpers for what postcrawl prints to people."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 article``, ``2 articles``: *count* with *noun* in the number it needs (plural: *noun*
    + "s" unless *plural_form* is given)."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"
