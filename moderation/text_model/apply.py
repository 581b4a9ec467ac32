"""Re-scoring the uncertain band with the text stage — pure (frames and a loaded stage in, frame out).

Only the rows the fraud model left to people (``decision == "review"``, ``decided_by == "model"``,
reason ``model_uncertain``) are scored; rule decisions and contested rule approvals are never
touched. A band row becomes a block or an approval only where the stage's thresholds (chosen for
its own measured precision) allow; the rest stay in review. Every row the stage scored records
it in ``model_version`` ("fraud/3+text/1"), so each decision stays traceable.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import polars as pl

from moderation.text_model.texts import listing_texts
from moderation.text_model.thresholds import TextThresholds

__all__ = ["apply_text_stage", "band_mask", "TEXT_REASON_BLOCK"]

TEXT_REASON_BLOCK = "text_model_high_risk"


class _Stage(Protocol):
    thresholds: TextThresholds
    version: str

    def predict_proba(self, texts: list[str]) -> np.ndarray: ...


def band_mask(decisions: pl.DataFrame) -> pl.Series:
    """True for the rows the fraud model sent to people as uncertain (the text stage's input)."""
    return decisions.select(
        (
            (pl.col("decision") == "review")
            & (pl.col("decided_by") == "model")
            & pl.col("reasons").list.contains("model_uncertain")
        ).fill_null(False)
    ).to_series()


def apply_text_stage(
    decisions: pl.DataFrame, features: pl.DataFrame, stage: _Stage
) -> pl.DataFrame:
    """``decisions`` with band rows resolved where the text stage may decide; same schema and order.

    ``features`` is the batch the decisions were made on, row-aligned with ``decisions`` (as
    ``score_batch`` returns them); it must hold ``title`` and ``description``.
    """
    if decisions.height != features.height:
        raise ValueError(
            f"decisions and features must be row-aligned. Got {decisions.height} decision rows "
            f"and {features.height} feature rows instead."
        )
    if "listing_id" in features.columns and not decisions["listing_id"].equals(
        features["listing_id"]
    ):
        raise ValueError(
            "decisions and features must be in the same listing order (listing_id differs)."
        )
    th = stage.thresholds
    if th.block_at is None and th.approve_below is None:
        return decisions  # a stage that may decide nothing costs nothing and records nothing
    band = band_mask(decisions)
    if not band.any():
        return decisions
    idx = np.flatnonzero(band.to_numpy())
    texts = listing_texts(features[idx])
    violation = np.asarray(stage.predict_proba(texts))[:, 1]

    text_says = np.full(idx.size, "review", dtype=object)
    if th.approve_below is not None:
        text_says[violation < th.approve_below] = "approve"
    if th.block_at is not None:
        text_says[violation >= th.block_at] = "block"

    new_decision: list[str | None] = [None] * decisions.height
    for i, said in zip(idx.tolist(), text_says.tolist(), strict=True):
        new_decision[i] = said
    scored = band.alias("_text_scored")
    new = pl.Series("_text_decision", new_decision, dtype=pl.String)
    reasons = (
        pl.when(pl.col("_text_decision") == "block").then(pl.lit([TEXT_REASON_BLOCK]))
        .when(pl.col("_text_decision") == "approve").then(pl.lit(["ok"]))
        .otherwise(pl.col("reasons"))
    )  # fmt: skip
    out = decisions.with_columns(scored, new).with_columns(
        pl.coalesce("_text_decision", "decision").alias("decision"),
        reasons.alias("reasons"),
        pl.when("_text_scored")
        .then(pl.concat_str([pl.col("model_version").fill_null(""), pl.lit("+" + stage.version)]))
        .otherwise(pl.col("model_version"))
        .alias("model_version"),
    )
    return out.select(decisions.columns).cast(decisions.schema)
