"""The queue store on SQLAlchemy core: one implementation, SQLite and PostgreSQL dialects.

Claim and decide have two bodies with the same contract: on PostgreSQL one statement each with
``FOR UPDATE SKIP LOCKED`` (``_pg.py``: many moderators claim at once without waiting on each
other), elsewhere a short transaction (``_portable.py``; SQLite starts every write transaction
with ``BEGIN IMMEDIATE``, which serialises claimers instead). The contract tests run both.
Time comes from an injectable clock, so leases and deadlines are testable without sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from review_queue import _bulk, _pg, _portable, _rows, appeals, qc
from review_queue._engine import writer
from review_queue._tables import audit_log, cases
from review_queue.auth import UserDirectory
from review_queue.cases import (
    VERDICT_KINDS,
    AuditEntry,
    Case,
    DecisionRecord,
    NewCase,
    Verdict,
    check_decision,
)
from review_queue.errors import (
    AppealNotAllowedError,
    CaseAlreadyDecidedError,
    CaseNotFoundError,
    LeaseExpiredError,
    NotHolderError,
    QueueError,
    UnknownRoleError,
)
from review_queue.policy import QueuePolicy, sampled_for_second_review
from review_queue.stats import QueueStats, queue_stats

__all__ = ["SqlStore", "utcnow", "SELLER_EXPR"]

SELLER_EXPR = {  # must match migrations/versions/0003_seller_index.py
    "postgresql": "(listing ->> 'seller_id')",
    "sqlite": "json_extract(listing, '$.seller_id')",
}

_CASE_KEY = ["listing_id", "run_id", "kind", "seq"]
_WORK_ROLES = ("moderator", "senior", "admin")
_MAX_NOTE = 4_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class SqlStore:
    """The review-queue store (see ``protocol.QueueStore`` for each method's guarantees)."""

    def __init__(
        self, engine: Engine, *, policy: QueuePolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.policy = policy or QueuePolicy()
        self.clock = clock
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        # Single-statement operations (see _pg.py) need no BEGIN/COMMIT round trips.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._writer = writer(engine)
        # SQLite has one writer at a time; queueing this process's writers on a lock wakes the
        # next one at once, where SQLite's busy handler would sleep and poll.
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None
        self.users = UserDirectory(engine, clock, self._writing)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction (IMMEDIATE on SQLite, serialised within this process)."""
        if self._write_lock is None:
            with self._writer.begin() as conn:
                yield conn
            return
        with self._write_lock, self._writer.begin() as conn:
            yield conn

    # -- enqueue ---------------------------------------------------------------------------
    def enqueue(self, new_cases: Sequence[NewCase]) -> int:
        if not new_cases:
            return 0
        now = self.clock()
        values = _bulk.encode_cases(new_cases, now, self.policy, sqlite=self.dialect == "sqlite")
        with self._writing() as conn:
            added = _bulk.insert_new_cases(conn, values)
            runs = sorted({c.run_id for c in new_cases})
            conn.execute(
                insert(audit_log),
                {"case_id": None, "at": now, "actor": "pipeline", "action": "enqueue",
                 "detail": {"runs": runs[:20], "offered": len(values), "added": added}},
            )
        return added

    def count_cases(self, run_id: str | None = None) -> int:
        query = select(func.count()).select_from(cases).where(cases.c.kind == "review")
        if run_id is not None:
            query = query.where(cases.c.run_id == run_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # -- claim / release -------------------------------------------------------------------
    def claim(
        self, moderator: str, *, role: str = "moderator", limit: int = 10,
        kinds: Sequence[str] | None = None,
    ) -> list[Case]:
        if role not in _WORK_ROLES:
            raise UnknownRoleError(f"role {role!r} cannot claim cases; one of {', '.join(_WORK_ROLES)} can.")
        if not 1 <= limit <= self.policy.max_claim:
            raise QueueError(f"limit must be between 1 and {self.policy.max_claim}. Got {limit!r} instead.")
        now = self.clock()
        until = now + timedelta(seconds=self.policy.lease_seconds)
        if self.dialect == "postgresql":
            with self._autocommit.connect() as conn:
                rows = _pg.claim(conn, moderator, role == "moderator", kinds, limit, now, until)
        else:
            with self._writing() as conn:
                rows = _portable.claim(conn, moderator, role == "moderator", kinds, limit, now, until)
        return [_rows.to_case(r) for r in rows]

    def held(self, moderator: str) -> list[Case]:
        now = self.clock()
        query = (
            select(cases)
            .where(cases.c.holder == moderator, cases.c.state == "open", cases.c.lease_until > now)
            .order_by(cases.c.due_at, cases.c.id)
        )
        with self.engine.connect() as conn:
            return [_rows.to_case(r) for r in conn.execute(query)]

    def renew(self, moderator: str) -> int:
        """Extend every live lease ``moderator`` holds by a full lease; returns how many.

        A lapsed lease is not renewed (the case may be someone else's by now): claim again.
        """
        now = self.clock()
        until = now + timedelta(seconds=self.policy.lease_seconds)
        with self._writing() as conn:
            renewed = conn.execute(
                update(cases)
                .where(cases.c.holder == moderator, cases.c.state == "open",
                       cases.c.lease_until > now)
                .values(lease_until=until)
                .returning(cases.c.id)
            ).scalars().all()
            if renewed:
                conn.execute(
                    insert(audit_log),
                    [{"case_id": i, "at": now, "actor": moderator, "action": "renew",
                      "detail": {"lease_until": until.isoformat()}} for i in renewed],
                )
        return len(renewed)

    def release(self, case_ids: Sequence[int], moderator: str) -> int:
        if not case_ids:
            return 0
        now = self.clock()
        with self._writing() as conn:
            released = conn.execute(
                update(cases)
                .where(cases.c.id.in_(list(case_ids)), cases.c.holder == moderator,
                       cases.c.state == "open")
                .values(holder=None, claimed_at=None, lease_until=None)
                .returning(cases.c.id)
            ).scalars().all()
            if released:
                conn.execute(
                    insert(audit_log),
                    [{"case_id": i, "at": now, "actor": moderator, "action": "release", "detail": {}}
                     for i in released],
                )
        return len(released)

    # -- decide ----------------------------------------------------------------------------
    def decide(
        self, case_id: int, moderator: str, decision: str, reason_code: str,
        note: str | None = None,
    ) -> Verdict:
        check_decision(decision, reason_code)
        if note is not None and len(note) > _MAX_NOTE:
            raise QueueError(f"note must be at most {_MAX_NOTE} characters. Got {len(note)}.")
        now = self.clock()
        sample = sampled_for_second_review(case_id, self.policy.second_review_share)
        second_due = now + timedelta(hours=self.policy.second_review_sla_hours)
        dispute_due = now + timedelta(hours=self.policy.dispute_sla_hours)
        if self.dialect == "postgresql":
            row = _pg.decide(self.engine, case_id, moderator, decision, reason_code, note, now,
                             sample, second_due, dispute_due)
            if row is None:
                with self.engine.connect() as conn:
                    self._refuse(conn, case_id, moderator, now)
            listing_id, run_id, kind, second_id, dispute_id = row
        else:
            with self._writing() as conn:
                row = _portable.decide(conn, case_id, moderator, decision, reason_code, note, now,
                                       sample, second_due, dispute_due)
                if row is None:
                    self._refuse(conn, case_id, moderator, now)
            listing_id, run_id, kind, second_id, dispute_id = row
        return Verdict(
            case_id=case_id, listing_id=listing_id, run_id=run_id, kind=kind,
            decision=decision, reason_code=reason_code, note=note, moderator=moderator,
            decided_at=now, second_review_case_id=second_id, dispute_case_id=dispute_id,
        )

    def _refuse(self, conn, case_id: int, moderator: str, now: datetime):
        """Explain why a decision was refused (always raises)."""
        row = conn.execute(
            select(cases.c.state, cases.c.holder, cases.c.lease_until, cases.c.decided_by,
                   cases.c.decided_at).where(cases.c.id == case_id)
        ).first()
        if row is None:
            raise CaseNotFoundError(f"case {case_id} does not exist.")
        if row.state == "decided":
            raise CaseAlreadyDecidedError(
                f"case {case_id} was already decided by {row.decided_by} at "
                f"{row.decided_at.isoformat()}; only an appeal re-opens it."
            )
        if row.holder != moderator:
            raise NotHolderError(f"case {case_id} is not held by {moderator}; claim it first.")
        raise LeaseExpiredError(
            f"the lease of {moderator} on case {case_id} lapsed at "
            f"{row.lease_until.isoformat()}; the case went back to the queue."
        )

    # -- reads -----------------------------------------------------------------------------
    def get_case(self, case_id: int) -> Case:
        with self.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
        if row is None:
            raise CaseNotFoundError(f"case {case_id} does not exist.")
        return _rows.to_case(row)

    def audit(self, case_id: int) -> list[AuditEntry]:
        query = select(audit_log).where(audit_log.c.case_id == case_id).order_by(audit_log.c.id)
        with self.engine.connect() as conn:
            return [_rows.to_audit(r) for r in conn.execute(query)]

    def decisions_since(
        self, since: datetime, *, kinds: Sequence[str] = VERDICT_KINDS,
        limit: int | None = None,
    ) -> list[DecisionRecord]:
        later = cases.alias("later")
        superseded = exists().where(
            later.c.listing_id == cases.c.listing_id, later.c.run_id == cases.c.run_id,
            later.c.kind.in_(VERDICT_KINDS), later.c.state == "decided",
            later.c.gold_decision.is_(None),
            or_(later.c.decided_at > cases.c.decided_at,
                and_(later.c.decided_at == cases.c.decided_at, later.c.id > cases.c.id)),
        )
        query = (
            select(cases)
            .where(
                cases.c.state == "decided",
                cases.c.decided_at > since,
                cases.c.kind.in_(list(kinds)),
                cases.c.gold_decision.is_(None),
                or_(cases.c.kind.not_in(VERDICT_KINDS), ~superseded),
            )
            .order_by(cases.c.decided_at, cases.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_rows.to_decision(r) for r in conn.execute(query)]

    def stats(self, now: datetime | None = None) -> QueueStats:
        with self.engine.connect() as conn:
            return queue_stats(conn, now or self.clock())

    def agreement(self) -> qc.Agreement:
        with self.engine.connect() as conn:
            return qc.agreement(conn)

    # -- appeals and gold ------------------------------------------------------------------
    def appeal(self, listing_id: str, run_id: str, actor: str, note: str) -> Case:
        """Re-open a blocked listing as an appeal case for a senior (see ``appeals.py``).

        Not idempotent by design: each call after a decided appeal opens the next appeal; a
        second call while one is open raises AppealNotAllowedError.
        """
        now = self.clock()
        try:
            with self._writing() as conn:
                appeal_id = appeals.open_appeal(
                    conn, listing_id, run_id, actor, note, now, self.policy
                )
        except IntegrityError:
            raise AppealNotAllowedError(
                f"listing {listing_id!r} is already under appeal (opened concurrently)."
            ) from None
        return self.get_case(appeal_id)

    def seed_gold(self, new_cases: Sequence[NewCase], answers: Sequence[tuple[str, str]]) -> int:
        """Add gold cases (known answers), served like any case; idempotent like ``enqueue``."""
        rows = qc.gold_rows(new_cases, answers, self.clock(), self.policy)
        if not rows:
            return 0
        stmt = self._insert(cases).on_conflict_do_nothing(index_elements=_CASE_KEY)
        with self._writing() as conn:
            added = conn.execute(stmt.returning(cases.c.id), rows).all()
        return len(added)

    def seller_history(self, seller_id: str, *, limit: int = 20) -> list[Case]:
        """Decided cases of one seller (newest first), for the moderator's case view.

        Written with the literal expression and predicate of ``ix_cases_seller`` (migration
        0003) so both databases answer from that index.
        """
        seller = literal_column(SELLER_EXPR[self.dialect])
        query = (
            select(cases)
            .where(seller == seller_id, cases.c.state == literal_column("'decided'"),
                   cases.c.kind.in_(VERDICT_KINDS), cases.c.gold_decision.is_(None))
            .order_by(seller, cases.c.decided_at.desc(), cases.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_rows.to_case(r) for r in conn.execute(query)]

    def close(self) -> None:
        self.engine.dispose()

