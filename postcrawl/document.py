"""The article file format (docs/archive-format.md, "One article file"): render and parse."""

from __future__ import annotations

from dataclasses import dataclass

META_SEPARATOR = " - "


@dataclass(frozen=True)
class Document:
    """The content of one archive text file."""

    title: str
    published: str | None
    source: str
    paragraphs: tuple[str, ...]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render(doc: Document) -> str:
    """The file text: title, blank, ``<date> - <source>``, blank, paragraphs; one final newline.

    An undated article's meta line is the source alone.
    """
    meta = _one_line(doc.source)
    if doc.published:
        meta = f"{doc.published}{META_SEPARATOR}{meta}"
    blocks = [_one_line(doc.title), meta, *(_one_line(p) for p in doc.paragraphs if p.strip())]
    return "\n\n".join(blocks) + "\n"


def parse(text: str) -> Document:
    """Read a file written by :func:`render`; raises ``ValueError`` on anything else."""
    blocks = text.rstrip("\n").split("\n\n")
    if len(blocks) < 3 or any("\n" in b for b in blocks):
        raise ValueError("not an archive article: expected title, meta line and paragraphs")
    title, meta, *paragraphs = blocks
    published: str | None = None
    source = meta
    head, sep, tail = meta.partition(META_SEPARATOR)
    if sep and head[:4].isdigit() and head[4:5] == "-":
        published, source = head, tail
    return Document(title=title, published=published, source=source, paragraphs=tuple(paragraphs))
