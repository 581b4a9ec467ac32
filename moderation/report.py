"""The run report: counts, shares and quality figures of one daily run — pure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from moderation.monitoring import SCORE_BINS, score_histogram

__all__ = ["RunTally", "truth_metrics", "format_summary"]


@dataclass
class RunTally:
    """Running totals, updated batch by batch."""

    rows_in: int = 0
    rows_quarantined: int = 0
    decisions: Counter = field(default_factory=Counter)
    decided_by: Counter = field(default_factory=Counter)
    rule_hits: Counter = field(default_factory=Counter)
    shadow_hits: Counter = field(default_factory=Counter)
    quarantine_reasons: Counter = field(default_factory=Counter)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(SCORE_BINS, dtype=np.int64))

    def add(self, rows_in: int, decisions: pl.DataFrame, quarantine: pl.DataFrame) -> None:
        self.rows_in += rows_in
        self.rows_quarantined += quarantine.height
        self.decisions.update(dict(decisions["decision"].value_counts().iter_rows()))
        self.decided_by.update(dict(decisions["decided_by"].value_counts().iter_rows()))
        self.scores += score_histogram(decisions["fraud_score"].to_numpy())
        for column, counter in (("rule_hits", self.rule_hits), ("shadow_hits", self.shadow_hits)):
            exploded = decisions[column].explode().drop_nulls()
            counter.update(dict(exploded.value_counts().iter_rows()))
        # Quarantine reasons carry the bad value; count by field and kind ("price: negative").
        kinds = quarantine["reason"].str.replace(r"\s*[\('].*$", "")
        self.quarantine_reasons.update(dict(kinds.value_counts().iter_rows()))

    def as_report(self) -> dict:
        decided = sum(self.decisions.values())
        approved, blocked, review = (self.decisions.get(k, 0) for k in ("approve", "block", "review"))
        return {
            "rows_in": self.rows_in,
            "rows_quarantined": self.rows_quarantined,
            "rows_decided": decided,
            "approved": approved,
            "blocked": blocked,
            "review": review,
            "automation_rate": (approved + blocked) / decided if decided else 0.0,
            "decided_by": dict(self.decided_by),
            "rule_hit_counts": dict(self.rule_hits.most_common()),  # most hits first
            "score_histogram": self.scores.tolist(),  # fraud scores in equal bins over [0, 1]
            "shadow_hits": dict(self.shadow_hits.most_common()),
            "quarantine_reasons": dict(self.quarantine_reasons.most_common()),
        }


def truth_metrics(decisions: pl.LazyFrame, truth: pl.LazyFrame) -> dict:
    """Quality of automatic decisions against ground truth (``violation`` != 'ok' is bad).

    When the truth flags ``label_noise`` (the recorded label is wrong, as the generator marks it),
    the headline figures use the corrected label and ``*_recorded`` ones the label as recorded.
    """
    names = truth.collect_schema().names()
    noise = pl.col("label_noise").fill_null(False) if "label_noise" in names else pl.lit(False)
    joined = decisions.select("listing_id", "decision").join(
        truth.select(pl.col("listing_id").cast(pl.String), "violation", noise.alias("_noise")),
        on="listing_id",
        how="left",
    )
    recorded_bad = pl.col("violation").is_not_null() & (pl.col("violation") != "ok")
    true_bad = recorded_bad ^ (pl.col("violation").is_not_null() & pl.col("_noise"))
    metrics = _quality(joined, true_bad)
    if "label_noise" in names:
        recorded = _quality(joined, recorded_bad)
        metrics |= {f"{k}_recorded": v for k, v in recorded.items() if k != "truth_rows_matched"}
    return metrics


def _quality(joined: pl.LazyFrame, bad: pl.Expr) -> dict:
    row = joined.select(
        blocked=(pl.col("decision") == "block").sum(),
        blocked_bad=((pl.col("decision") == "block") & bad).sum(),
        approved=(pl.col("decision") == "approve").sum(),
        approved_bad=((pl.col("decision") == "approve") & bad).sum(),
        violations=bad.sum(),
        violations_caught=(bad & (pl.col("decision") != "approve")).sum(),
        matched=pl.col("violation").is_not_null().sum(),
    ).collect().row(0, named=True)
    return {
        "block_precision": row["blocked_bad"] / row["blocked"] if row["blocked"] else None,
        "approve_violation_rate": row["approved_bad"] / row["approved"] if row["approved"] else None,
        "violation_recall": row["violations_caught"] / row["violations"] if row["violations"] else None,
        "truth_rows_matched": row["matched"],
    }


def _share(part: int, whole: int) -> str:
    return f"{part:>10,}  ({part / whole:6.2%})" if whole else f"{part:>10,}"


def format_summary(report: dict) -> str:
    """The short human summary printed at the end of a run."""
    decided = report["rows_decided"]
    lines = [
        f"run {report['run_id']}  ({report['input']})",
        f"  rows in        {report['rows_in']:>10,}",
        f"  approved     {_share(report['approved'], decided)}",
        f"  blocked      {_share(report['blocked'], decided)}",
        f"  review       {_share(report['review'], decided)}",
        f"  quarantined  {_share(report['rows_quarantined'], report['rows_in'])}",
        f"  automation rate  {report['automation_rate']:.2%}",
    ]
    if report.get("block_precision") is not None or report.get("approve_violation_rate") is not None:
        bp, avr = report.get("block_precision"), report.get("approve_violation_rate")
        lines.append(
            "  vs truth: block precision "
            + (f"{bp:.4f}" if bp is not None else "n/a")
            + ", violations among approvals "
            + (f"{avr:.3%}" if avr is not None else "n/a")
        )
        if report.get("block_precision_recorded") is not None:
            lines.append(
                f"    (against labels as recorded, noise included: block precision "
                f"{report['block_precision_recorded']:.4f}, violations among approvals "
                f"{report.get('approve_violation_rate_recorded') or 0:.3%})"
            )
    if report["rule_hit_counts"]:
        top = ", ".join(f"{k} {v:,}" for k, v in list(report["rule_hit_counts"].items())[:5])
        lines.append(f"  top rule hits  {top}")
    lines.append(
        f"  speed  {report['rows_per_s']:,.0f} rows/s  ({report['seconds']:.1f} s)"
        f"   model {report['model_version']}   ruleset {report['ruleset_version'][:12]}"
    )
    drift = report.get("drift")
    if drift:
        psi = drift.get("score_psi")
        lines.append(f"  drift vs run {drift['baseline_run_id']}: score PSI "
                     + (f"{psi:.3f}" if psi is not None else "n/a")
                     + (f", {len(drift['alerts'])} alert(s)" if drift["alerts"] else ", no alerts"))
        lines.extend(f"    ! {alert}" for alert in drift["alerts"])
    if report.get("tracking_error"):
        lines.append(f"  MLflow tracking failed (outputs are complete): {report['tracking_error']}")
    elif report.get("tracking_run_id"):
        lines.append(f"  tracked in MLflow: experiment {report['tracking_experiment']}, "
                     f"run {report['tracking_run_id']}")
    if "review_cases_added" in report:
        lines.append(f"  review queue   +{report['review_cases_added']:,} new cases  ({report['queue_url']})")
    return "\n".join(lines)
