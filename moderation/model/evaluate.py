"""Evaluation of a trained model on held-out rows: ranking quality, thresholds, per-reason recall.

Pure: arrays in, a flat ``{metric: value}`` dict out (what MLflow logs and the CLI prints).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, roc_auc_score

from moderation.model.thresholds import Thresholds

__all__ = ["ranking_metrics", "per_reason_recall", "system_metrics", "model_decisions"]


def ranking_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """ROC-AUC and PR-AUC (average precision); NaN when the rows hold a single class."""
    labels = np.asarray(labels).astype(int)
    if labels.min(initial=0) == labels.max(initial=0):
        return {"roc_auc": math.nan, "pr_auc": math.nan}
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
    }


def per_reason_recall(reasons: pl.Series, decisions: pl.Series) -> dict[str, float]:
    """Per violation code: share blocked automatically and share not approved automatically.

    ``reasons`` holds the true code per row ('ok' for clean rows), ``decisions`` approve/block/review.
    """
    frame = pl.DataFrame({"reason": reasons, "decision": decisions}).filter(
        pl.col("reason") != "ok"
    )
    per = frame.group_by("reason").agg(
        blocked=(pl.col("decision") == "block").mean(),
        caught=(pl.col("decision") != "approve").mean(),
        n=pl.len(),
    )
    out: dict[str, float] = {}
    for row in per.sort("reason").iter_rows(named=True):
        out[f"recall_block_{row['reason']}"] = float(row["blocked"])
        out[f"recall_caught_{row['reason']}"] = float(row["caught"])
    return out


def system_metrics(decisions: pl.Series, labels: np.ndarray) -> dict[str, float]:
    """Rules + model together: automation rate, block precision, violations among approvals."""
    labels = np.asarray(labels).astype(bool)
    d = decisions.to_numpy()
    block, approve = d == "block", d == "approve"

    def share(num: np.ndarray, den: np.ndarray) -> float:
        return float(num.sum() / den.sum()) if den.sum() else math.nan

    return {
        "system_automation_rate": float((block | approve).mean()) if d.size else math.nan,
        "system_block_precision": share(block & labels, block),
        "system_approve_violation_rate": share(approve & labels, approve),
        "system_review_rate": float((~(block | approve)).mean()) if d.size else math.nan,
    }


def model_decisions(scores: np.ndarray, thresholds: Thresholds) -> pl.Series:
    """The model's own call per row (no rules): approve / review / block."""
    scores = np.asarray(scores)
    out = np.where(
        scores >= thresholds.block_at,
        "block",
        np.where(scores < thresholds.approve_below, "approve", "review"),
    )
    return pl.Series("decision", out, dtype=pl.String)
