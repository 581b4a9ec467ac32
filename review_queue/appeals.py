"""Appeals: a seller contests a block; the case re-enters the queue for a senior, with priority.

This is the only way a decided listing is re-opened. The appeal is a new case (kind 'appeal')
pointing at the decision under appeal, which the senior sees; it is due within
``policy.appeal_sla_hours`` so it is served ahead of almost all pipeline work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, literal, select

from review_queue._tables import UTCDateTime, audit_log, cases
from review_queue.cases import SNAPSHOT_COLUMNS, VERDICT_KINDS
from review_queue.errors import AppealNotAllowedError, CaseNotFoundError
from review_queue.policy import QueuePolicy

__all__ = ["open_appeal", "APPEAL_PRIORITY"]

APPEAL_PRIORITY = 100.0


def open_appeal(
    conn: Connection, listing_id: str, run_id: str, actor: str, note: str, now: datetime,
    policy: QueuePolicy,
) -> int:
    """Open an appeal of the listing's current block; returns the new case id."""
    chain = conn.execute(
        select(cases.c.id, cases.c.kind, cases.c.seq, cases.c.state, cases.c.decision,
               cases.c.decided_by)
        .where(cases.c.listing_id == listing_id, cases.c.run_id == run_id,
               cases.c.kind.in_(VERDICT_KINDS), cases.c.gold_decision.is_(None))
        # The original review, then its dispute if any, then appeals in order: the last row is
        # the verdict in force.
        .order_by(cases.c.kind.desc(), cases.c.seq)
        .with_for_update()
    ).all()
    if not chain:
        raise CaseNotFoundError(f"no case for listing {listing_id!r} in run {run_id!r}.")
    original, latest = chain[0], chain[-1]
    if latest.state != "decided":
        what = {"appeal": "is still under appeal",
                "dispute": "is disputed between two moderators; a senior has not settled it yet"
                }.get(latest.kind, "has not been decided yet")
        raise AppealNotAllowedError(f"listing {listing_id!r} {what}; nothing to appeal.")
    if latest.decision != "block":
        raise AppealNotAllowedError(
            f"only a block can be appealed; listing {listing_id!r} is currently '{latest.decision}'."
        )
    seq = max((r.seq for r in chain if r.kind == "appeal"), default=0) + 1
    due = now + timedelta(hours=policy.appeal_sla_hours)
    source = select(
        *(cases.c[name] for name in SNAPSHOT_COLUMNS),
        literal("appeal").label("kind"), literal(seq).label("seq"),
        literal(latest.id).label("parent_id"), literal(APPEAL_PRIORITY).label("priority"),
        literal("senior").label("required_role"),
        literal(latest.decided_by).label("exclude_moderator"), literal(note).label("appeal_note"),
        literal("open").label("state"), literal(now, UTCDateTime).label("enqueued_at"),
        literal(due, UTCDateTime).label("due_at"),
    ).where(cases.c.id == original.id)
    columns = [*SNAPSHOT_COLUMNS, "kind", "seq", "parent_id", "priority", "required_role",
               "exclude_moderator", "appeal_note", "state", "enqueued_at", "due_at"]
    appeal_id = conn.execute(
        insert(cases).from_select(columns, source).returning(cases.c.id)
    ).scalar_one()
    conn.execute(
        insert(audit_log),
        [
            {"case_id": latest.id, "at": now, "actor": actor, "action": "appealed",
             "detail": {"appeal_case_id": appeal_id, "note": note}},
            {"case_id": appeal_id, "at": now, "actor": actor, "action": "appeal_opened",
             "detail": {"appealed_case_id": latest.id, "note": note}},
        ],
    )
    return appeal_id
