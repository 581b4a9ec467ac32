"""Disputes: a blind second review that disagrees with the first decision goes to a senior.

The second reviewer never sees the first decision, so a different answer (approve against block)
means one of the two moderators is wrong. The listing then re-enters the queue as a 'dispute'
case for a senior, who sees both decisions and makes the final one; ``decisions_since`` returns
that final word instead of the two it settles, so promotion mining and training learn from it.

The dispute opens atomically with the second decision: in its transaction on SQLite
(``_portable``), inside the same single statement on PostgreSQL (``_pg``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, literal
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from review_queue._tables import UTCDateTime, audit_log, cases
from review_queue.cases import SNAPSHOT_COLUMNS

__all__ = ["DISPUTE_PRIORITY", "DISPUTE_COLUMNS", "open_dispute_if_disagreeing"]

DISPUTE_PRIORITY = 50.0  # behind appeals (a seller is waiting), ahead of pipeline work
# The snapshot comes from the first (original) case; priority and routing are the dispute's own.
DISPUTE_COLUMNS = (*SNAPSHOT_COLUMNS, "kind", "seq", "parent_id", "priority", "required_role",
                   "exclude_moderator", "state", "enqueued_at", "due_at")


def open_dispute_if_disagreeing(
    conn: Connection, second_id: int, decision: str, now: datetime, due: datetime
) -> int | None:
    """After second review ``second_id`` was decided as ``decision``: open a dispute if the first
    decision differs. Returns the dispute's case id, or None (agreement, or already open)."""
    first = cases.alias("first")
    second = cases.alias("second")
    source = (
        sql_select(
            *(first.c[name] for name in SNAPSHOT_COLUMNS),
            literal("dispute").label("kind"), literal(0).label("seq"),
            second.c.id.label("parent_id"), literal(DISPUTE_PRIORITY).label("priority"),
            literal("senior").label("required_role"), first.c.decided_by.label("exclude_moderator"),
            literal("open").label("state"), literal(now, UTCDateTime).label("enqueued_at"),
            literal(due, UTCDateTime).label("due_at"),
        )
        .select_from(second.join(first, first.c.id == second.c.parent_id))
        .where(second.c.id == second_id, second.c.kind == "second", first.c.decision != decision)
    )
    dispute_id = conn.execute(
        sqlite_insert(cases).from_select(list(DISPUTE_COLUMNS), source)
        .on_conflict_do_nothing(index_elements=["listing_id", "run_id", "kind", "seq"])
        .returning(cases.c.id)
    ).scalar()
    if dispute_id is not None:
        conn.execute(audit_log.insert(), {
            "case_id": dispute_id, "at": now, "actor": "system", "action": "dispute_opened",
            "detail": {"second_review_case_id": second_id},
        })
    return dispute_id
