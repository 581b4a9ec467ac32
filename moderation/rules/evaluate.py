"""Evaluating a ruleset over a feature batch: one vectorised pass, NULL never matches.

All conditions are computed in one ``select`` (Polars runs them in parallel); the list columns
are then built from those booleans with ``concat_list`` — no per-row Python.
"""

from __future__ import annotations

import polars as pl

from moderation.errors import InputSchemaError
from moderation.rules.ruleset import Rule, Ruleset

__all__ = ["evaluate", "rule_matches", "HITS_SCHEMA"]

HITS_SCHEMA: dict[str, pl.DataType] = {
    "rule_hits": pl.List(pl.String()),
    "shadow_hits": pl.List(pl.String()),
    "rule_action": pl.String(),
    "rule_reasons": pl.List(pl.String()),
}
_EMPTY = pl.lit([], dtype=pl.List(pl.String))


def _col(rule: Rule) -> str:
    return f"__rule__{rule.id}"


def _ids(rules: list[Rule] | tuple[Rule, ...], value) -> pl.Expr:
    """List of ``value(rule)`` for the rules that hit, in the given order."""
    if not rules:
        return _EMPTY
    return pl.concat_list(
        [pl.when(pl.col(_col(r))).then(pl.lit(value(r), dtype=pl.String)) for r in rules]
    ).list.drop_nulls()


def _check_columns(ruleset: Ruleset, features: pl.DataFrame, rules: tuple[Rule, ...]) -> None:
    needed = sorted({f for r in rules for f in r.compiled.fields})
    missing = [f for f in needed if f not in features.columns]
    if missing:
        raise InputSchemaError(
            f"the feature batch lacks field(s) {', '.join(missing)} that rules use; "
            "run moderation.features.add_features first"
        )


def rule_matches(ruleset: Ruleset, features: pl.DataFrame, rules: tuple[Rule, ...] | None = None) -> pl.DataFrame:
    """One boolean column per rule (named by rule id), NULL as false."""
    rules = rules if rules is not None else ruleset.active + ruleset.shadow
    _check_columns(ruleset, features, rules)
    if not rules:
        return pl.DataFrame(schema={}).with_columns(pl.lit(None).alias("_")).clear(features.height).drop("_")
    return features.select([r.compiled.expr.alias(r.id) for r in rules])


def evaluate(ruleset: Ruleset, features: pl.DataFrame) -> pl.DataFrame:
    """Per listing: active and shadow hits, the rule action and its reasons (HITS_SCHEMA)."""
    active, shadow = ruleset.active, ruleset.shadow
    _check_columns(ruleset, features, active + shadow)
    conditions = [r.compiled.expr.alias(_col(r)) for r in active + shadow]
    lazy = features.lazy().select(conditions) if conditions else features.lazy().select(pl.lit(0).alias("__n"))
    by_action = {a: [r for r in active if r.action == a] for a in ("block", "review", "approve")}

    def fired(rules: list[Rule]) -> pl.Expr:
        return pl.any_horizontal([pl.col(_col(r)) for r in rules]) if rules else pl.lit(False)

    action = pl.lit(None, dtype=pl.String)
    reasons = _EMPTY
    for name in ("approve", "review", "block"):  # built inside-out: block wins
        rules = by_action[name]
        if rules:
            action = pl.when(fired(rules)).then(pl.lit(name)).otherwise(action)
            reasons = pl.when(fired(rules)).then(
                _ids(rules, lambda r: r.reason).list.unique(maintain_order=True)
            ).otherwise(reasons)
    out = lazy.select(
        _ids(active, lambda r: r.id).alias("rule_hits"),
        _ids(shadow, lambda r: r.id).alias("shadow_hits"),
        action.alias("rule_action"),
        reasons.alias("rule_reasons"),
    ).collect()
    if out.height != features.height:  # only when there are no rules: literals broadcast to 1 row
        out = out.clear(features.height) if features.height == 0 else pl.concat([out] * features.height)
    return out.cast(HITS_SCHEMA)
