"""Drift between two runs: is today's day scored like the one before? — pure.

A run report (``moderation.report``) carries the fraud-score histogram, the decision mix and every
rule's hit count. Comparing it with a baseline run (usually the previous day's) answers what an ML
engineer and the policy team watch for: the score distribution moving (population stability
index, PSI), the share sent to people jumping, and a rule suddenly hitting far more or far less
than it did. A change of model or ruleset version between the two runs is reported too, since it
explains most shifts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["SCORE_BINS", "score_histogram", "psi", "compare_runs", "DriftLimits"]

SCORE_BINS = 20  # equal-width bins of the fraud score over [0, 1]


@dataclass(frozen=True)
class DriftLimits:
    """When a change is worth an alert. PSI above 0.25 is the usual "the population moved"."""

    score_psi: float = 0.25
    share_points: float = 0.02  # a decision share moving by more than 2 percentage points
    rule_ratio: float = 3.0  # a rule hitting 3x more (or 3x less) often than in the baseline
    rule_min_hits: int = 50  # ... counted only where either run has this many hits


def score_histogram(scores: np.ndarray) -> np.ndarray:
    """Counts of finite scores in ``SCORE_BINS`` equal bins over [0, 1] (1.0 in the last)."""
    scores = np.asarray(scores, dtype=np.float64)
    scores = scores[np.isfinite(scores)]
    bins = np.clip((scores * SCORE_BINS).astype(np.int64), 0, SCORE_BINS - 1)
    return np.bincount(bins, minlength=SCORE_BINS)


def psi(expected: np.ndarray, actual: np.ndarray, floor: float = 1e-4) -> float:
    """Population stability index of two histograms over the same bins (0 = same shape).

    Empty bins are floored at ``floor`` of the mass, so a bin that empties does not give infinity.
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if e.shape != a.shape:
        raise ValueError(f"histograms must have the same bins. Got {e.shape} and {a.shape} instead.")
    if e.sum() == 0 or a.sum() == 0:
        return float("nan")
    e = np.maximum(e / e.sum(), floor)
    a = np.maximum(a / a.sum(), floor)
    return float(np.sum((a - e) * np.log(a / e)))


def _share(report: Mapping, key: str) -> float:
    decided = report.get("rows_decided") or 0
    return report.get(key, 0) / decided if decided else float("nan")


def compare_runs(current: Mapping, baseline: Mapping, limits: DriftLimits = DriftLimits()) -> dict:
    """How ``current`` differs from ``baseline`` (two run reports), with the alerts it raises."""
    alerts: list[str] = []
    out: dict = {"baseline_run_id": baseline.get("run_id")}

    cur_hist, base_hist = current.get("score_histogram"), baseline.get("score_histogram")
    if cur_hist and base_hist:
        out["score_psi"] = psi(base_hist, cur_hist)
        if out["score_psi"] > limits.score_psi:
            alerts.append(f"fraud score distribution moved: PSI {out['score_psi']:.3f} "
                          f"(alert above {limits.score_psi})")

    shares = {}
    for key in ("approved", "blocked", "review"):
        now, before = _share(current, key), _share(baseline, key)
        shares[key] = {"share": now, "baseline": before, "points": now - before}
        if abs(now - before) > limits.share_points:
            alerts.append(f"{key} share {now:.2%} against {before:.2%} in the baseline run")
    out["decision_shares"] = shares

    rows_now, rows_before = current.get("rows_decided") or 0, baseline.get("rows_decided") or 0
    rules = []
    for kind in ("rule_hit_counts", "shadow_hits"):
        now_hits, before_hits = current.get(kind) or {}, baseline.get(kind) or {}
        for rule in sorted(set(now_hits) | set(before_hits)):
            n, b = now_hits.get(rule, 0), before_hits.get(rule, 0)
            if max(n, b) < limits.rule_min_hits or not rows_now or not rows_before:
                continue
            rate_now, rate_before = n / rows_now, b / rows_before
            ratio = rate_now / rate_before if rate_before else float("inf")
            if ratio >= limits.rule_ratio or ratio <= 1 / limits.rule_ratio:
                rules.append({"rule": rule, "shadow": kind == "shadow_hits", "rate": rate_now,
                              "baseline_rate": rate_before, "ratio": ratio})
                what = "shadow rule" if kind == "shadow_hits" else "rule"
                alerts.append(f"{what} {rule} hit {rate_now:.3%} of listings against "
                              f"{rate_before:.3%} in the baseline run")
    out["rules_moved"] = rules

    for key in ("model_version", "ruleset_version"):
        if current.get(key) != baseline.get(key):
            out[f"{key}_changed"] = [baseline.get(key), current.get(key)]
    out["alerts"] = alerts
    return out
