"""The one error the reader raises."""

from __future__ import annotations


class CorpusError(Exception):
    """The archive cannot be read as asked; ``str()`` is a one-line message for the user."""
