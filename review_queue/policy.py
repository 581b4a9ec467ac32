"""Queue policy: how urgent a case is, when it is due, how long a claim lasts.

Pure functions of a case and a ``QueuePolicy``; the store calls them and persists the result.
Claims take open cases in deadline order (earliest ``due_at`` first), so one sortable column
carries all three signals: risk and exposure shorten the deadline, age brings it closer.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["QueuePolicy", "exposure", "priority", "due_at", "sampled_for_second_review"]


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """Every knob of the queue, with the defaults a team starts from."""

    lease_seconds: float = 600.0  # a claim lapses back to the queue after this
    base_sla_hours: float = 24.0  # deadline of a low-risk, low-exposure case
    min_sla_share: float = 0.25  # the riskiest cases get this share of the base SLA
    appeal_sla_hours: float = 2.0  # appeals jump ahead of almost everything
    second_review_sla_hours: float = 48.0
    second_review_share: float = 0.05  # share of first decisions sent to a blind second review
    dispute_sla_hours: float = 24.0  # a second review that disagrees reaches a senior within this
    max_claim: int = 100  # largest batch one claim may take

    def __post_init__(self) -> None:
        if not 0.0 <= self.second_review_share <= 1.0:
            raise ValueError(
                f"second_review_share must be in [0, 1]. Got {self.second_review_share!r} instead."
            )
        if self.lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be > 0. Got {self.lease_seconds!r} instead.")
        if not 0.0 < self.min_sla_share <= 1.0:
            raise ValueError(f"min_sla_share must be in (0, 1]. Got {self.min_sla_share!r} instead.")


def exposure(listing: dict) -> float:
    """How many buyers a bad listing would reach, in [0, 1].

    Uses ``views`` when the snapshot has it, else the seller's listing count (a large seller's
    listings are seen by many more people than a one-off private sale).
    """
    raw = listing.get("views")
    scale = 10_000
    if raw is None:
        raw, scale = listing.get("seller_listing_count"), 1_000
    try:
        value = float(raw or 0)
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, math.log1p(max(value, 0.0)) / math.log1p(scale))


def priority(risk: float, listing: dict) -> float:
    """Urgency in [0, 100] for display and deadlines: mostly risk, partly exposure."""
    r = min(1.0, max(0.0, float(risk)))
    return round(100.0 * (0.7 * r + 0.3 * exposure(listing)), 3)


def due_at(enqueued_at: datetime, prio: float, policy: QueuePolicy) -> datetime:
    """SLA deadline: the base SLA shrunk linearly by priority, down to ``min_sla_share``."""
    share = 1.0 - (1.0 - policy.min_sla_share) * (prio / 100.0)
    return enqueued_at + timedelta(hours=policy.base_sla_hours * share)


def sampled_for_second_review(case_id: int, share: float) -> bool:
    """Deterministic sample by case id: known before the decision is written, so the store can
    open the second review in the same statement; the same case is always in or out."""
    if share <= 0.0:
        return False
    if share >= 1.0:
        return True
    digest = hashlib.blake2b(case_id.to_bytes(8, "big", signed=True), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share
