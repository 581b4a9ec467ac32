"""Quality control: agreement between blind second reviews and first decisions, and gold cases.

A second review is a copy of a decided case, served blind (without the first decision) to a
different moderator; gold cases are ordinary-looking cases whose right answer is known.
Agreement is computed from pairs by ``summarise``, a pure function.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from review_queue import _rows
from review_queue._tables import cases
from review_queue.cases import NewCase, check_decision
from review_queue.errors import QueueError
from review_queue.policy import QueuePolicy

__all__ = ["AgreementRow", "Agreement", "Pair", "summarise", "agreement", "gold_rows"]


@dataclass(frozen=True, slots=True)
class Pair:
    """Two answers to one case: the first (moderator's) and the reference (second review or gold)."""

    moderator: str
    reason_code: str  # of the first decision
    decision: str
    ref_decision: str
    ref_reason_code: str


@dataclass(frozen=True, slots=True)
class AgreementRow:
    key: str
    pairs: int
    agree: int  # same decision and same reason code
    agree_decision: int  # same decision, reason may differ

    @property
    def rate(self) -> float:
        return self.agree / self.pairs if self.pairs else 0.0

    @property
    def decision_rate(self) -> float:
        return self.agree_decision / self.pairs if self.pairs else 0.0


@dataclass(frozen=True, slots=True)
class Agreement:
    by_moderator: tuple[AgreementRow, ...]
    by_reason: tuple[AgreementRow, ...]
    gold_by_moderator: tuple[AgreementRow, ...]


def summarise(pairs: Iterable[Pair], key: str) -> tuple[AgreementRow, ...]:
    """Agreement per ``key`` ('moderator' or 'reason_code'), sorted by key."""
    acc: dict[str, list[int]] = {}
    for p in pairs:
        row = acc.setdefault(getattr(p, key), [0, 0, 0])
        row[0] += 1
        row[1] += p.decision == p.ref_decision and p.reason_code == p.ref_reason_code
        row[2] += p.decision == p.ref_decision
    return tuple(AgreementRow(k, *v) for k, v in sorted(acc.items()))


def agreement(conn: Connection) -> Agreement:
    first = cases.alias("first")
    second = cases.alias("second")
    second_pairs = [
        Pair(r.decided_by, r.reason_code, r.decision, r.ref_decision, r.ref_reason)
        for r in conn.execute(
            select(first.c.decided_by, first.c.reason_code, first.c.decision,
                   second.c.decision.label("ref_decision"),
                   second.c.reason_code.label("ref_reason"))
            .join(second, second.c.parent_id == first.c.id)
            .where(second.c.kind == "second", second.c.state == "decided",
                   first.c.state == "decided")
        )
    ]
    gold_pairs = [
        Pair(r.decided_by, r.reason_code, r.decision, r.gold_decision, r.gold_reason)
        for r in conn.execute(
            select(cases.c.decided_by, cases.c.reason_code, cases.c.decision,
                   cases.c.gold_decision, cases.c.gold_reason)
            .where(cases.c.gold_decision.is_not(None), cases.c.state == "decided")
        )
    ]
    return Agreement(
        by_moderator=summarise(second_pairs, "moderator"),
        by_reason=summarise(second_pairs, "reason_code"),
        gold_by_moderator=summarise(gold_pairs, "moderator"),
    )


def gold_rows(
    new_cases: Sequence[NewCase], answers: Sequence[tuple[str, str]], now: datetime,
    policy: QueuePolicy,
) -> list[dict]:
    """Rows for gold cases: ordinary review cases plus the known (decision, reason_code)."""
    if len(new_cases) != len(answers):
        raise QueueError(
            f"gold cases and answers must pair up. Got {len(new_cases)} cases and {len(answers)} answers."
        )
    rows = []
    for i, (case, (decision, reason)) in enumerate(zip(new_cases, answers, strict=True)):
        check_decision(decision, reason)
        row = _rows.new_case_row(case, i, now, policy)
        row.update(gold_decision=decision, gold_reason=reason)
        rows.append(row)
    return rows
