"""Evaluating a ruleset over a feature batch: one vectorised pass, NULL never matches.

All conditions are computed in one ``select`` (Polars runs them in parallel); the list columns
come from a small table keyed by the combination of rules that hit — no per-row Python.
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


def _col(rule: Rule) -> str:
    return f"__rule__{rule.id}"


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


_CHUNK = 63  # rules per UInt64 hit code


def _outcome(hit: list[Rule]) -> tuple[list[str], list[str], str | None, list[str]]:
    """Hits of one combination of rules -> (active ids, shadow ids, action, reasons)."""
    active = sorted((r for r in hit if r.status == "active"), key=lambda r: r.sort_key)
    shadow = sorted((r for r in hit if r.status == "shadow"), key=lambda r: r.sort_key)
    action = next((r.action for r in active if r.action != "flag"), None)
    reasons = list(dict.fromkeys(r.reason for r in active if r.action == action)) if action else []
    return [r.id for r in active], [r.id for r in shadow], action, reasons


def _codes(frame: pl.DataFrame, chunks: list[tuple[Rule, ...]], keys: list[str],
           exprs: dict[str, pl.Expr]) -> pl.DataFrame:
    """One UInt64 per chunk of rules and row: bit i set when rule i of the chunk hits."""
    return frame.lazy().with_columns(exprs[r.id].alias(_col(r)) for chunk in chunks for r in chunk).select(
        pl.sum_horizontal(
            [pl.col(_col(r)).cast(pl.UInt64) * pl.lit(1 << bit, dtype=pl.UInt64) for bit, r in enumerate(chunk)]
        ).alias(key)
        for key, chunk in zip(keys, chunks, strict=True)
    ).collect()


_SLICE_ROWS = 100_000


def _in_slices(frame: pl.DataFrame, expr: pl.Expr) -> pl.DataFrame:
    """``frame.select(expr)``, a large frame cut into row slices computed in parallel.

    (One string expression over one column runs on one core.)"""
    workers = min(pl.thread_pool_size(), frame.height // _SLICE_ROWS)
    if workers <= 1:
        return frame.select(expr)
    bounds = [frame.height * i // workers for i in range(workers + 1)]
    lazy = frame.lazy()
    parts = pl.collect_all([lazy.slice(a, b - a).select(expr) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    return pl.concat(parts, rechunk=False)


def _hit_codes(features: pl.DataFrame, chunks: list[tuple[Rule, ...]], keys: list[str]) -> pl.DataFrame:
    """Hit codes of every row, phrase searches done once.

    Most conditions search text fields for phrase lists (one regex pass each). One Aho-Corasick
    pass over each such field finds the rows containing any of those phrases; the full
    conditions run on those rows only, and every other row gets the condition with its phrase
    searches false (``Compiled.expr_without_needles``) — the same hits, far fewer passes.
    """
    rules = [r for chunk in chunks for r in chunk]
    full = {r.id: r.compiled.expr for r in rules}
    needles: dict[str, set[str]] = {}
    for r in rules:
        for name, found in r.compiled.needles.items():
            needles.setdefault(name, set()).update(found)
    if not needles:
        return _codes(features, chunks, keys, full)
    absent = {r.id: r.compiled.expr_without_needles if r.compiled.needles else r.compiled.expr for r in rules}
    # A NULL field is a candidate too: its regexp_like is NULL there, not false.
    candidate = pl.any_horizontal(
        pl.col(name).is_null() | pl.col(name).str.contains_any(sorted(found)) for name, found in needles.items()
    )
    needed = sorted({f for r in rules for f in r.compiled.fields})
    narrow = features.select(needed)
    rows = _in_slices(narrow, candidate.alias("c")).to_series().arg_true()
    # with_columns broadcasts conditions that became literals (FALSE) to the frame's height.
    base = _codes(narrow, chunks, keys, absent)
    if rows.len() == 0:
        return base
    hits = _codes(narrow[rows], chunks, keys, full)
    return base.with_columns(base[key].scatter(rows, hits[key]) for key in keys)


def evaluate(ruleset: Ruleset, features: pl.DataFrame) -> pl.DataFrame:
    """Per listing: active and shadow hits, the rule action and its reasons (HITS_SCHEMA).

    All conditions run in one ``select`` (Polars evaluates them in parallel). Each row's hits are
    then packed into an integer code (bit i = rule i hit); a day has only a few hundred distinct
    codes, so the list columns are built once per distinct code and joined back — the same result
    as ``concat_list`` per row at a fraction of the cost. NULL conditions count as false.
    """
    active, shadow = ruleset.active, ruleset.shadow
    rules = active + shadow
    _check_columns(ruleset, features, rules)
    if not rules or features.height == 0:
        empty = pl.Series([[]] * features.height, dtype=pl.List(pl.String))
        return pl.DataFrame({"rule_hits": empty, "shadow_hits": empty,
                             "rule_action": pl.Series([None] * features.height, dtype=pl.String),
                             "rule_reasons": empty}).cast(HITS_SCHEMA)
    chunks = [rules[i : i + _CHUNK] for i in range(0, len(rules), _CHUNK)]
    keys = [f"__code{n}" for n in range(len(chunks))]
    codes = _hit_codes(features, chunks, keys)
    distinct = codes.unique()
    table = {key: distinct[key].to_list() for key in keys}
    outcomes = [
        _outcome([r for n, chunk in enumerate(chunks) for bit, r in enumerate(chunk) if combo[n] >> bit & 1])
        for combo in zip(*table.values(), strict=True)
    ]
    lookup = pl.DataFrame({
        **{key: pl.Series(values, dtype=pl.UInt64) for key, values in table.items()},
        "rule_hits": pl.Series([o[0] for o in outcomes], dtype=pl.List(pl.String)),
        "shadow_hits": pl.Series([o[1] for o in outcomes], dtype=pl.List(pl.String)),
        "rule_action": pl.Series([o[2] for o in outcomes], dtype=pl.String),
        "rule_reasons": pl.Series([o[3] for o in outcomes], dtype=pl.List(pl.String)),
    })
    out = codes.join(lookup, on=keys, how="left", maintain_order="left")
    return out.select(list(HITS_SCHEMA)).cast(HITS_SCHEMA)
