"""Tabular features: price against the day's category median, seller history, text statistics.

Pure functions of a batch plus ``DayStats`` (figures computed once over the whole dump, so a
listing gets the same features whatever batch it lands in — local and Ray runs agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

__all__ = ["DayStats", "compute_day_stats", "add_tabular_features", "TABULAR_FEATURES"]

# Columns this module adds, with their meaning (rules/fields.yaml declares them for rules).
TABULAR_FEATURES: dict[str, str] = {
    "category_median_price": "median positive price of the listing's category in this dump",
    "price_ratio": "price / category_median_price (null without a price)",
    "seller_age_days": "days between the seller's registration and the listing",
    "title_len": "characters in the title",
    "description_len": "characters in the description",
    "digit_share": "share of digits among the characters of title + description",
    "upper_share": "share of upper-case letters among the letters of title + description",
    "exclamation_count": "number of '!' in title + description",
}


@dataclass(frozen=True)
class DayStats:
    """Per-dump reference figures. ``category_median_price`` maps category -> median price."""

    category_median_price: Mapping[str, float] = field(default_factory=dict)
    overall_median_price: float | None = None


def compute_day_stats(listings: pl.LazyFrame | pl.DataFrame) -> DayStats:
    """Median positive price per category (and overall) over the whole dump."""
    lazy = listings.lazy() if isinstance(listings, pl.DataFrame) else listings
    priced = lazy.select("category", "price").filter(pl.col("price") > 0)
    per_category = priced.group_by("category").agg(pl.col("price").median()).collect()
    overall = priced.select(pl.col("price").median()).collect().item()
    medians = {
        c: float(m)
        for c, m in zip(per_category["category"], per_category["price"], strict=True)
        if c is not None and m is not None
    }
    return DayStats(category_median_price=medians, overall_median_price=overall)


def add_tabular_features(batch: pl.DataFrame, stats: DayStats) -> pl.DataFrame:
    """Add the TABULAR_FEATURES columns; row order and existing columns are kept."""
    medians = pl.DataFrame(
        {
            "category": list(stats.category_median_price),
            "category_median_price": list(stats.category_median_price.values()),
        },
        schema={"category": pl.String, "category_median_price": pl.Float64},
    )
    text = pl.concat_str(["title", "description"], separator=" ", ignore_nulls=True)
    letters = text.str.count_matches(r"\p{L}")
    total_chars = text.str.len_chars()
    with_median = batch.join(medians, on="category", how="left", maintain_order="left")
    return with_median.with_columns(
        pl.col("category_median_price").fill_null(stats.overall_median_price),
    ).with_columns(
        price_ratio=pl.col("price") / pl.col("category_median_price"),
        seller_age_days=(pl.col("created_at") - pl.col("seller_registered_at")).dt.total_seconds()
        / 86_400.0,
        title_len=pl.col("title").str.len_chars().cast(pl.Int64),
        description_len=pl.col("description").str.len_chars().cast(pl.Int64),
        digit_share=(text.str.count_matches(r"\d") / total_chars).fill_nan(None),
        upper_share=(text.str.count_matches(r"\p{Lu}") / letters).fill_nan(None),
        exclamation_count=text.str.count_matches("!", literal=True).cast(pl.Int64),
    )
