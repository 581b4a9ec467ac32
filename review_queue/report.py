"""Print a ``QueueStats`` as tables (what ``moderation queue stats`` shows)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from review_queue.stats import AGE_BUCKETS, QueueStats

__all__ = ["render"]


def render(stats: QueueStats, source: str, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"Review queue at {stats.generated_at:%Y-%m-%d %H:%M} UTC — {source}")
    console.print(
        f"open {stats.open_total} (held now {stats.held_now}), decided {stats.decided_total}; "
        f"SLA breached: {stats.sla_breached_open} open past due, "
        f"{stats.sla_breached_decided} decided late"
    )
    labels = [label for label, _ in AGE_BUCKETS]
    backlog = Table(title="Backlog by reason and age")
    for col in ("kind", "reason", *labels, "total"):
        backlog.add_column(col, justify="left" if col in ("kind", "reason") else "right")
    grid: dict[tuple[str, str], dict[str, int]] = {}
    for kind, reason, age, count in stats.backlog:
        grid.setdefault((kind, reason), {})[age] = count
    for (kind, reason), by_age in sorted(grid.items()):
        backlog.add_row(kind, reason, *(str(by_age.get(b, 0)) for b in labels), str(sum(by_age.values())))
    console.print(backlog)

    throughput = Table(title="Throughput per moderator")
    for col in ("moderator", "decided", "last 24h", "last hour"):
        throughput.add_column(col, justify="left" if col == "moderator" else "right")
    for t in stats.throughput:
        throughput.add_row(t.moderator, str(t.decided), str(t.last_24h), str(t.last_hour))
    console.print(throughput)

    for name, title in (("by_moderator", "Agreement with second review, per moderator"),
                        ("by_reason", "Agreement with second review, per reason code"),
                        ("gold_by_moderator", "Gold cases, per moderator")):
        table = Table(title=title)
        for col in ("key", "pairs", "same decision+reason", "same decision"):
            table.add_column(col, justify="left" if col == "key" else "right")
        for row in getattr(stats.agreement, name):
            table.add_row(row.key, str(row.pairs), f"{row.rate:.1%}", f"{row.decision_rate:.1%}")
        console.print(table)
