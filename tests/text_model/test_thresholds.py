"""Thresholds meet their targets on the data they were chosen on, and are the boldest that do."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from moderation.text_model import TextThresholds, choose_text_thresholds


def _block_precision(scores, y, block_at):
    chosen = scores >= block_at
    return y[chosen].mean(), chosen.sum()


def test_separable_scores_block_and_approve_everything_on_their_side():
    scores = np.r_[np.linspace(0.0, 0.2, 50), np.linspace(0.8, 1.0, 50)]
    y = np.r_[np.zeros(50, bool), np.ones(50, bool)]
    th = choose_text_thresholds(scores, y, min_support=10, confidence=None)
    assert th.block_at == pytest.approx(0.8)
    assert (scores < th.approve_below).sum() == 50
    assert (scores >= th.block_at).sum() == 50


def test_one_violation_among_low_scores_limits_approvals():
    # 1000 ok rows at 0.01..0.5 and one violation at 0.3: approving through 0.3 would give
    # 1/~600 = 0.17 % violations (allowed); with a 0.05 % target it must stop below 0.3.
    scores = np.r_[np.linspace(0.01, 0.5, 1000), [0.3]]
    y = np.r_[np.zeros(1000, bool), [True]]
    loose = choose_text_thresholds(
        scores, y, approve_violation_share=0.003, min_support=10, confidence=None
    )
    strict = choose_text_thresholds(
        scores, y, approve_violation_share=0.0005, min_support=10, confidence=None
    )
    assert loose.approve_below > 0.3
    assert strict.approve_below <= 0.3
    for th in (loose, strict):
        approved = scores < th.approve_below
        assert y[approved].mean() <= th.approve_violation_share


def test_too_little_support_switches_a_side_off():
    scores = np.array([0.1, 0.2, 0.9, 0.95])
    y = np.array([False, False, True, True])
    th = choose_text_thresholds(scores, y, min_support=20)
    assert th.block_at is None and th.approve_below is None


def test_noisy_top_scores_block_nothing_when_precision_is_out_of_reach():
    scores = np.linspace(0, 1, 200)
    y = np.random.default_rng(0).random(200) < 0.5  # scores carry no signal
    th = choose_text_thresholds(scores, y, min_support=20)
    assert th.block_at is None


def test_bad_input_is_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="same length"):
        choose_text_thresholds(np.zeros(3), np.zeros(4, bool))
    with pytest.raises(ValueError, match=r"block_at must be in \[0, 1\]"):
        TextThresholds(block_at=1.5, approve_below=0.1)
    with pytest.raises(ValueError, match="approve_below <= block_at"):
        TextThresholds(block_at=0.2, approve_below=0.5)


def test_round_trips_through_a_dict():
    th = TextThresholds(block_at=0.97, approve_below=None, block_precision=0.995)
    assert TextThresholds.from_dict(th.to_dict()) == th


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=300),
    st.integers(1, 30),
)
@example(rows=[(1.0, False)], min_support=1)  # a clean row at score 1.0 cannot be approved by a cut <= 1
def test_chosen_thresholds_always_meet_both_targets_and_are_boldest(rows, min_support):
    scores = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    th = choose_text_thresholds(
        scores,
        y,
        block_precision=0.9,
        approve_violation_share=0.1,
        min_support=min_support,
        confidence=None,
    )
    if th.block_at is not None:
        precision, count = _block_precision(scores, y, th.block_at)
        assert precision >= 0.9 and count >= min_support
        # the next lower distinct score would break a target (or there is none)
        lower = scores[scores < th.block_at]
        for s in np.unique(lower):
            p, c = _block_precision(scores, y, s)
            assert p < 0.9 or c < min_support
    if th.approve_below is not None:
        approved = (scores < th.approve_below) & ~(
            scores >= th.block_at if th.block_at is not None else False
        )
        assert approved.sum() >= 1
        assert y[scores < th.approve_below].mean() <= 0.1 or th.approve_below == th.block_at


def test_with_confidence_a_small_clean_held_out_set_proves_nothing():
    # 360 held-out rows, perfectly separated: the point estimates say "0 % / 100 %", but zero
    # violations among 280 approvals only bound the share by ~1 %, and 80 correct blocks bound
    # precision by ~96 %: neither target is proven, so both sides stay with people.
    scores = np.r_[np.linspace(0.0, 0.2, 280), np.linspace(0.8, 1.0, 80)]
    y = np.r_[np.zeros(280, bool), np.ones(80, bool)]
    assert choose_text_thresholds(scores, y, confidence=None).approve_below is not None
    th = choose_text_thresholds(scores, y)  # confidence 0.95 by default
    assert th.block_at is None and th.approve_below is None


def test_with_confidence_enough_clean_rows_prove_the_targets():
    scores = np.r_[np.linspace(0.0, 0.2, 3000), np.linspace(0.8, 1.0, 600)]
    y = np.r_[np.zeros(3000, bool), np.ones(600, bool)]
    y[10] = True  # one violation among the low scores
    th = choose_text_thresholds(scores, y)
    blocked = scores >= th.block_at
    assert blocked[-600:].all() and y[blocked].mean() >= 0.99
    approved = scores < th.approve_below
    # 1 violation needs ~1 600 clean approvals for a 95 % bound of 0.3 %
    assert 1500 < approved.sum() <= 3000 and y[approved].sum() <= 1
