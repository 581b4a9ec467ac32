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


def add_features(batch: pl.DataFrame, stats: DayStats | None = None) -> pl.DataFrame:
    """Every derived field rules and the model use, added to a validated listing batch.

    ``stats``: the day's figures (``compute_day_stats`` over the whole day); None when the batch
    is the whole day, whose figures are then computed from it in the same read of the texts.
    """
    from moderation.features.native import scan_texts
    from moderation.features.tabular import FINGERPRINT_SCAN
    from moderation.features.text import add_text_features

    # One read of every text serves them all (None without the native kernel: each reads its own).
    scanned = scan_texts(batch["title"], batch["description"], FINGERPRINT_SCAN if stats is None else None)
    if stats is None:
        stats = compute_day_stats(batch, scanned=scanned)
    return add_text_features(add_tabular_features(batch, stats, scanned), scanned)
