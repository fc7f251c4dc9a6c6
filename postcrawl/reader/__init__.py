"""Reading an archive: counts, search, one article with its provenance, exports, plots.

Plain modules with no printing; the ``postcrawl stats|search|show|export|plot`` commands
(:mod:`postcrawl.cli`) parse arguments and format what these return. pyarrow and matplotlib
(the ``export`` extra) are imported only by the functions that need them.
"""

from postcrawl.reader.corpus import (
    EXPORT_COLUMNS,
    ArticleView,
    Corpus,
    CorpusError,
    Filters,
    Hit,
    MonthlyCounts,
    Sighting,
    Snippet,
    Stats,
    query_terms,
)

__all__ = [
    "EXPORT_COLUMNS",
    "ArticleView",
    "Corpus",
    "CorpusError",
    "Filters",
    "Hit",
    "MonthlyCounts",
    "Sighting",
    "Snippet",
    "Stats",
    "query_terms",
]
