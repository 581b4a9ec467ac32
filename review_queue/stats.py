"""The queue report: backlog by reason and age, SLA breaches, throughput, agreement.

``queue_stats`` reads the numbers in a few aggregate queries; ``QueueStats.to_dict`` is what
the API returns and ``moderation queue stats`` prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, case, func, select

from review_queue._tables import cases
from review_queue.qc import Agreement, agreement

__all__ = ["QueueStats", "Throughput", "AGE_BUCKETS", "queue_stats"]

# (label, lower bound of age): a case falls in the last bucket whose bound it has reached.
AGE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("<1h", timedelta(0)),
    ("1-4h", timedelta(hours=1)),
    ("4-24h", timedelta(hours=4)),
    ("1-3d", timedelta(days=1)),
    (">3d", timedelta(days=3)),
)


@dataclass(frozen=True, slots=True)
class Throughput:
    moderator: str
    decided: int
    last_24h: int
    last_hour: int


@dataclass(frozen=True, slots=True)
class QueueStats:
    generated_at: datetime
    open_total: int
    held_now: int
    backlog: tuple[tuple[str, str, str, int], ...]  # (kind, primary reason, age bucket, count)
    sla_breached_open: int  # open and past due
    sla_breached_decided: int  # decided after the deadline
    decided_total: int
    throughput: tuple[Throughput, ...]
    agreement: Agreement

    def to_dict(self) -> dict:
        out = asdict(self)
        out["generated_at"] = self.generated_at.isoformat()
        out["backlog"] = [
            {"kind": k, "reason": r, "age": a, "count": n} for k, r, a, n in self.backlog
        ]
        out["agreement"] = {
            name: [
                {"key": row.key, "pairs": row.pairs, "agree": row.agree,
                 "rate": round(row.rate, 4), "decision_rate": round(row.decision_rate, 4)}
                for row in getattr(self.agreement, name)
            ]
            for name in ("by_moderator", "by_reason", "gold_by_moderator")
        }
        return out


def queue_stats(conn: Connection, now: datetime) -> QueueStats:
    is_open = cases.c.state == "open"
    bucket = case(
        *[(cases.c.enqueued_at <= now - bound, label) for label, bound in reversed(AGE_BUCKETS[1:])],
        else_=AGE_BUCKETS[0][0],
    ).label("bucket")
    backlog = conn.execute(
        select(cases.c.kind, cases.c.primary_reason, bucket, func.count())
        .where(is_open)
        .group_by(cases.c.kind, cases.c.primary_reason, bucket)
        .order_by(cases.c.kind, cases.c.primary_reason, bucket)
    ).all()
    order = {label: i for i, (label, _) in enumerate(AGE_BUCKETS)}
    rows = sorted(((k, r, b, int(n)) for k, r, b, n in backlog), key=lambda t: (t[0], t[1], order[t[2]]))

    totals = conn.execute(
        select(
            func.count().filter(is_open),
            func.count().filter(and_(is_open, cases.c.lease_until > now)),
            func.count().filter(and_(is_open, cases.c.due_at < now)),
            func.count().filter(and_(cases.c.state == "decided", cases.c.decided_at > cases.c.due_at)),
            func.count().filter(cases.c.state == "decided"),
        )
    ).one()

    decided = cases.c.state == "decided"
    per_moderator = conn.execute(
        select(
            cases.c.decided_by,
            func.count(),
            func.count().filter(cases.c.decided_at > now - timedelta(days=1)),
            func.count().filter(cases.c.decided_at > now - timedelta(hours=1)),
        )
        .where(decided)
        .group_by(cases.c.decided_by)
        .order_by(cases.c.decided_by)
    ).all()
    return QueueStats(
        generated_at=now,
        open_total=int(totals[0]),
        held_now=int(totals[1]),
        backlog=tuple(rows),
        sla_breached_open=int(totals[2]),
        sla_breached_decided=int(totals[3]),
        decided_total=int(totals[4]),
        throughput=tuple(Throughput(m, int(a), int(b), int(c)) for m, a, b, c in per_moderator),
        agreement=agreement(conn),
    )
