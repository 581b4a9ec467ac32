"""PostgreSQL fast path: claim and decide as one statement each, in autocommit.

Each is a single statement with data-modifying CTEs, so it is atomic on its own and costs one
round trip: no BEGIN/COMMIT, no second statement for the audit entry. Claims pick rows with
``FOR UPDATE SKIP LOCKED``: concurrent claimers skip each other's rows instead of waiting, and
PostgreSQL re-checks the lease condition on the newest row version, so no case gets two
holders. The portable path in ``store.py`` does the same in several statements (SQLite); the
contract tests run both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, String, column, text

from review_queue._tables import cases
from review_queue.cases import SNAPSHOT_COLUMNS
from review_queue.disputes import DISPUTE_COLUMNS, DISPUTE_PRIORITY

__all__ = ["claim", "decide", "SECOND_REVIEW_COPIED"]

SECOND_REVIEW_COPIED = (*SNAPSHOT_COLUMNS, "priority")  # a second review keeps its first's place
_CASE_COLUMNS = [c.name for c in cases.c]


def _claim_sql(role_filter: bool, kind_filter: bool) -> str:
    extra = ""
    if role_filter:
        extra += " AND required_role = 'moderator'"
    if kind_filter:
        extra += " AND kind = ANY(CAST(:kinds AS text[]))"
    returned = ", ".join(f"c.{name}" for name in _CASE_COLUMNS)
    return f"""
    WITH picked AS (
        SELECT id, holder FROM cases
        WHERE state = 'open' AND (lease_until IS NULL OR lease_until <= :now)
          AND (exclude_moderator IS NULL OR exclude_moderator <> :moderator){extra}
        ORDER BY due_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE cases AS c SET holder = :moderator, claimed_at = :now, lease_until = :until
        FROM picked WHERE c.id = picked.id
        RETURNING {returned}, picked.holder AS lapsed_holder
    ), logged AS (
        INSERT INTO audit_log (case_id, at, actor, action, detail)
        SELECT id, :now, :moderator, 'claim',
               jsonb_build_object('lease_until', CAST(:until_iso AS text),
                                  'lapsed_holder', lapsed_holder)
        FROM claimed
    )
    SELECT {", ".join(_CASE_COLUMNS)}, lapsed_holder FROM claimed ORDER BY due_at, id
    """


_CLAIM = {
    (role, kind): text(_claim_sql(role, kind)).columns(*cases.c, column("lapsed_holder", String))
    for role in (False, True)
    for kind in (False, True)
}

_COPIED = ", ".join(SECOND_REVIEW_COPIED)
_FIRST_COPIED = ", ".join(f"first.{name}" for name in SNAPSHOT_COLUMNS)


def _decide_sql(sample: bool) -> str:
    """The decide statement; the sampled variant also opens the blind second review.

    Either variant opens a dispute when the decided case is a second review that disagrees with
    the first decision (see ``disputes.py``); data-modifying CTEs always run to completion.
    """
    returned = (f"id, kind, parent_id, gold_decision, {_COPIED}" if sample
                else "id, kind, parent_id, listing_id, run_id")
    sampled = f"""
    , sampled AS (
        INSERT INTO cases ({_COPIED}, kind, seq, parent_id, required_role, exclude_moderator,
                           state, enqueued_at, due_at)
        SELECT {_COPIED}, 'second', 0, id, 'moderator', %(moderator)s, 'open', %(now)s,
               %(second_due)s
        FROM decided
        WHERE kind = 'review' AND gold_decision IS NULL
        ON CONFLICT (listing_id, run_id, kind, seq) DO NOTHING
        RETURNING id
    )""" if sample else ""
    disputed = f"""
    , disputed AS (
        INSERT INTO cases ({", ".join(DISPUTE_COLUMNS)})
        SELECT {_FIRST_COPIED}, 'dispute', 0, decided.id, {DISPUTE_PRIORITY}, 'senior',
               first.decided_by, 'open', %(now)s, %(dispute_due)s
        FROM decided JOIN cases AS first ON first.id = decided.parent_id
        WHERE decided.kind = 'second' AND first.decision IS DISTINCT FROM %(decision)s
        ON CONFLICT (listing_id, run_id, kind, seq) DO NOTHING
        RETURNING id, parent_id
    ), dispute_logged AS (
        INSERT INTO audit_log (case_id, at, actor, action, detail)
        SELECT id, %(now)s, 'system', 'dispute_opened',
               jsonb_build_object('second_review_case_id', parent_id)
        FROM disputed
    )"""
    joined = ("decided LEFT JOIN sampled ON true" if sample else "decided") + \
        " LEFT JOIN disputed ON true"
    second = "sampled.id" if sample else "CAST(NULL AS bigint)"
    return f"""
    WITH decided AS (
        UPDATE cases SET state = 'decided', decision = %(decision)s,
               reason_code = %(reason_code)s, note = %(note)s, decided_by = %(moderator)s,
               decided_at = %(now)s, lease_until = NULL
        WHERE id = %(case_id)s AND state = 'open' AND holder = %(moderator)s
          AND lease_until > %(now)s
        RETURNING {returned}
    ){sampled}{disputed}, logged AS (
        INSERT INTO audit_log (case_id, at, actor, action, detail)
        SELECT decided.id, %(now)s, %(moderator)s, 'decide',
               jsonb_build_object('decision', CAST(%(decision)s AS text),
                                  'reason_code', CAST(%(reason_code)s AS text),
                                  'note', CAST(%(note)s AS text),
                                  'second_review_case_id', {second})
        FROM {joined}
    )
    SELECT decided.listing_id, decided.run_id, decided.kind, {second}, disputed.id
    FROM {joined}
    """


# Plain psycopg parameters: decide is the hottest statement and runs on the driver directly
# (SQLAlchemy's per-execution overhead was more than half of its client CPU time).
_DECIDE = {sample: _decide_sql(sample) for sample in (False, True)}


def claim(
    conn: Connection, moderator: str, role_filter: bool, kinds: Sequence[str] | None,
    limit: int, now: datetime, until: datetime,
) -> list:
    params = {"moderator": moderator, "now": now, "until": until, "until_iso": until.isoformat(),
              "limit": limit}
    if kinds:
        params["kinds"] = list(kinds)
    return conn.execute(_CLAIM[(role_filter, bool(kinds))], params).all()


def decide(
    engine: Engine, case_id: int, moderator: str, decision: str, reason_code: str,
    note: str | None, now: datetime, sample: bool, second_due: datetime, dispute_due: datetime,
) -> tuple | None:
    """(listing_id, run_id, kind, second review id, dispute id) of the decided case, or None if
    refused."""
    fairy = engine.raw_connection()
    try:
        driver = fairy.driver_connection
        driver.autocommit = True  # one statement: atomic by itself, no BEGIN/COMMIT round trips
        try:
            params = {"case_id": case_id, "moderator": moderator, "decision": decision,
                      "reason_code": reason_code, "note": note, "now": now,
                      "dispute_due": dispute_due}
            if sample:
                params["second_due"] = second_due
            return driver.execute(_DECIDE[sample], params).fetchone()
        finally:
            if not driver.closed:
                driver.autocommit = False
    finally:
        fairy.close()
