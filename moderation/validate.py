"""Validation of a raw batch against the listing contract — pure, vectorised.

Every row either becomes a typed listing or a quarantine record with exactly one reason (the
first check it fails, in the order below), so rows in = accepted + quarantined, always.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from moderation.schema import LISTING_COLUMNS, OPTIONAL_COLUMNS, QUARANTINE_SCHEMA

__all__ = ["Limits", "DuplicateIndex", "duplicate_index", "validate_batch", "ROW_NUMBER"]

ROW_NUMBER = "_row_number"

# Required text fields that must be present (description may be empty, but not missing).
_MUST_BE_PRESENT = ("seller_id", "created_at", "category", "title", "description", "region")
_TEXT_FIELDS = ("title", "description")
_NON_NEGATIVE = ("price", "seller_listing_count", "seller_past_blocks", "photo_count")


@dataclass(frozen=True)
class Limits:
    """Bounds past which a value is absurd rather than unusual."""

    max_title_chars: int = 300
    max_description_chars: int = 20_000
    max_price: float = 1e11  # roubles; a whole business centre costs less


@dataclass(frozen=True)
class DuplicateIndex:
    """For ids that occur more than once in a dump: the row number of their first occurrence."""

    first_row: pl.DataFrame  # columns listing_id, _first_row


def duplicate_index(ids: pl.LazyFrame) -> DuplicateIndex:
    """Pre-pass over the dump's ``listing_id`` column (row order = file order)."""
    first = (
        ids.select(pl.col("listing_id").cast(pl.String))
        .with_row_index("_first_row")
        .filter(pl.col("listing_id").is_duplicated())
        .group_by("listing_id")
        .agg(pl.col("_first_row").min().cast(pl.Int64))
        .collect()
    )
    return DuplicateIndex(first_row=first)


def _coerce(raw: pl.Expr, target: pl.DataType, source: pl.DataType) -> pl.Expr:
    """Cast a raw column to its contract type; values that do not fit become null."""
    if source == target:
        return raw
    if isinstance(target, pl.Datetime):
        if source == pl.String:
            text = raw.str.strip_chars()
            return pl.coalesce(
                text.str.to_datetime(strict=False, time_unit="us"),
                text.str.to_datetime(strict=False, time_unit="us", time_zone="UTC")
                .dt.replace_time_zone(None),
            )
        if isinstance(source, pl.Datetime) and source.time_zone is not None:
            return raw.dt.convert_time_zone("UTC").dt.replace_time_zone(None).dt.cast_time_unit("us")
        return raw.cast(target, strict=False)
    if source == pl.String and target != pl.String:
        text = raw.str.strip_chars()
        return pl.when(text != "").then(text).cast(target, strict=False)
    return raw.cast(target, strict=False)


def _type_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return "a timestamp (ISO 8601)"
    if dtype == pl.Float64:
        return "a number"
    if dtype == pl.Int64:
        return "a whole number"
    return "text"


def validate_batch(
    raw: pl.DataFrame,
    *,
    source_file: str,
    row_offset: int,
    duplicates: DuplicateIndex | None = None,
    limits: Limits = Limits(),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a raw batch into (listings typed as the contract, quarantine records).

    Extra columns are passed through untouched; missing optional columns are added as nulls.
    """
    frame = raw.with_row_index(ROW_NUMBER, offset=row_offset).with_columns(
        pl.col(ROW_NUMBER).cast(pl.Int64)
    )
    for name, dtype in OPTIONAL_COLUMNS.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))

    typed = {
        name: _coerce(pl.col(name), dtype, frame.schema[name]).alias(name)
        for name, dtype in LISTING_COLUMNS.items()
    }
    checks: list[pl.Expr] = []
    listing_id = pl.col("listing_id").cast(pl.String)
    checks.append(
        pl.when(listing_id.is_null() | (listing_id.str.strip_chars() == ""))
        .then(pl.lit("listing_id: missing"))
    )
    if duplicates is not None and duplicates.first_row.height:
        frame = frame.join(
            duplicates.first_row, left_on=listing_id, right_on="listing_id", how="left",
            maintain_order="left", suffix="_dup",
        )
        checks.append(
            pl.when(pl.col("_first_row").is_not_null() & (pl.col("_first_row") != pl.col(ROW_NUMBER)))
            .then(pl.format("listing_id: duplicate of row {}", pl.col("_first_row")))
        )
    for name in _MUST_BE_PRESENT:
        checks.append(pl.when(pl.col(name).is_null()).then(pl.lit(f"{name}: missing")))
    for name, dtype in LISTING_COLUMNS.items():
        present = pl.col(name).is_not_null()
        if frame.schema[name] == pl.String and dtype != pl.String:
            present = present & (pl.col(name).str.strip_chars() != "")  # blank = missing
        checks.append(
            pl.when(present & typed[name].is_null())
            .then(pl.format(f"{name}: expected {_type_name(dtype)}, got '{{}}'",
                            pl.col(name).cast(pl.String).str.slice(0, 60)))
        )
    for name in _NON_NEGATIVE:
        checks.append(
            pl.when(typed[name] < 0).then(pl.format(f"{name}: negative ({{}})", typed[name]))
        )
    checks.append(
        pl.when(typed["price"] > limits.max_price)
        .then(pl.format(f"price: absurd ({{}} > {limits.max_price:.0f})", typed["price"]))
    )
    checks.append(
        pl.when(~typed["price"].is_finite() & typed["price"].is_not_null())
        .then(pl.lit("price: not a finite number"))
    )
    for name, most in (("title", limits.max_title_chars), ("description", limits.max_description_chars)):
        length = typed[name].str.len_chars()
        checks.append(
            pl.when(length > most).then(pl.format(f"{name}: too long ({{}} chars, max {most})", length))
        )
    checks.append(
        pl.when(typed["title"].str.strip_chars() == "").then(pl.lit("title: empty"))
    )
    for name in _TEXT_FIELDS:
        # U+FFFD marks bytes that were not valid UTF-8; C0 controls other than \t\n\r never occur in text.
        checks.append(
            pl.when(typed[name].str.contains(r"[\x{FFFD}\x00-\x08\x0B\x0C\x0E-\x1F]"))
            .then(pl.lit(f"{name}: broken text (invalid bytes or control characters)"))
        )

    frame = frame.with_columns(pl.coalesce(checks).alias("_reason"))
    bad = frame.filter(pl.col("_reason").is_not_null())
    good = frame.filter(pl.col("_reason").is_null())

    extra = [c for c in raw.columns if c not in LISTING_COLUMNS]
    listings = good.select(*typed.values(), *extra)
    quarantine = bad.select(
        pl.lit(source_file).alias("source_file"),
        pl.col(ROW_NUMBER).alias("row_number"),
        listing_id.alias("listing_id"),
        pl.col("_reason").alias("reason"),
        pl.struct([pl.col(c).cast(pl.String) for c in raw.columns]).struct.json_encode().alias("row_json"),
    ).cast(QUARANTINE_SCHEMA)
    return listings, quarantine
