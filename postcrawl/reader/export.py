"""Writing the corpus (or a filtered part) as JSONL, CSV or Parquet, batch by batch.

One row per article with the columns of :data:`postcrawl.reader.corpus.EXPORT_COLUMNS`. Values
are exactly the index's: ``attachments`` stays a JSON list as text, missing values are null
(empty cells in CSV). A file is written to a temporary name beside it and renamed when
complete, so an interrupted export never leaves a half-written file under the asked name.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from postcrawl.atomic import atomic_output
from postcrawl.reader.corpus import EXPORT_COLUMNS, CorpusError

FORMATS = ("jsonl", "csv", "parquet")
INTEGER_COLUMNS = frozenset({"paragraphs", "chars"})

Batches = Iterable[list[dict[str, Any]]]


def write_jsonl(batches: Batches, out: IO[str]) -> int:
    """One JSON object per line (UTF-8, not ASCII-escaped); returns the number of rows."""
    rows = 0
    for batch in batches:
        out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in batch)
        rows += len(batch)
    return rows


def write_csv(batches: Batches, out: IO[str]) -> int:
    """A header line, then one row per article; bodies keep their line breaks (quoted)."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    rows = 0
    for batch in batches:
        writer.writerows(batch)
        rows += len(batch)
    return rows


def parquet_schema() -> Any:
    """The Arrow schema of a Parquet export: strings, and int64 for the two counts."""
    import pyarrow as pa

    return pa.schema(
        [(c, pa.int64() if c in INTEGER_COLUMNS else pa.string()) for c in EXPORT_COLUMNS]
    )


def write_parquet(batches: Batches, out: IO[bytes]) -> int:
    """A Parquet file, one row group per batch (zstd), so memory holds one batch at a time."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise CorpusError("Parquet export needs pyarrow: pip install 'postcrawl[export]'") from None
    schema = parquet_schema()
    rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            rows += len(batch)
    return rows


def export(batches: Batches, fmt: str, out: Path | None, stdout: IO[str] | None = None) -> int:
    """Write *batches* in *fmt* to the file *out* (atomically) or, for jsonl/csv, to *stdout*
    when *out* is None. Returns the number of rows written."""
    if fmt not in FORMATS:
        raise CorpusError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if out is None:
            raise CorpusError("Parquet is binary: give a file with --out")
        with atomic_output(out, "wb") as fh:
            return write_parquet(batches, fh)
    writer = write_jsonl if fmt == "jsonl" else write_csv
    if out is None:
        if stdout is None:
            raise CorpusError("no output: give --out or a stream")
        return writer(batches, stdout)
    with atomic_output(out, "w") as fh:
        return writer(batches, fh)
