"""Turn database rows into the queue's dataclasses (and new cases into rows)."""

from __future__ import annotations

from datetime import datetime

from review_queue import policy as queue_policy
from review_queue._bulk import check_new_case
from review_queue.cases import AuditEntry, Case, DecisionRecord, NewCase

__all__ = ["new_case_row", "to_case", "to_decision", "to_audit"]


def new_case_row(case: NewCase, index: int, now: datetime, policy: queue_policy.QueuePolicy) -> dict:
    """The row for one case (SQLAlchemy path: gold cases); ``index`` names it in errors."""
    check_new_case(case, index)
    prio = queue_policy.priority(case.risk, case.listing)
    return {
        "listing_id": case.listing_id,
        "run_id": case.run_id,
        "kind": "review",
        "seq": 0,
        "reasons": list(case.reasons),
        "primary_reason": case.reasons[0] if case.reasons else "unspecified",
        "rule_hits": list(case.rule_hits),
        "fraud_score": None if case.fraud_score is None else float(case.fraud_score),
        "model_version": case.model_version,
        "ruleset_version": case.ruleset_version,
        "listing": case.listing,
        "contributions": [[str(name), float(value)] for name, value in case.contributions],
        "risk": float(case.risk),
        "priority": prio,
        "required_role": "moderator",
        "state": "open",
        "enqueued_at": now,
        "due_at": queue_policy.due_at(now, prio, policy),
    }


def to_case(row) -> Case:
    m = row._mapping
    return Case(
        id=m["id"],
        listing_id=m["listing_id"],
        run_id=m["run_id"],
        kind=m["kind"],
        parent_id=m["parent_id"],
        reasons=tuple(m["reasons"]),
        rule_hits=tuple(m["rule_hits"]),
        fraud_score=m["fraud_score"],
        model_version=m["model_version"],
        ruleset_version=m["ruleset_version"],
        listing=m["listing"],
        contributions=tuple((str(n), float(v)) for n, v in m["contributions"]),
        risk=m["risk"],
        priority=m["priority"],
        required_role=m["required_role"],
        state=m["state"],
        holder=m["holder"],
        lease_until=m["lease_until"],
        enqueued_at=m["enqueued_at"],
        due_at=m["due_at"],
        decision=m["decision"],
        reason_code=m["reason_code"],
        note=m["note"],
        decided_by=m["decided_by"],
        decided_at=m["decided_at"],
        is_gold=m["gold_decision"] is not None,
        appeal_note=m["appeal_note"],
    )


def to_decision(row) -> DecisionRecord:
    m = row._mapping
    return DecisionRecord(
        case_id=m["id"],
        listing_id=m["listing_id"],
        run_id=m["run_id"],
        kind=m["kind"],
        listing=m["listing"],
        reasons=tuple(m["reasons"]),
        rule_hits=tuple(m["rule_hits"]),
        fraud_score=m["fraud_score"],
        decision=m["decision"],
        reason_code=m["reason_code"],
        note=m["note"],
        moderator=m["decided_by"],
        decided_at=m["decided_at"],
    )


def to_audit(row) -> AuditEntry:
    m = row._mapping
    return AuditEntry(
        id=m["id"], case_id=m["case_id"], at=m["at"], actor=m["actor"],
        action=m["action"], detail=dict(m["detail"] or {}),
    )
