"""The queue's vocabulary: what the pipeline enqueues and what the store hands back.

Plain frozen dataclasses, so callers never hold a database row or a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moderation.schema import REASON_CODES, VIOLATIONS
from review_queue.errors import InvalidDecisionError

__all__ = [
    "NewCase",
    "Case",
    "DecisionRecord",
    "Verdict",
    "AuditEntry",
    "KINDS",
    "HUMAN_DECISIONS",
    "check_decision",
]

# review: a case from a pipeline run; second: the blind second review of a decided case;
# appeal: a seller's appeal of a block, for a senior; dispute: a second review that disagreed
# with the first decision, for a senior to settle (see ``disputes.py``).
KINDS: tuple[str, ...] = ("review", "second", "appeal", "dispute")
# What a follow-up case (second review, appeal, dispute) copies from the case it follows: the
# listing snapshot and why the pipeline queued it. Routing and priority are the follow-up's own.
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "listing_id", "run_id", "reasons", "primary_reason", "rule_hits", "fraud_score",
    "model_version", "ruleset_version", "listing", "contributions", "risk",
)
# Kinds whose decision is a verdict on the listing; the latest one is the final word.
VERDICT_KINDS: tuple[str, ...] = ("review", "appeal", "dispute")
HUMAN_DECISIONS: tuple[str, ...] = ("approve", "block")


@dataclass(frozen=True, slots=True)
class NewCase:
    """One listing the pipeline could not decide, as it enters the queue.

    ``listing`` is the snapshot shown to moderators (JSON-serialisable); it may carry
    ``highlights``, a list of substrings of the text that triggered a rule.
    """

    listing_id: str
    run_id: str
    reasons: tuple[str, ...]
    rule_hits: tuple[str, ...]
    fraud_score: float | None
    model_version: str
    ruleset_version: str
    listing: dict
    contributions: tuple[tuple[str, float], ...] = ()
    risk: float = 0.0


@dataclass(frozen=True, slots=True)
class Case:
    """A queue item as stored: the snapshot plus its claim and decision state."""

    id: int
    listing_id: str
    run_id: str
    kind: str
    parent_id: int | None
    reasons: tuple[str, ...]
    rule_hits: tuple[str, ...]
    fraud_score: float | None
    model_version: str
    ruleset_version: str
    listing: dict
    contributions: tuple[tuple[str, float], ...]
    risk: float
    priority: float
    required_role: str
    state: str  # open | decided
    holder: str | None
    lease_until: datetime | None
    enqueued_at: datetime
    due_at: datetime
    decision: str | None = None
    reason_code: str | None = None
    note: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    is_gold: bool = False
    appeal_note: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A human decision, as the promotion miner reads it (see ``decisions_since``)."""

    case_id: int
    listing_id: str
    run_id: str
    kind: str
    listing: dict
    reasons: tuple[str, ...]
    rule_hits: tuple[str, ...]
    fraud_score: float | None
    decision: str
    reason_code: str
    note: str | None
    moderator: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class Verdict:
    """What ``decide`` returns: the decision as recorded, and the second review it triggered."""

    case_id: int
    listing_id: str
    run_id: str
    kind: str
    decision: str
    reason_code: str
    note: str | None
    moderator: str
    decided_at: datetime
    second_review_case_id: int | None = None
    dispute_case_id: int | None = None  # opened when this second review disagreed with the first


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the append-only audit log."""

    id: int
    case_id: int | None
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


def check_decision(decision: str, reason_code: str) -> None:
    """A human decision is approve+ok or block+violation; anything else is a user error."""
    if decision not in HUMAN_DECISIONS:
        raise InvalidDecisionError(
            f"decision must be one of {', '.join(HUMAN_DECISIONS)}. Got {decision!r} instead."
        )
    if reason_code not in REASON_CODES:
        raise InvalidDecisionError(
            f"reason_code must be one of {', '.join(REASON_CODES)}. Got {reason_code!r} instead."
        )
    if decision == "approve" and reason_code != "ok":
        raise InvalidDecisionError(
            f"an approval takes reason_code 'ok'. Got {reason_code!r} instead."
        )
    if decision == "block" and reason_code not in VIOLATIONS:
        raise InvalidDecisionError(
            f"a block needs a violation reason ({', '.join(VIOLATIONS)}). Got {reason_code!r} instead."
        )
