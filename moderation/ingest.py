"""Reading dumps (Parquet, CSV, JSONL) in batches — the I/O edge of a daily run.

Columns arrive as stored (Parquet) or as text (CSV/JSONL) so that one malformed value costs one
quarantined row, not the whole file; ``moderation.validate`` casts them to the contract types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from moderation.errors import InputSchemaError
from moderation.schema import REQUIRED_COLUMNS

__all__ = ["Dump", "open_dump", "FORMATS", "fingerprint"]

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class Dump:
    """One input file whose header passed the contract check."""

    path: Path
    format: str
    columns: tuple[str, ...]
    num_rows: int | None  # known up front for Parquet only

    def scan(self) -> pl.LazyFrame:
        """The whole dump as a lazy frame, for cheap pre-passes over a few columns."""
        if self.format == "parquet":
            return pl.scan_parquet(self.path)
        if self.format == "csv":
            return pl.scan_csv(self.path, infer_schema=False, encoding="utf8-lossy")
        return pl.scan_ndjson(self.path, schema={c: pl.String for c in self.columns})

    def batches(self, batch_size: int) -> Iterator[tuple[int, pl.DataFrame]]:
        """Yield ``(row_offset, raw_batch)`` in file order; memory stays bounded by batch_size."""
        offset = 0
        for batch in self._raw_batches(batch_size):
            if batch.height:
                yield offset, batch
                offset += batch.height

    def _raw_batches(self, batch_size: int) -> Iterator[pl.DataFrame]:
        if self.format == "parquet":
            for record_batch in pq.ParquetFile(self.path).iter_batches(batch_size=batch_size):
                yield pl.from_arrow(record_batch)
        elif self.format == "csv":
            reader = pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(block_size=1 << 24, encoding="utf8"),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in self.columns},
                    strings_can_be_null=True,
                ),
            )
            pending: list[pl.DataFrame] = []
            rows = 0
            for record_batch in reader:
                pending.append(pl.from_arrow(record_batch))
                rows += record_batch.num_rows
                if rows >= batch_size:
                    merged = pl.concat(pending)
                    for start in range(0, merged.height - merged.height % batch_size, batch_size):
                        yield merged.slice(start, batch_size)
                    rest = merged.height % batch_size
                    pending, rows = ([merged.slice(merged.height - rest)] if rest else []), rest
            if pending:
                yield pl.concat(pending)
        else:
            whole = self.scan().collect()
            for start in range(0, whole.height, batch_size):
                yield whole.slice(start, batch_size)


def _read_columns(path: Path, fmt: str) -> tuple[tuple[str, ...], int | None]:
    try:
        if fmt == "parquet":
            meta = pq.ParquetFile(path)
            return tuple(meta.schema_arrow.names), meta.metadata.num_rows
        if fmt == "csv":
            return tuple(pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy").collect_schema().names()), None
        columns: dict[str, None] = {}
        with path.open("rb") as fh:
            for _, line in zip(range(1000), fh, strict=False):
                line = line.strip()
                if line:
                    columns.update(dict.fromkeys(pl.read_ndjson(line).columns))
        return tuple(columns), None
    except (OSError, pl.exceptions.PolarsError, pa.ArrowException) as exc:
        raise InputSchemaError(f"{path}: cannot read as {fmt}: {exc}") from exc


def open_dump(path: str | Path) -> Dump:
    """Open a dump and check its header: every required column present, or fail naming them all."""
    path = Path(path)
    if not path.is_file():
        raise InputSchemaError(f"{path}: no such file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputSchemaError(
            f"{path}: unknown format {path.suffix!r}; expected one of {', '.join(sorted(FORMATS))}"
        )
    columns, num_rows = _read_columns(path, fmt)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputSchemaError(
            f"{path}: missing required column(s) {', '.join(missing)}; "
            f"a dump needs {', '.join(REQUIRED_COLUMNS)} (found: {', '.join(columns) or 'none'})"
        )
    return Dump(path=path, format=fmt, columns=columns, num_rows=num_rows)


def fingerprint(path: Path) -> str:
    """Content hash of a file: the same dump always gets the same run id."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
