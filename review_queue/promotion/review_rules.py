"""Review rules reviewers keep deciding one way: automate the part they always block.

An active ``review`` rule sends every hit to people. When reviewers block nearly all of its cases
the check has earned a ``block`` twin (same condition, same reason); when they block only part of
them, a shallow tree over that rule's reviewed cases finds the part they block, written as
``(<the rule's condition>) AND <clauses>``. Both are ordinary candidates: measured, backtested and
judged like every other, and shadow until a person promotes them.

Rule conditions may use lists and text functions that a plain SQL expression cannot evaluate, so
membership of a listing in the review rule is carried as a boolean column (``rule_column``): it is
the measurable stand-in for the rule's condition, and ``Candidate.rule_condition`` holds what the
rule file says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from review_queue.promotion.evidence import Candidate
from review_queue.promotion.patterns import mine_patterns

__all__ = ["ReviewRule", "rule_column", "with_rule_columns", "review_rule_candidates"]


@dataclass(frozen=True)
class ReviewRule:
    id: str
    reason: str
    condition: str


def rule_column(rule_id: str) -> str:
    return f"review_rule__{rule_id}"


def with_rule_columns(frame: pl.DataFrame, rule_ids: Sequence[str], hits: pl.Series | None = None) -> pl.DataFrame:
    """One boolean column per review rule: did it hit the row (``hits``: rule ids per row; by
    default the frame's own ``rule_hits``)."""
    if hits is None:
        hits = frame["rule_hits"] if "rule_hits" in frame.columns else pl.Series([[]] * frame.height, dtype=pl.List(pl.String))
    return frame.with_columns([hits.list.contains(r).fill_null(False).alias(rule_column(r)) for r in rule_ids])


def review_rule_candidates(
    reviewed: pl.DataFrame,
    rules: Sequence[ReviewRule],
    fields: Mapping[str, str],
    *,
    stamp: str,
    min_cases: int = 30,
    twin_block_share: float = 0.98,
    min_support: int = 10,
    min_precision: float = 0.98,
) -> list[Candidate]:
    """Block twins and block sub-patterns of review rules (``reviewed`` has ``rule_column``s)."""
    out: list[Candidate] = []
    for rule in rules:
        column = rule_column(rule.id)
        if column not in reviewed.columns:
            continue
        cases = reviewed.filter(pl.col(column))
        if cases.height < min_cases:
            continue
        share = float((cases["decision"] == "block").mean())
        if share >= twin_block_share:
            out.append(Candidate(
                id=f"promoted_{stamp}_{rule.id}"[:58] + "_block", kind="pattern", reason_code=rule.reason,
                condition=column, rule_condition=rule.condition, action="block",
                origin=f"review rule {rule.id}: reviewers blocked {share:.1%} of its {cases.height} cases",
            ))
            continue
        for pattern in mine_patterns(cases, fields, reasons=[rule.reason], min_support=min_support,
                                     min_precision=min_precision):
            digest = hashlib.sha1(pattern.condition.encode()).hexdigest()[:6]
            out.append(Candidate(
                id=f"promoted_{stamp}_{rule.id}"[:57] + f"_{digest}", kind="pattern", reason_code=rule.reason,
                condition=f"{column} AND {pattern.condition}",
                rule_condition=f"({' '.join(rule.condition.split())}) AND {pattern.condition}", action="block",
                origin=f"review rule {rule.id}: the part of its cases reviewers block ({len(pattern.clauses)} clause(s))",
            ))
    return out
