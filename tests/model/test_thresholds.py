"""Thresholds from targets: the cuts meet the targets on the rows they were chosen on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.model import Thresholds, band_mask, choose_thresholds, evaluate_thresholds


def _separable(n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.1).astype(int)
    scores = np.clip(np.where(labels == 1, rng.normal(0.8, 0.1, n), rng.normal(0.2, 0.1, n)), 0, 1)
    return scores, labels


def test_perfectly_separated_scores_are_all_automated():
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    labels = np.array([0, 0, 0, 1, 1, 1])
    report = choose_thresholds(
        scores, labels, target_block_precision=0.99, target_approve_violation_rate=0.0
    )
    assert report.thresholds.block_at == 0.7
    assert report.thresholds.approve_below == 0.7
    assert report.automation_rate == 1.0
    assert report.block_precision == 1.0 and report.approve_violation_rate == 0.0


def test_block_cut_is_the_lowest_that_keeps_the_precision():
    # From the top: 1,1,1,1,0,1 ... precision of the top 6 is 5/6.
    scores = np.array([0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.1])
    labels = np.array([1, 1, 1, 1, 0, 1, 0])
    report = choose_thresholds(
        scores, labels, target_block_precision=0.8, target_approve_violation_rate=0.0
    )
    assert report.thresholds.block_at == 0.7
    strict = choose_thresholds(
        scores, labels, target_block_precision=1.0, target_approve_violation_rate=0.0
    )
    assert strict.thresholds.block_at == 0.8
    # With no violation allowed among approvals, only the clean 0.1 row is approved: 0.7 is bad.
    assert strict.thresholds.approve_below == 0.7


def test_ties_get_one_decision():
    scores = np.array([0.5, 0.5, 0.5, 0.9])
    labels = np.array([0, 1, 0, 1])
    report = choose_thresholds(
        scores, labels, target_block_precision=0.99, target_approve_violation_rate=0.0
    )
    decided = (scores >= report.thresholds.block_at) | (scores < report.thresholds.approve_below)
    assert len(set(decided[:3].tolist())) == 1


def test_targets_hold_on_the_chosen_rows():
    scores, labels = _separable()
    report = choose_thresholds(
        scores, labels, target_block_precision=0.99, target_approve_violation_rate=0.003
    )
    assert report.block_precision >= 0.99
    assert report.approve_violation_rate <= 0.003
    assert 0.5 < report.automation_rate <= 1.0
    assert report.thresholds.approve_below <= report.thresholds.block_at


def test_a_confidence_margin_makes_the_cuts_more_cautious():
    scores, labels = _separable(n=600, seed=3)
    point = choose_thresholds(scores, labels, z=0.0)
    bound = choose_thresholds(scores, labels, z=2.0)
    assert bound.thresholds.block_at >= point.thresholds.block_at
    assert bound.thresholds.approve_below <= point.thresholds.approve_below
    assert bound.automation_rate <= point.automation_rate


def test_unreachable_block_target_blocks_nothing():
    # block_at = 1.0 means "never": FraudModel's probabilities stay below 1.
    scores = np.array([0.9, 0.8, 0.1])
    labels = np.array([0, 1, 0])
    report = choose_thresholds(scores, labels, target_block_precision=0.99)
    assert report.thresholds.block_at == 1.0
    assert report.block_rate == 0.0
    assert math.isnan(report.block_precision)


def test_band_is_the_rows_between_the_cuts():
    t = Thresholds(approve_below=0.2, block_at=0.8)
    assert band_mask(np.array([0.1, 0.2, 0.5, 0.8, 0.9]), t).tolist() == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_evaluate_reports_rates_and_metrics():
    t = Thresholds(approve_below=0.3, block_at=0.7)
    report = evaluate_thresholds(np.array([0.1, 0.2, 0.5, 0.8, 0.9]), np.array([0, 1, 1, 1, 0]), t)
    assert report.automation_rate == pytest.approx(0.8)
    assert report.block_precision == pytest.approx(0.5)
    assert report.approve_violation_rate == pytest.approx(0.5)
    assert report.block_recall == pytest.approx(1 / 3)
    assert report.review_recall == pytest.approx(2 / 3)
    metrics = report.as_metrics("test_")
    assert metrics["test_block_at"] == 0.7 and metrics["test_n"] == 5.0


@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([], [], "at least one held-out row"),
        ([0.1, 0.2], [0], "equally long"),
        ([0.1, float("nan")], [0, 1], "NaN"),
    ],
)
def test_bad_input_is_rejected(scores, labels, message):
    with pytest.raises(ValueError, match=message):
        choose_thresholds(np.array(scores, dtype=float), np.array(labels))


def test_bad_targets_are_rejected():
    with pytest.raises(ValueError, match="targets"):
        choose_thresholds(np.array([0.1]), np.array([0]), target_block_precision=1.5)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 0.999999, allow_nan=False), st.booleans()), min_size=1, max_size=80
    ),
    st.floats(0.5, 1.0),
    st.floats(0.0, 0.2),
)
def test_chosen_cuts_always_meet_their_targets(rows, precision, violation_rate):
    scores = np.array([s for s, _ in rows])
    labels = np.array([int(b) for _, b in rows])
    report = choose_thresholds(
        scores,
        labels,
        target_block_precision=precision,
        target_approve_violation_rate=violation_rate,
    )
    assert report.thresholds.approve_below <= report.thresholds.block_at
    if report.block_rate > 0:
        assert report.block_precision >= precision - 1e-12
    if report.approve_rate > 0:
        assert report.approve_violation_rate <= violation_rate + 1e-12


def test_approve_cut_never_exceeds_the_score_cap():
    # 1 000 clean rows dilute 3 violations among 10 rows at 0.6 (too mixed to block): the
    # aggregate target alone approves them.
    scores = np.concatenate([np.full(1000, 0.05), np.full(10, 0.6), np.full(20, 0.95)])
    labels = np.concatenate([np.zeros(1000), np.ones(3), np.zeros(7), np.ones(20)]).astype(int)
    loose = choose_thresholds(scores, labels, target_approve_violation_rate=0.005)
    assert loose.thresholds.approve_below > 0.6
    capped = choose_thresholds(
        scores, labels, target_approve_violation_rate=0.005, max_approve_score=0.2
    )
    assert capped.thresholds.approve_below == 0.2
    assert capped.approve_violation_rate == 0.0
    with pytest.raises(ValueError, match="max_approve_score"):
        choose_thresholds(scores, labels, max_approve_score=1.5)
