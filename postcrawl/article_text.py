"""An extracted article made archive text: :mod:`postcrawl.chinese_text` applied to its title
and paragraphs, and its body hash set (the pipeline step is ``pipelines/normalize.py``)."""

from __future__ import annotations

from dataclasses import replace

from postcrawl.chinese_text import (
    body_hash,
    clean_line,
    clean_paragraphs,
    is_traditional,
    normalized_body,
)
from postcrawl.extraction import Extracted, ExtractionError


def normalize_extracted(article: Extracted) -> Extracted:
    """A copy of *article* in the archive's form, with ``normalized_body`` and ``body_hash`` set.

    The page is converted to simplified Chinese only when it is written in traditional (the
    title and body decide); the hash always covers the simplified text, so the traditional and
    simplified renderings of one article hash the same.
    """
    traditional = is_traditional(article.title + "".join(article.paragraphs))

    def field(value: str | None) -> str | None:
        if not value:
            return value
        cleaned = clean_paragraphs([value], simplify=traditional)
        return cleaned[0] if cleaned else None

    paragraphs = clean_paragraphs(article.paragraphs, simplify=traditional)
    normalized = normalized_body(paragraphs)
    if not normalized:
        raise ExtractionError("the article body is empty after normalization", "no-text")
    return replace(
        article,
        title=field(clean_line(article.title)) or article.title,
        paragraphs=paragraphs,
        source=field(article.source),
        author=field(article.author),
        forwarded_from=field(article.forwarded_from),
        normalized_body=normalized,
        body_hash=body_hash(normalized),
    )
