"""The decision policy: rule precedence first, then the model's two thresholds — pure.

block beats review beats approve. A rule decision stands on its own; without one, the fraud
score decides: at or above ``block_at`` block, below ``approve_below`` approve, the band between
goes to people. A rule approval that the model strongly contradicts goes to people too.
Shadow rules are only recorded, never consulted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from moderation.schema import DECISION_SCHEMA

__all__ = ["Thresholds", "decide", "MODEL_REASONS"]

# Reasons the system itself gives when the model, not a rule, decided.
MODEL_REASONS = {"block": "model_high_risk", "review": "model_uncertain", "approve": "ok"}


@dataclass(frozen=True)
class Thresholds:
    """Scores >= block_at are blocked, scores < approve_below approved, the rest reviewed."""

    approve_below: float
    block_at: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.approve_below <= self.block_at <= 1.0:
            raise ValueError(
                f"thresholds must satisfy 0 <= approve_below <= block_at <= 1. "
                f"Got approve_below={self.approve_below}, block_at={self.block_at} instead."
            )


def decide(
    hits: pl.DataFrame,
    fraud_score: np.ndarray | pl.Series,
    thresholds: Thresholds,
    *,
    listing_ids: pl.Series,
    run_id: str,
    model_version: str,
    ruleset_version: str,
) -> pl.DataFrame:
    """One decision row per listing (DECISION_SCHEMA), in the input order.

    ``hits`` is the rule engine's output: rule_hits, shadow_hits, rule_action, rule_reasons.
    """
    score = pl.Series("fraud_score", fraud_score, dtype=pl.Float64)
    frame = hits.select("rule_hits", "shadow_hits", "rule_action", "rule_reasons").with_columns(
        listing_ids.alias("listing_id"), score
    )
    action = pl.col("rule_action")
    model_says = (
        pl.when(pl.col("fraud_score") >= thresholds.block_at)
        .then(pl.lit("block"))
        .when(pl.col("fraud_score") < thresholds.approve_below)
        .then(pl.lit("approve"))
        .otherwise(pl.lit("review"))
    )
    rule_decides = action.is_in(["block", "review"]) | (
        (action == "approve") & (model_says != "block")
    )
    contested_approval = (action == "approve") & (model_says == "block")
    decision = (
        pl.when(rule_decides).then(action).when(contested_approval).then(pl.lit("review")).otherwise(model_says)
    )
    model_reason = pl.concat_list(
        pl.when(decision == "block").then(pl.lit(MODEL_REASONS["block"]))
        .when(decision == "review").then(pl.lit(MODEL_REASONS["review"]))
        .otherwise(pl.lit(MODEL_REASONS["approve"]))
    )
    reasons = (
        pl.when(rule_decides).then(pl.col("rule_reasons"))
        .when(contested_approval).then(pl.col("rule_reasons").list.concat(pl.lit(["model_high_risk"])))
        .otherwise(model_reason)
    )
    out = frame.with_columns(
        decision.alias("decision"),
        pl.when(rule_decides).then(pl.lit("rule")).otherwise(pl.lit("model")).alias("decided_by"),
        reasons.alias("reasons"),
        pl.lit(run_id).alias("run_id"),
        pl.lit(model_version).alias("model_version"),
        pl.lit(ruleset_version).alias("ruleset_version"),
    )
    return out.select(list(DECISION_SCHEMA)).cast(DECISION_SCHEMA)
