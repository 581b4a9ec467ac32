"""What the API shows of a case, and to whom: the JSON shapes of cases, verdicts and audit.

A second review is blind: its view never carries the first decision. An appeal's view carries
the decision under appeal, and a dispute's view both decisions in dispute, for the senior who
takes it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from review_queue.cases import AuditEntry, Case, Verdict

__all__ = ["case_view", "verdict_view", "audit_view", "history_view"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _decision_of(case: Case | None) -> dict | None:
    if case is None:
        return None
    return {"case_id": case.id, "decision": case.decision, "reason_code": case.reason_code,
            "note": case.note, "decided_by": case.decided_by, "decided_at": _iso(case.decided_at)}


def case_view(case: Case, original: Case | None = None, second: Case | None = None) -> dict:
    """The case as a moderator sees it.

    ``original`` is the decision under appeal (appeals) or the first decision (disputes);
    ``second`` is the blind second review that disagreed with it (disputes only).
    """
    highlights = case.listing.get("highlights") or []
    view = {
        "id": case.id,
        "kind": "review" if case.kind == "second" else case.kind,  # blind: looks like any case
        "listing_id": case.listing_id,
        "run_id": case.run_id,
        "listing": case.listing,
        "highlights": [h for h in highlights if isinstance(h, str) and h],
        "reasons": list(case.reasons),
        "rule_hits": list(case.rule_hits),
        "fraud_score": case.fraud_score,
        "model_version": case.model_version,
        "ruleset_version": case.ruleset_version,
        "contributions": [{"feature": n, "value": v} for n, v in case.contributions],
        "risk": case.risk,
        "priority": case.priority,
        "state": case.state,
        "holder": case.holder,
        "lease_until": _iso(case.lease_until),
        "enqueued_at": _iso(case.enqueued_at),
        "due_at": _iso(case.due_at),
        "decision": None,
    }
    if case.state == "decided":
        view["decision"] = {
            "decision": case.decision, "reason_code": case.reason_code, "note": case.note,
            "decided_by": case.decided_by, "decided_at": _iso(case.decided_at),
        }
    if case.kind == "appeal":
        view["appeal"] = {
            "note": case.appeal_note,
            "original": _decision_of(original),
        }
    if case.kind == "dispute":
        view["dispute"] = {"first": _decision_of(original), "second": _decision_of(second)}
    return view


def verdict_view(verdict: Verdict) -> dict:
    out = asdict(verdict)
    out["decided_at"] = _iso(verdict.decided_at)
    return out


def audit_view(entry: AuditEntry) -> dict:
    return {"id": entry.id, "case_id": entry.case_id, "at": _iso(entry.at), "actor": entry.actor,
            "action": entry.action, "detail": entry.detail}


def history_view(case: Case) -> dict:
    return {"case_id": case.id, "listing_id": case.listing_id, "title": case.listing.get("title"),
            "decision": case.decision, "reason_code": case.reason_code,
            "decided_at": _iso(case.decided_at)}
