"""Bulk insert of new cases below SQLAlchemy's per-row type processing.

A daily run enqueues up to ~150 000 cases in one call; going through the driver directly
(pre-encoded JSON, one ``executemany`` on SQLite, ``COPY`` into a staging table on PostgreSQL)
is several times faster than per-row bind processing. ``ON CONFLICT DO NOTHING`` makes it idempotent and
the returned count is exact on both dialects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection

from review_queue import policy as queue_policy
from review_queue.cases import NewCase
from review_queue.errors import QueueError
from review_queue.policy import QueuePolicy

__all__ = ["encode_cases", "insert_new_cases", "check_new_case", "COLUMNS"]

COLUMNS: tuple[str, ...] = (
    "listing_id", "run_id", "kind", "seq", "reasons", "primary_reason", "rule_hits",
    "fraud_score", "model_version", "ruleset_version", "listing", "contributions", "risk",
    "priority", "required_role", "state", "enqueued_at", "due_at",
)
_JSON = {"reasons", "rule_hits", "listing", "contributions"}
_CONFLICT = "ON CONFLICT (listing_id, run_id, kind, seq) DO NOTHING"
_PG_TYPES = {"seq": "integer", "fraud_score": "double precision", "risk": "double precision",
             "priority": "double precision", "enqueued_at": "timestamptz", "due_at": "timestamptz"}

def _jsonable(value: object) -> object:
    """Dates and numpy scalars become JSON; anything else is the caller's mistake."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON-serialisable")


_encode = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, allow_nan=False, separators=(",", ":"),
    default=_jsonable,
).encode


def check_new_case(case: NewCase, index: int) -> None:
    """Reject a malformed case before anything is written; ``index`` names it in the message."""
    if not isinstance(case.listing_id, str) or not case.listing_id:
        raise QueueError(f"case #{index}: listing_id must be a non-empty string. Got {case.listing_id!r} instead.")
    if not isinstance(case.run_id, str) or not case.run_id:
        raise QueueError(f"case #{index} ({case.listing_id}): run_id must be a non-empty string. Got {case.run_id!r} instead.")
    if not isinstance(case.listing, dict):
        raise QueueError(f"case #{index} ({case.listing_id}): listing must be a dict. Got {type(case.listing).__name__} instead.")


def _sqlite_time(value: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime writes, so comparisons stay textual-correct.
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def encode_cases(
    new_cases: Sequence[NewCase], now: datetime, policy: QueuePolicy, *, sqlite: bool
) -> list[tuple]:
    """One value tuple per case, in ``COLUMNS`` order, JSON pre-encoded; validates each case.

    One pass, no intermediate dicts: at 150 000 cases a call, per-row overhead is the budget.
    """
    enqueued = _sqlite_time(now) if sqlite else now
    due_by_priority: dict[float, object] = {}  # priorities repeat a lot; format each deadline once
    out = []
    for i, case in enumerate(new_cases):
        check_new_case(case, i)
        prio = queue_policy.priority(case.risk, case.listing)
        due = due_by_priority.get(prio)
        if due is None:
            due = queue_policy.due_at(now, prio, policy)
            due = due_by_priority[prio] = _sqlite_time(due) if sqlite else due
        reasons = case.reasons
        try:
            listing = _encode(case.listing)
        except (TypeError, ValueError) as exc:
            raise QueueError(
                f"case #{i} ({case.listing_id}): the listing snapshot must be plain JSON "
                f"(strings, numbers, lists, dicts; no NaN). {exc}."
            ) from None
        out.append((
            case.listing_id, case.run_id, "review", 0, _encode(list(reasons)),
            reasons[0] if reasons else "unspecified", _encode(list(case.rule_hits)),
            None if case.fraud_score is None else float(case.fraud_score),
            case.model_version, case.ruleset_version, listing,
            _encode([[str(n), float(v)] for n, v in case.contributions]), float(case.risk), prio,
            "moderator", "open", enqueued, due,
        ))
    return out


def insert_new_cases(conn: Connection, values: list[tuple]) -> int:
    """Insert ``encode_cases`` output inside the caller's transaction; return how many were new."""
    if not values:
        return 0
    cols = ", ".join(COLUMNS)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in COLUMNS)
        result = conn.exec_driver_sql(
            f"INSERT INTO cases ({cols}) VALUES ({marks}) {_CONFLICT}", values
        )
        return result.rowcount
    return _copy_into_postgres(conn, values)


def _copy_into_postgres(conn: Connection, values: list[tuple]) -> int:
    """COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT DO NOTHING."""
    cols = ", ".join(COLUMNS)
    staged = ", ".join(
        f"{name} {'text' if name in _JSON else _PG_TYPES.get(name, 'text')}" for name in COLUMNS
    )
    selected = ", ".join(f"CAST({name} AS jsonb)" if name in _JSON else name for name in COLUMNS)
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(f"CREATE TEMPORARY TABLE _enqueue ({staged}) ON COMMIT DROP")
        with cursor.copy(f"COPY _enqueue ({cols}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        # DISTINCT ON keeps the first of duplicate keys inside one batch (ON CONFLICT cannot
        # touch the same row twice in one statement).
        cursor.execute(
            f"INSERT INTO cases ({cols}) SELECT DISTINCT ON (run_id, listing_id) {selected} "
            f"FROM _enqueue ORDER BY run_id, listing_id {_CONFLICT}"
        )
        return cursor.rowcount
    finally:
        cursor.close()
