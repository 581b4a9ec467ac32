"""Features shared by rules, training and scoring: pure functions over a Polars batch."""

from __future__ import annotations

import polars as pl

from moderation.features.tabular import (
    TABULAR_FEATURES,
    DayStats,
    add_tabular_features,
    compute_day_stats,
)

__all__ = ["DayStats", "compute_day_stats", "add_features", "TABULAR_FEATURES"]


def add_features(batch: pl.DataFrame, stats: DayStats) -> pl.DataFrame:
    """Every derived field rules and the model use, added to a validated listing batch."""
    from moderation.features.native import scan_texts
    from moderation.features.text import add_text_features

    # One read of every text serves both (None without the native kernel: each computes its own).
    scanned = scan_texts(batch["title"], batch["description"])
    return add_text_features(add_tabular_features(batch, stats, scanned), scanned)
