"""The review queue: where people decide the listings the pipeline could not.

    from review_queue import open_store, NewCase
    store = open_store("sqlite:///var/queue.db")   # or postgresql+psycopg://...
    store.enqueue(cases)                            # idempotent on (listing_id, run_id)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from review_queue import migrate
from review_queue._engine import make_engine
from review_queue.cases import KINDS, AuditEntry, Case, DecisionRecord, NewCase
from review_queue.errors import (
    AppealNotAllowedError,
    CaseAlreadyDecidedError,
    CaseNotFoundError,
    InvalidDecisionError,
    LeaseExpiredError,
    NotHolderError,
    QueueError,
)
from review_queue.policy import QueuePolicy
from review_queue.store import SqlStore, utcnow

__all__ = [
    "open_store",
    "NewCase",
    "Case",
    "DecisionRecord",
    "AuditEntry",
    "KINDS",
    "QueuePolicy",
    "SqlStore",
    "QueueError",
    "CaseNotFoundError",
    "NotHolderError",
    "LeaseExpiredError",
    "CaseAlreadyDecidedError",
    "InvalidDecisionError",
    "AppealNotAllowedError",
]


def open_store(
    url: str,
    *,
    policy: QueuePolicy | None = None,
    clock: Callable[[], datetime] = utcnow,
    pool_size: int = 10,
) -> SqlStore:
    """Open (and create or migrate) the queue at ``url``: sqlite:///path.db or postgresql+psycopg://..."""
    engine = make_engine(url, pool_size=pool_size)
    try:
        migrate.upgrade(engine)
    except Exception:
        engine.dispose()
        raise
    return SqlStore(engine, policy=policy, clock=clock)
