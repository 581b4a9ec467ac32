"""Thresholds from targets: how bold automatic decisions may be, measured on held-out data.

``Thresholds`` is the decision policy's own (``moderation.decide``). Scores ``>= block_at`` are
blocked automatically, scores ``< approve_below`` approved
automatically; the band between goes to people (and, later, to the text stage: the rows with
``approve_below <= score < block_at``). ``block_at`` is the lowest cut whose block precision still
meets the target; ``approve_below`` the highest cut whose share of violations among approvals stays
within the target. With ``z > 0`` both checks use the Wilson bound rather than the point estimate,
so a cut chosen on a few hundred rows does not promise more than they can show.

``max_approve_score`` caps ``approve_below``: a sharp model leaves few rows in the middle, and the
aggregate target alone would then approve rows the model itself calls likely violations (their
violations hidden among many clean approvals) — and a day whose scores shift a little breaks the
target. The cap keeps each automatic approval individually plausible.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from moderation.decide import Thresholds

__all__ = ["Thresholds", "ThresholdReport", "choose_thresholds", "evaluate_thresholds", "band_mask"]


@dataclass(frozen=True)
class ThresholdReport:
    """What the thresholds give on the rows they were measured on."""

    thresholds: Thresholds
    n: int
    automation_rate: float
    block_rate: float
    approve_rate: float
    block_precision: float  # NaN when nothing is blocked
    block_recall: float  # share of violations blocked automatically
    approve_violation_rate: float  # NaN when nothing is approved
    review_recall: float  # share of violations not auto-approved (blocked or sent to people)

    def as_metrics(self, prefix: str = "") -> dict[str, float]:
        values = {k: v for k, v in asdict(self).items() if k != "thresholds"}
        values.update(asdict(self.thresholds))
        return {f"{prefix}{k}": float(v) for k, v in values.items()}


def _wilson(successes: np.ndarray, n: np.ndarray, z: float, upper: bool) -> np.ndarray:
    n = np.maximum(n, 1)
    p = successes / n
    if z == 0:
        return p
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + spread) / denom if upper else (centre - spread) / denom


def choose_thresholds(
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    target_block_precision: float = 0.99,
    target_approve_violation_rate: float = 0.003,
    z: float = 0.0,
    max_approve_score: float = 1.0,
) -> ThresholdReport:
    """Pick ``block_at`` and ``approve_below`` on held-out ``scores`` and 0/1 ``labels``.

    ``approve_below`` never exceeds ``max_approve_score`` (nor ``block_at``).
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(
            f"scores {scores.shape} and labels {labels.shape} must be 1-d and equally long."
        )
    if scores.size == 0:
        raise ValueError("choose_thresholds needs at least one held-out row.")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN.")
    if not 0 < target_block_precision <= 1 or not 0 <= target_approve_violation_rate < 1:
        raise ValueError("targets must be a precision in (0, 1] and a violation rate in [0, 1).")
    if not 0 <= max_approve_score <= 1:
        raise ValueError(f"max_approve_score must be in [0, 1]. Got {max_approve_score!r} instead.")

    # Cuts only fall between distinct scores, so tied rows always get the same decision.
    distinct = np.unique(scores)
    idx = np.searchsorted(distinct, scores)
    rows_at = np.bincount(idx, minlength=distinct.size)
    bad_at = np.bincount(idx, weights=labels, minlength=distinct.size)

    # Block everything >= distinct[i]: suffix sums.
    n_block = np.cumsum(rows_at[::-1])[::-1]
    tp_block = np.cumsum(bad_at[::-1])[::-1]
    ok_block = _wilson(tp_block, n_block, z, upper=False) >= target_block_precision
    # No cut meets the target: block nothing (scores are < 1.0 in practice).
    block_at = float(distinct[np.argmax(ok_block)]) if ok_block.any() else 1.0

    # Approve everything < distinct[i]: prefix sums before i; i == size means "approve all".
    n_approve = np.concatenate([[0], np.cumsum(rows_at)])
    bad_approve = np.concatenate([[0], np.cumsum(bad_at)])
    cuts = np.concatenate([distinct, [1.0]])
    ok_approve = (n_approve > 0) & (
        _wilson(bad_approve, n_approve, z, upper=True) <= target_approve_violation_rate
    )
    ok_approve &= cuts <= block_at
    approve_below = (
        float(cuts[np.flatnonzero(ok_approve)[-1]]) if ok_approve.any() else float(distinct[0])
    )
    approve_below = min(approve_below, block_at, max_approve_score)
    return evaluate_thresholds(scores, labels, Thresholds(approve_below, block_at))


def band_mask(scores: np.ndarray, thresholds: Thresholds) -> np.ndarray:
    """Rows the model leaves to people: ``approve_below <= score < block_at``."""
    scores = np.asarray(scores)
    return (scores >= thresholds.approve_below) & (scores < thresholds.block_at)


def evaluate_thresholds(
    scores: np.ndarray, labels: np.ndarray, thresholds: Thresholds
) -> ThresholdReport:
    """Automation rate, block precision and approval violation rate of given cuts."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    n = scores.size
    block = scores >= thresholds.block_at
    approve = scores < thresholds.approve_below
    positives = max(int(labels.sum()), 1)

    def share(mask_num: np.ndarray, mask_den: np.ndarray) -> float:
        den = int(mask_den.sum())
        return float(mask_num.sum()) / den if den else math.nan

    return ThresholdReport(
        thresholds=thresholds,
        n=n,
        automation_rate=float((block | approve).mean()) if n else math.nan,
        block_rate=float(block.mean()) if n else math.nan,
        approve_rate=float(approve.mean()) if n else math.nan,
        block_precision=share(block & labels, block),
        block_recall=float((block & labels).sum()) / positives,
        approve_violation_rate=share(approve & labels, approve),
        review_recall=float((~approve & labels).sum()) / positives,
    )
