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

__all__ = ["insert_new_cases", "COLUMNS"]

COLUMNS: tuple[str, ...] = (
    "listing_id", "run_id", "kind", "seq", "reasons", "primary_reason", "rule_hits",
    "fraud_score", "model_version", "ruleset_version", "listing", "contributions", "risk",
    "priority", "required_role", "state", "enqueued_at", "due_at",
)
_JSON = {"reasons", "rule_hits", "listing", "contributions"}
_TIME = {"enqueued_at", "due_at"}
_CONFLICT = "ON CONFLICT (listing_id, run_id, kind, seq) DO NOTHING"
_PG_TYPES = {"seq": "integer", "fraud_score": "double precision", "risk": "double precision",
             "priority": "double precision", "enqueued_at": "timestamptz", "due_at": "timestamptz"}

_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def _sqlite_time(value: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime writes, so comparisons stay textual-correct.
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _tuples(rows: Sequence[dict], sqlite: bool) -> list[tuple]:
    out = []
    for row in rows:
        values = []
        for name in COLUMNS:
            value = row[name]
            if name in _JSON:
                value = _encode(value)
            elif name in _TIME and sqlite:
                value = _sqlite_time(value)
            values.append(value)
        out.append(tuple(values))
    return out


def insert_new_cases(conn: Connection, rows: Sequence[dict]) -> int:
    """Insert ``rows`` (from ``_rows.new_case_row``) inside the caller's transaction; return how many were new."""
    if not rows:
        return 0
    cols = ", ".join(COLUMNS)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in COLUMNS)
        result = conn.exec_driver_sql(
            f"INSERT INTO cases ({cols}) VALUES ({marks}) {_CONFLICT}", _tuples(rows, sqlite=True)
        )
        return result.rowcount
    return _copy_into_postgres(conn, _tuples(rows, sqlite=False))


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
