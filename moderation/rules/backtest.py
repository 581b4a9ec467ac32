"""Backtest: what every rule (shadow included) does on labelled history.

Per rule: hits, precision and recall against the truth for its reason, overlap with the other
rules, and how the rule layer's automation rate and block precision move if the rule is active
(for an active rule: with it versus without it). The rule layer alone is measured: a listing is
automated when rules decide block or approve; "block precision" is the share of rule-blocked
listings that are violations of any kind.
"""

from __future__ import annotations

import polars as pl

from moderation.rules.evaluate import rule_matches
from moderation.rules.ruleset import Rule, Ruleset

__all__ = ["backtest", "BACKTEST_COLUMNS"]

BACKTEST_COLUMNS = (
    "rule_id", "status", "action", "reason", "hits", "precision", "recall", "overlap",
    "top_overlap", "automation_delta", "block_precision_delta",
)


def _action(matches: pl.DataFrame, rules: list[Rule]) -> pl.Series:
    expr = pl.lit(None, dtype=pl.String)
    for name in ("approve", "review", "block"):
        ids = [r.id for r in rules if r.action == name]
        if ids:
            expr = pl.when(pl.any_horizontal([pl.col(i) for i in ids])).then(pl.lit(name)).otherwise(expr)
    return matches.select(expr.alias("a"))["a"] if matches.width else pl.Series("a", [None] * 0, pl.String)


def _layer(action: pl.Series, violation: pl.Series) -> tuple[float, float | None]:
    n = len(action)
    automated = action.is_in(["block", "approve"]).fill_null(False)
    blocked = (action == "block").fill_null(False)
    block_precision = (violation.filter(blocked) != "ok").mean() if blocked.any() else None
    return (automated.sum() / n if n else 0.0), block_precision


def backtest(ruleset: Ruleset, features: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """One row per active or shadow rule (BACKTEST_COLUMNS); ``truth``: listing_id, violation."""
    labelled = features.join(truth.select("listing_id", "violation"), on="listing_id", how="left",
                             maintain_order="left")
    violation = labelled["violation"].fill_null("ok")
    rules = list(ruleset.active + ruleset.shadow)
    matches = rule_matches(ruleset, labelled, tuple(rules))
    active = list(ruleset.active)
    rows = []
    for rule in rules:
        hit = matches[rule.id]
        hits = int(hit.sum())
        target = "ok" if rule.action == "approve" else rule.reason
        relevant = violation == target
        correct = int((hit & relevant).sum())
        others = [r.id for r in rules if r.id != rule.id]
        overlap_counts = {o: int((hit & matches[o]).sum()) for o in others}
        any_other = matches.select(pl.any_horizontal(others)).to_series() if others else hit & False
        top = max(overlap_counts, key=overlap_counts.get) if overlap_counts else None
        with_rule = [r for r in active if r.id != rule.id] + [rule]
        without_rule = [r for r in active if r.id != rule.id]
        auto_with, bp_with = _layer(_action(matches, with_rule), violation)
        auto_without, bp_without = _layer(_action(matches, without_rule), violation)
        rows.append({
            "rule_id": rule.id, "status": rule.status, "action": rule.action, "reason": rule.reason,
            "hits": hits,
            "precision": correct / hits if hits else None,
            "recall": correct / int(relevant.sum()) if relevant.any() else None,
            "overlap": int((hit & any_other).sum()) / hits if hits else None,
            "top_overlap": top if top and overlap_counts[top] else None,
            "automation_delta": auto_with - auto_without,
            "block_precision_delta": (bp_with - bp_without) if bp_with is not None and bp_without is not None else None,
        })
    schema = {
        "rule_id": pl.String, "status": pl.String, "action": pl.String, "reason": pl.String,
        "hits": pl.Int64, "precision": pl.Float64, "recall": pl.Float64, "overlap": pl.Float64,
        "top_overlap": pl.String, "automation_delta": pl.Float64, "block_precision_delta": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)
