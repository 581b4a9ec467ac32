"""Evidence for a candidate rule, and the verdict: propose it, or drop it and say why.

Every figure comes from evaluating the candidate's written condition — on the reviewer decisions
(support, precision against reviewers, coverage of the reason, overlap with existing rules) and
on the stored history of scored days (would-be hits per day, change in automation rate, block
precision). Inspired by snorkel's labeling-function analysis: coverage, conflicts, accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl

from review_queue.promotion.patterns import condition_mask

__all__ = ["Candidate", "Criteria", "measure", "backtest", "judge", "entity_condition"]


@dataclass(frozen=True)
class Criteria:
    """What a candidate must show to be proposed (the policy team can tighten these)."""

    min_support: int = 5  # reviewer blocks of the reason the candidate would have caught
    min_precision: float = 0.97  # share of its reviewed hits that reviewers blocked
    min_days: int = 1  # distinct days the support spans
    min_sellers: int = 1  # distinct sellers (a single seller is a seller ban, not a pattern)
    max_overlap: float = 0.8  # share of hits existing rules or better candidates already catch
    max_new_blocks_share: float = 0.002  # would-be blocks of auto-approved listings (unverified), per listing
    min_support_approve: int = 50  # approve rules: reviewer approvals they would have made
    min_precision_approve: float = 0.985  # approve rules: share of reviewed hits reviewers approved


@dataclass(frozen=True)
class Candidate:
    """A proposed rule: a condition in the rule language, the action and reason it would take."""

    id: str
    kind: str  # pattern | list
    reason_code: str
    condition: str  # evaluable on a frame of rule fields (list candidates spell their entries out)
    action: str = "block"
    entries: tuple[tuple[str, str], ...] = ()  # list candidates: (list_name, entry)
    origin: str = ""  # how it was found, for the report
    evidence: dict = field(default_factory=dict)
    verdict: str = "pending"  # propose | drop
    why: str = ""
    rule_condition: str = ""  # what goes in the rule file when ``condition`` is only its measurable stand-in


def entity_condition(kind: str, entry: str) -> str:
    """The condition a list entry amounts to, spelled out so it can be measured on any frame."""
    quoted = entry.replace("'", "''")
    if kind == "phone":
        return f"(phone_norm = '{quoted}' OR text_phone = '{quoted}')"
    if kind == "seller":
        return f"seller_id = '{quoted}'"
    return f"text_norm LIKE '%{quoted}%'"


def with_phone_norm(frame: pl.DataFrame) -> pl.DataFrame:
    """``phone_norm``: the form phone as 11 digits starting with 7 (what phone lists hold)."""
    if "phone_norm" in frame.columns:
        return frame
    if "phone" not in frame.columns:
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias("phone_norm"))
    digits = pl.col("phone").cast(pl.String).str.replace_all(r"\D", "")
    return frame.with_columns(
        pl.when(digits.str.len_chars() == 11).then(pl.lit("7") + digits.str.slice(1))
        .when((digits.str.len_chars() == 10) & digits.str.starts_with("9")).then(pl.lit("7") + digits)
        .otherwise(None).alias("phone_norm")
    )


def _day(frame: pl.DataFrame) -> pl.Expr:
    source = "created_at" if "created_at" in frame.columns else "decided_at"
    column = pl.col(source)
    if frame.schema[source] == pl.String:
        column = column.str.to_datetime(strict=False)
    return column.dt.date()


def measure(
    candidate: Candidate,
    reviewed: pl.DataFrame,
    *,
    existing_hits: pl.Series | None = None,
    blocking_rules: frozenset[str] = frozenset(),
) -> dict:
    """Figures against reviewer decisions.

    ``existing_hits`` (list of rule ids per reviewed row: active and shadow hits of the current
    ruleset) and ``blocking_rules`` (ids of existing rules with the candidate's action) give the
    overlap. For an approve candidate "block" below reads "the outcome it would automate":
    support and precision count reviewer approvals.
    """
    hit = condition_mask(reviewed, candidate.condition)
    block = reviewed["decision"] == ("approve" if candidate.action == "approve" else "block")
    same = block & (reviewed["reason_code"] == candidate.reason_code)
    hits = int(hit.sum())
    support = int((hit & same).sum())
    reason_total = int(same.sum())
    hit_rows = reviewed.filter(hit)
    overlap = 0.0
    if existing_hits is not None and hits and blocking_rules:
        covered = existing_hits.filter(hit).list.eval(pl.element().is_in(list(blocking_rules))).list.any()
        overlap = float(covered.sum()) / hits
    support_rows = reviewed.filter(hit & same)
    return {
        "hits": hits,
        "support": support,
        "blocks": int((hit & block).sum()),
        "approvals": int((hit & ~block).sum()),
        "precision": float((hit & block).sum()) / hits if hits else 0.0,
        "reason_precision": support / hits if hits else 0.0,
        "coverage": support / reason_total if reason_total else 0.0,
        "days": support_rows.select(_day(support_rows).n_unique()).item() if support else 0,
        "sellers": support_rows["seller_id"].n_unique() if support and "seller_id" in reviewed.columns else 0,
        "overlap_existing": overlap,
        "_hit_ids": set(hit_rows["listing_id"].to_list()) if "listing_id" in reviewed.columns else set(),
    }


def backtest(candidate: Candidate, history: pl.DataFrame) -> pl.DataFrame:
    """Per day of stored history: would-be hits and what they change.

    ``history``: every scored listing with its rule fields, ``day``, the system ``decision``,
    optionally ``human_decision`` (reviewer outcome) and ``violation`` (ground truth, simulations
    only). A would-be hit turns into a block; hits that went to review leave the queue (more
    automation), hits that were approved are new blocks (the risky part).
    """
    hit = condition_mask(history, candidate.condition)
    frame = history.with_columns(hit.alias("_hit"))
    outcome = "approve" if candidate.action == "approve" else "block"
    other = "block" if outcome == "approve" else "approve"
    known_bad = pl.col("decision") == outcome
    if "human_decision" in frame.columns:
        known_bad = (pl.col("human_decision") == outcome) | (pl.col("human_decision").is_null() & known_bad)
        known = (pl.col("decision") == outcome) | pl.col("human_decision").is_not_null()
    else:
        known = pl.col("decision") == outcome
    aggs = [
        pl.len().alias("listings"),
        pl.col("_hit").sum().alias("hits"),
        (pl.col("_hit") & (pl.col("decision") == "review")).sum().alias("from_review"),
        (pl.col("_hit") & (pl.col("decision") == other)).sum().alias("from_approve"),
        (pl.col("decision") != "review").mean().alias("automation_before"),
        ((pl.col("decision") != "review") | pl.col("_hit")).mean().alias("automation_after"),
        (pl.col("_hit") & known).sum().alias("_known"),
        (pl.col("_hit") & known & known_bad).sum().alias("_known_bad"),
    ]
    if "violation" in frame.columns:
        bad = (pl.col("violation") == "ok") if outcome == "approve" else (pl.col("violation") != "ok")
        aggs.append((pl.col("_hit") & bad).sum().alias("_true_bad"))
    per_day = frame.group_by("day").agg(aggs).sort("day")
    per_day = per_day.with_columns(
        (pl.col("_known_bad") / pl.col("_known")).alias("precision_known"),
    )
    if "violation" in frame.columns:
        per_day = per_day.with_columns((pl.col("_true_bad") / pl.col("hits")).alias("precision_true"))
    return per_day.drop([c for c in per_day.columns if c.startswith("_")])


def judge(candidates: list[Candidate], criteria: Criteria = Criteria()) -> list[Candidate]:
    """Set each candidate's verdict, strongest first; a candidate mostly covered by a stronger
    proposed one of the same kind is redundant. Lists and patterns complement each other (a
    scammer changes the wording or the number, rarely both), so they are not compared.
    ``evidence`` must already hold ``measure`` (and maybe the backtest summary)."""
    ranked = sorted(candidates, key=lambda c: (-c.evidence.get("support", 0), -c.evidence.get("precision", 0), c.id))
    taken_by_kind: dict[str, set[str]] = {}
    judged: list[Candidate] = []
    for cand in ranked:
        ev = cand.evidence
        why = _weakness(ev, criteria, cand.action)
        ids = ev.get("_hit_ids", set())
        taken = taken_by_kind.setdefault(f"{cand.kind}:{cand.action}", set())
        if not why and ids and len(ids & taken) / len(ids) > criteria.max_overlap:
            why = f"redundant: {len(ids & taken) / len(ids):.0%} of its hits are caught by a stronger candidate"
        if why:
            judged.append(replace(cand, verdict="drop", why=why))
        else:
            taken |= ids
            judged.append(replace(cand, verdict="propose", why="meets every criterion"))
    return judged


def _weakness(ev: dict, c: Criteria, action: str = "block") -> str:
    min_support, min_precision, what = (
        (c.min_support_approve, c.min_precision_approve, "reviewer approvals") if action == "approve"
        else (c.min_support, c.min_precision, "reviewer blocks")
    )
    if ev.get("support", 0) < min_support:
        return f"weak: support {ev.get('support', 0)} < {min_support} {what}"
    if ev.get("precision", 0.0) < min_precision:
        return f"imprecise: precision vs reviewers {ev['precision']:.3f} < {min_precision}"
    if ev.get("days", 0) < c.min_days:
        return f"too recent: seen on {ev.get('days', 0)} day(s) < {c.min_days}"
    if ev.get("sellers", 0) < c.min_sellers:
        return f"narrow: {ev.get('sellers', 0)} seller(s) < {c.min_sellers}"
    if ev.get("overlap_existing", 0.0) > c.max_overlap:
        return f"redundant: existing rules already catch {ev['overlap_existing']:.0%} of its hits"
    new_share = ev.get("backtest_new_blocks_share")
    if new_share is not None and new_share > c.max_new_blocks_share:
        return f"risky: would newly block {new_share:.2%} of auto-approved listings in the backtest"
    bt_precision = ev.get("backtest_precision_known")
    if bt_precision is not None and bt_precision < min_precision:
        return f"imprecise in backtest: {bt_precision:.3f} < {min_precision}"
    return ""
