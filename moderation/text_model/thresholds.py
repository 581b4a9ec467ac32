"""Thresholds for the text stage, chosen on held-out data from the precision targets — pure.

The stage may only decide where its own measured precision allows: block where the share of
violations among its blocks is at least ``block_precision``, approve where the share of violations
among its approvals is at most ``approve_violation_share``. A side with too little held-out support
to measure that is switched off (``None``) rather than guessed: the stage then leaves those cases
to people, which is always safe.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["TextThresholds", "choose_text_thresholds"]


@dataclass(frozen=True)
class TextThresholds:
    """Scores >= block_at become blocks, scores < approve_below approvals; ``None`` = never."""

    block_at: float | None
    approve_below: float | None
    block_precision: float = 0.99
    approve_violation_share: float = 0.003

    def __post_init__(self) -> None:
        for name in ("block_at", "approve_below"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(
                    f"text threshold {name} must be in [0, 1] or null. Got {value!r} instead."
                )
        if (
            self.block_at is not None
            and self.approve_below is not None
            and self.approve_below > self.block_at
        ):
            raise ValueError(
                f"text thresholds must satisfy approve_below <= block_at. "
                f"Got approve_below={self.approve_below}, block_at={self.block_at} instead."
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TextThresholds:
        return cls(**data)


def choose_text_thresholds(
    scores: np.ndarray,
    is_violation: np.ndarray,
    *,
    block_precision: float = 0.99,
    approve_violation_share: float = 0.003,
    min_support: int = 20,
    confidence: float | None = 0.95,
) -> TextThresholds:
    """The boldest thresholds whose targets hold on (scores, labels) with ``confidence``.

    block_at: the lowest score s such that, among held-out rows with score >= s, the violation
    share is >= ``block_precision`` and there are at least ``min_support`` of them.
    approve_below: the highest s such that, among rows with score < s, the violation share is
    <= ``approve_violation_share`` with at least ``min_support`` of them.

    With ``confidence`` (the default), "is" means the one-sided Clopper-Pearson bound, not the
    point estimate: a few hundred held-out rows with no mistake do not prove a 0.3 % miss rate
    (zero violations among n approvals bounds the share by about 3/n), and a stage trained on
    a small band then leaves that side to people. ``None`` uses the point estimates.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(is_violation, dtype=bool)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(
            f"scores and labels must be 1-d and the same length. Got {scores.shape} and {labels.shape} instead."
        )
    if scores.size == 0:
        return TextThresholds(None, None, block_precision, approve_violation_share)

    order = np.argsort(-scores, kind="stable")  # descending
    s_desc, y_desc = scores[order], labels[order]
    # Only cut between distinct scores: a tie cannot be split by a threshold.
    last_of_tie = np.r_[s_desc[1:] != s_desc[:-1], True]

    n_top = np.arange(1, scores.size + 1)
    precision_top = _lower_bound(np.cumsum(y_desc), n_top, confidence)
    ok_block = last_of_tie & (precision_top >= block_precision) & (n_top >= min_support)
    block_at = float(s_desc[np.flatnonzero(ok_block)[-1]]) if ok_block.any() else None

    s_asc, y_asc = s_desc[::-1], y_desc[::-1]
    last_of_tie_asc = np.r_[s_asc[1:] != s_asc[:-1], True]
    n_bottom = np.arange(1, scores.size + 1)
    share_bottom = _upper_bound(np.cumsum(y_asc), n_bottom, confidence)
    ok_approve = (
        last_of_tie_asc & (share_bottom <= approve_violation_share) & (n_bottom >= min_support)
        & (s_asc < 1.0)  # thresholds live in [0, 1]: a score of 1.0 can never fall below one
    )
    approve_below = None
    if ok_approve.any():
        i = np.flatnonzero(ok_approve)[-1]
        # Approve strictly below the next higher score, so every row up to s_asc[i] is approved.
        approve_below = float(np.nextafter(s_asc[i], np.inf))
    if block_at is not None and approve_below is not None and approve_below > block_at:
        approve_below = block_at  # both targets met everywhere: blocks win the overlap
    return TextThresholds(block_at, approve_below, block_precision, approve_violation_share)


def _lower_bound(k: np.ndarray, n: np.ndarray, confidence: float | None) -> np.ndarray:
    """One-sided Clopper-Pearson lower bound of the share k/n (the point estimate without confidence)."""
    if confidence is None:
        return k / n
    from scipy.stats import beta

    with np.errstate(invalid="ignore"):
        bound = beta.ppf(1 - confidence, k, n - k + 1)
    return np.where(k == 0, 0.0, bound)


def _upper_bound(k: np.ndarray, n: np.ndarray, confidence: float | None) -> np.ndarray:
    """One-sided Clopper-Pearson upper bound of the share k/n (the point estimate without confidence)."""
    if confidence is None:
        return k / n
    from scipy.stats import beta

    with np.errstate(invalid="ignore"):
        bound = beta.ppf(confidence, k + 1, n - k)
    return np.where(k == n, 1.0, bound)
