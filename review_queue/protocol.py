"""The store protocol: the handful of operations every queue backend provides.

``SqlStore`` implements it on SQLite (embedded default) and PostgreSQL (production); one contract
test suite (tests/review_queue/test_store_contract.py) runs against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from review_queue.cases import VERDICT_KINDS, AuditEntry, Case, DecisionRecord, NewCase, Verdict
from review_queue.stats import QueueStats

__all__ = ["QueueStore"]


@runtime_checkable
class QueueStore(Protocol):
    def enqueue(self, cases: Sequence[NewCase]) -> int:
        """Add cases; return how many were new.

        Idempotent on (listing_id, run_id): re-enqueueing adds nothing. All-or-nothing (one
        transaction). Order of ``cases`` does not matter: claim order comes from deadlines.
        """

    def count_cases(self, run_id: str | None = None) -> int:
        """Number of pipeline cases (kind 'review'), for one run or all."""

    def claim(
        self, moderator: str, *, role: str = "moderator", limit: int = 10,
        kinds: Sequence[str] | None = None,
    ) -> list[Case]:
        """Lease up to ``limit`` open cases to ``moderator``, earliest deadline first.

        Never hands a case to two holders: a case is claimable only when nobody holds a live
        lease on it. Cases whose lease lapsed are claimable again. Not idempotent: each call
        takes new cases (cases already held are listed by ``held``). Moderators get moderator
        work only; seniors and admins also get appeals.
        """

    def held(self, moderator: str) -> list[Case]:
        """Open cases ``moderator`` holds with a live lease, in deadline order."""

    def decide(
        self, case_id: int, moderator: str, decision: str, reason_code: str,
        note: str | None = None,
    ) -> Verdict:
        """Record a human decision on a case the moderator holds with a live lease.

        Atomic and final: a second call raises CaseAlreadyDecidedError (only an appeal re-opens
        a listing); a lapsed lease raises LeaseExpiredError. Writes one audit entry; a
        deterministic share of first decisions also opens a blind second review.
        """

    def renew(self, moderator: str) -> int:
        """Extend the moderator's live leases; lapsed ones stay lapsed. Returns how many."""

    def release(self, case_ids: Sequence[int], moderator: str) -> int:
        """Give held cases back to the queue; returns how many were released.

        Idempotent: releasing a case you no longer hold does nothing.
        """

    def decisions_since(
        self, since: datetime, *, kinds: Sequence[str] = VERDICT_KINDS, limit: int | None = None
    ) -> list[DecisionRecord]:
        """Human decisions with decided_at strictly after ``since``, oldest first (then by id).

        Gold cases are excluded (their answers are known); second reviews only when asked for.
        A verdict (review, appeal, dispute) superseded by a later verdict on the same listing
        and run is left out: callers get each listing's final word.
        """

    def audit(self, case_id: int) -> list[AuditEntry]:
        """The audit trail of one case, in the order it was written."""

    def stats(self, now: datetime | None = None) -> QueueStats:
        """Backlog by reason and age, SLA breaches, throughput per moderator, agreement."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
