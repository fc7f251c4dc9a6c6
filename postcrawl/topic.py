"""The topic filter: whether an article from a general news site is about posts and parcels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from postcrawl.chinese_text import to_simplified


def matched_keyword(title: str, paragraphs: Iterable[str], keywords: Sequence[str]) -> str | None:
    """The first of *keywords* that the title or body names (in simplified Chinese), or
    ``None``. An empty keyword list matches everything (sites that are all on topic)."""
    if not keywords:
        return ""
    text = to_simplified(title + "\n" + "\n".join(paragraphs))
    for word in keywords:
        if word in text:
            return word
    return None
