"""From reviewer decisions to judged candidates: mine entities and patterns, measure, backtest,
judge. Pure: frames in, candidates out (the runner in pipelines/suggest.py does the I/O).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

import polars as pl

from review_queue.promotion.entities import mine_entities
from review_queue.promotion.evidence import (
    Candidate,
    Criteria,
    backtest,
    entity_condition,
    judge,
    measure,
    with_phone_norm,
)
from review_queue.promotion.patterns import mine_patterns
from review_queue.promotion.review_rules import ReviewRule, review_rule_candidates

__all__ = ["EntityCriteria", "propose", "list_group"]

# Entities of these kinds share one list per reason (phrases: handles, e-mails, links, texts).
_GROUP = {"phone": "phones", "seller": "sellers", "handle": "phrases", "email": "phrases",
          "link": "phrases", "text": "phrases"}


class EntityCriteria:
    """What one recurring entity must show before it is even grouped into a list candidate.

    Blocked entities: ``min_cases`` cases, at most ``max_approvals`` approvals, every block for
    the same reason. Trusted sellers (approve list): ``min_approvals_ok`` approvals over
    ``min_days_ok`` days and never a block.
    """

    def __init__(self, min_cases: int = 3, max_approvals: int = 0, min_block_share: float = 1.0,
                 min_approvals_ok: int = 3, min_days_ok: int = 2) -> None:
        self.min_cases, self.max_approvals, self.min_block_share = min_cases, max_approvals, min_block_share
        self.min_approvals_ok, self.min_days_ok = min_approvals_ok, min_days_ok


def list_group(kind: str) -> str:
    return _GROUP[kind]


def _entity_candidates(entities: pl.DataFrame, crit: EntityCriteria, known: set[str], stamp: str) -> tuple[list[Candidate], pl.DataFrame]:
    blocked = (
        (pl.col("blocks") > 0)
        & (pl.col("cases") >= crit.min_cases)
        & (pl.col("approvals") <= crit.max_approvals)
        & (pl.col("same_reason") >= crit.min_block_share * pl.col("blocks"))
    )
    trusted = (
        (pl.col("kind") == "seller") & (pl.col("blocks") == 0)
        & (pl.col("approvals") >= crit.min_approvals_ok) & (pl.col("days") >= crit.min_days_ok)
    )
    strong = entities.filter(
        (blocked | trusted) & ~pl.col("value").is_in(list(known)) & ~pl.col("entry").is_in(list(known))
    ).with_columns(pl.col("kind").replace_strict(_GROUP).alias("group"))
    out = []
    for (reason, group), part in strong.group_by("reason_code", "group", maintain_order=True):
        rows = part.sort("blocks", "value", descending=[True, False]).to_dicts()
        list_name = f"promoted_{stamp}_{reason}_{group}"[:64]
        entries = tuple((list_name, r["value"]) for r in rows)
        condition = " OR ".join(entity_condition(r["kind"], r["entry"]) for r in rows)
        kinds = sorted({r["kind"] for r in rows})
        out.append(Candidate(
            id=list_name, kind="list", reason_code=reason, condition=condition, entries=entries,
            action="approve" if reason == "ok" else "block",
            origin=f"recurring {', '.join(kinds)} ({len(rows)} entries)",
            evidence={"list_kind": "phone" if group == "phones" else "seller" if group == "sellers" else "phrase"},
        ))
    return out, strong


def _pattern_id(stamp: str, reason: str, condition: str) -> str:
    digest = hashlib.sha1(condition.encode()).hexdigest()[:6]
    return f"promoted_{stamp}_{reason}_{digest}"[:64]


def propose(
    reviewed: pl.DataFrame,
    fields: Mapping[str, str],
    *,
    history: pl.DataFrame | None = None,
    existing_hits: pl.Series | None = None,
    blocking_rules: frozenset[str] = frozenset(),
    approving_rules: frozenset[str] = frozenset(),
    known_entries: set[str] | frozenset[str] = frozenset(),
    existing_conditions: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    criteria: Criteria = Criteria(),
    entity_criteria: EntityCriteria | None = None,
    today: dt.date | None = None,
    pattern_options: Mapping | None = None,
    review_rules: Sequence[ReviewRule] = (),
) -> tuple[list[Candidate], pl.DataFrame]:
    """Judged candidates (proposed and dropped, each with evidence) and the recurring entities.

    ``reviewed``: reviewer decisions with every rule field (see evidence/patterns); ``history``:
    scored listings with ``day``, ``decision`` and rule fields (for the backtest).
    ``existing_conditions``: conditions of current rules (whitespace-normalised), never proposed
    again. ``review_rules``: active review rules whose cases may earn a block rule (both frames
    then carry their ``rule_column``).
    """
    stamp = (today or dt.date.today()).strftime("%Y%m%d")
    reviewed = with_phone_norm(reviewed)
    entities = mine_entities(reviewed)
    cands, _ = _entity_candidates(entities, entity_criteria or EntityCriteria(), set(known_entries), stamp)
    options = dict(pattern_options or {})
    if history is not None and history.height and "background" not in options:
        options["background"] = _background(history, reviewed)
    for pattern in mine_patterns(reviewed, fields, **options):
        cands.append(Candidate(
            id=_pattern_id(stamp, pattern.reason_code, pattern.condition), kind="pattern",
            reason_code=pattern.reason_code, condition=pattern.condition,
            action="approve" if pattern.reason_code == "ok" else "block",
            origin=f"decision tree, {len(pattern.clauses)} clause(s)",
        ))
    cands += review_rule_candidates(reviewed, review_rules, fields, stamp=stamp)
    # a twin of a review rule shares its condition: only rules with the same action make it old news
    cands = [c for c in cands if c.kind != "pattern"
             or (c.action, _norm(c.rule_condition or c.condition)) not in existing_conditions]
    if history is not None:
        history = with_phone_norm(history)
    measured = []
    for cand in cands:
        same_action = approving_rules if cand.action == "approve" else blocking_rules
        ev = {**cand.evidence, **measure(cand, reviewed, existing_hits=existing_hits, blocking_rules=same_action)}
        if history is not None and history.height:
            ev.update(_backtest_summary(backtest(cand, history)))
        measured.append(replace(cand, evidence=ev))
    return judge(measured, criteria), entities


def _background(history: pl.DataFrame, reviewed: pl.DataFrame, size: int = 5_000) -> pl.DataFrame:
    """A sample of what the system approved and no reviewer touched: the ordinary listings a
    pattern must spare (negatives for the tree; every candidate is still judged on evidence)."""
    approved = history.filter(pl.col("decision") == "approve")
    if "human_decision" in approved.columns:
        approved = approved.filter(pl.col("human_decision").is_null())
    if "listing_id" in approved.columns and "listing_id" in reviewed.columns:
        approved = approved.filter(~pl.col("listing_id").is_in(reviewed["listing_id"].implode()))
    sample = approved.sample(min(size, approved.height), seed=0)
    return sample.select([c for c in sample.columns if c in reviewed.columns]).with_columns(
        pl.lit("approve").alias("decision"), pl.lit("ok").alias("reason_code")
    )


def _norm(condition: str) -> str:
    return " ".join(condition.split())


def _backtest_summary(per_day: pl.DataFrame) -> dict:
    listings = int(per_day["listings"].sum())
    known_rows = per_day.drop_nulls("precision_known")
    summary = {
        "backtest": per_day.to_dicts(),
        "backtest_hits_per_day": float(per_day["hits"].mean()),
        "backtest_new_blocks_share": float(per_day["from_approve"].sum()) / listings if listings else 0.0,
        "backtest_automation_delta": float(per_day["from_review"].sum()) / listings if listings else 0.0,
        "backtest_precision_known": (
            float((known_rows["precision_known"] * known_rows["hits"]).sum() / known_rows["hits"].sum())
            if known_rows.height and known_rows["hits"].sum() else None
        ),
    }
    if "precision_true" in per_day.columns:
        valid = per_day.drop_nulls("precision_true")
        hits = valid["hits"].sum()
        summary["backtest_precision_true"] = float((valid["precision_true"] * valid["hits"]).sum() / hits) if hits else None
    return summary
