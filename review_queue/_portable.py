"""Portable claim and decide: a few statements in one short transaction (SQLite's path).

Same contract as ``_pg.py``. On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (see
``_engine.py``), so the pick-then-lease below cannot interleave with another claimer; the
``FOR UPDATE SKIP LOCKED`` clause is emitted where the dialect supports it and ignored otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, literal, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from review_queue._pg import SECOND_REVIEW_COPIED
from review_queue._tables import UTCDateTime, audit_log, cases
from review_queue.disputes import open_dispute_if_disagreeing

__all__ = ["claim", "decide"]


def claim(
    conn: Connection, moderator: str, role_filter: bool, kinds: Sequence[str] | None,
    limit: int, now: datetime, until: datetime,
) -> list:
    """Lease up to ``limit`` claimable cases to ``moderator``; rows in deadline order."""
    pick = (
        select(cases.c.id, cases.c.holder)
        .where(
            cases.c.state == "open",
            or_(cases.c.lease_until.is_(None), cases.c.lease_until <= now),
            or_(cases.c.exclude_moderator.is_(None), cases.c.exclude_moderator != moderator),
        )
        .order_by(cases.c.due_at, cases.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if role_filter:
        pick = pick.where(cases.c.required_role == "moderator")
    if kinds:
        pick = pick.where(cases.c.kind.in_(list(kinds)))
    picked = conn.execute(pick).all()
    if not picked:
        return []
    rows = conn.execute(
        update(cases)
        .where(cases.c.id.in_([p.id for p in picked]))
        .values(holder=moderator, claimed_at=now, lease_until=until)
        .returning(*cases.c)
    ).all()
    conn.execute(
        insert(audit_log),
        [
            {"case_id": p.id, "at": now, "actor": moderator, "action": "claim",
             "detail": {"lease_until": until.isoformat(), "lapsed_holder": p.holder}}
            for p in picked
        ],
    )
    return sorted(rows, key=lambda r: (r.due_at, r.id))


# Built once: constructing a statement per call was a quarter of a decision's CPU time.
_DECIDE = (
    update(cases)
    .where(cases.c.id == bindparam("b_case_id"), cases.c.state == "open",
           cases.c.holder == bindparam("b_moderator"), cases.c.lease_until > bindparam("b_now"))
    .values(state="decided", decision=bindparam("b_decision"),
            reason_code=bindparam("b_reason_code"), note=bindparam("b_note"),
            decided_by=bindparam("b_moderator"), decided_at=bindparam("b_now"), lease_until=None)
    .returning(cases.c.listing_id, cases.c.run_id, cases.c.kind, cases.c.gold_decision)
)
_AUDIT = insert(audit_log)


def decide(
    conn: Connection, case_id: int, moderator: str, decision: str, reason_code: str,
    note: str | None, now: datetime, sample: bool, second_due: datetime, dispute_due: datetime,
) -> tuple | None:
    """(listing_id, run_id, kind, second review id, dispute id) of the decided case, or None if
    refused."""
    row = conn.execute(
        _DECIDE,
        {"b_case_id": case_id, "b_moderator": moderator, "b_now": now, "b_decision": decision,
         "b_reason_code": reason_code, "b_note": note},
    ).first()
    if row is None:
        return None
    second_id = None
    if sample and row.kind == "review" and row.gold_decision is None:
        second_id = _open_second_review(conn, case_id, moderator, now, second_due)
    dispute_id = None
    if row.kind == "second":
        dispute_id = open_dispute_if_disagreeing(conn, case_id, decision, now, dispute_due)
    conn.execute(
        _AUDIT,
        {"case_id": case_id, "at": now, "actor": moderator, "action": "decide",
         "detail": {"decision": decision, "reason_code": reason_code, "note": note,
                    "second_review_case_id": second_id}},
    )
    return row.listing_id, row.run_id, row.kind, second_id, dispute_id


def _open_second_review(
    conn: Connection, first_id: int, first_moderator: str, now: datetime, due: datetime
) -> int | None:
    """Copy the decided case as a blind second review that its decider can never claim."""
    source = select(
        *(cases.c[name] for name in SECOND_REVIEW_COPIED),
        literal("second").label("kind"), literal(0).label("seq"),
        literal(first_id).label("parent_id"), literal("moderator").label("required_role"),
        literal(first_moderator).label("exclude_moderator"), literal("open").label("state"),
        literal(now, UTCDateTime).label("enqueued_at"), literal(due, UTCDateTime).label("due_at"),
    ).where(cases.c.id == first_id)
    columns = [*SECOND_REVIEW_COPIED, "kind", "seq", "parent_id", "required_role",
               "exclude_moderator", "state", "enqueued_at", "due_at"]
    return conn.execute(
        sqlite_insert(cases).from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["listing_id", "run_id", "kind", "seq"])
        .returning(cases.c.id)
    ).scalar()
