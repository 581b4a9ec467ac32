"""Turning a rule's examples (field -> value) into a feature frame, and checking them.

A policy person writes an example as a listing: ``description: "пишите в вотсап ..."``. The
derived fields are computed from the raw ones through the real feature code; a derived field may
also be set directly (``price_ratio: 0.1``) and then wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from moderation.rules.compile import polars_dtype
from moderation.rules.model import FieldSpec

__all__ = ["ExampleValueError", "coerce_value", "complete_fields", "example_frame"]

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "float": (int, float),
    "int": (int,),
    "bool": (bool,),
    "datetime": (dt.datetime, dt.date),
}


class ExampleValueError(ValueError):
    """An example value does not fit its field's declared type."""


def coerce_value(name: str, type_name: str, value: Any) -> Any:
    """Check one example value against the declared type (None is always allowed)."""
    if value is None:
        return None
    ok = _PY_TYPES[type_name]
    if isinstance(value, bool) and type_name in {"float", "int"}:
        ok = ()
    if type_name == "datetime" and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    if not isinstance(value, ok):
        raise ExampleValueError(
            f"`{name}` must be a {type_name}. Got {value!r} ({type(value).__name__}) instead."
        )
    if type_name == "datetime" and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if type_name == "float":
        return float(value)
    return value


def complete_fields(df: pl.DataFrame, fields: Mapping[str, FieldSpec]) -> pl.DataFrame:
    """Add every declared field missing from ``df`` as a typed null column."""
    missing = [
        pl.lit(None, dtype=polars_dtype(spec.type)).alias(name)
        for name, spec in fields.items()
        if name not in df.columns
    ]
    return df.with_columns(missing) if missing else df


def example_frame(rows: Sequence[Mapping[str, Any]], fields: Mapping[str, FieldSpec]) -> pl.DataFrame:
    """Feature frame for examples: raw fields given, derived fields computed, explicit values win."""
    from moderation.features.tabular import DayStats, add_tabular_features
    from moderation.features.text import add_text_features

    raw = {n: s for n, s in fields.items() if s.source == "listing"}
    schema = {n: polars_dtype(s.type) for n, s in raw.items()}
    data = {n: [row.get(n) for row in rows] for n in raw}
    frame = pl.DataFrame(data, schema=schema)
    # No dump here: the category median is whatever the example says (else null).
    medians = {
        row["category"]: float(row["category_median_price"])
        for row in rows
        if row.get("category") is not None and row.get("category_median_price") is not None
    }
    stats = DayStats(category_median_price=medians, overall_median_price=float("nan"))
    frame = add_text_features(add_tabular_features(frame, stats)).with_columns(
        pl.col("category_median_price", "price_ratio").fill_nan(None)
    )
    overrides = []
    for name, spec in fields.items():
        if spec.source != "listing" and any(name in row for row in rows):
            values = [row.get(name) for row in rows]
            given = pl.Series(name, values, dtype=polars_dtype(spec.type))
            computed = frame[name] if name in frame.columns else pl.Series(name, [None] * len(rows))
            mask = pl.Series([name in row for row in rows])
            overrides.append(
                pl.when(pl.lit(mask)).then(pl.lit(given)).otherwise(pl.lit(computed.cast(given.dtype))).alias(name)
            )
    if overrides:
        frame = frame.with_columns(overrides)
    if "price" in {k for row in rows for k in row} and not any("price_ratio" in r for r in rows):
        frame = frame.with_columns(
            (pl.col("price") / pl.col("category_median_price")).alias("price_ratio")
        )
    return complete_fields(frame, fields)
