"""Drift between runs: PSI of the score histogram, decision mix and rules that suddenly move."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moderation.monitoring import DriftLimits, compare_runs, psi, score_histogram


def _report(scores, *, approved=900, blocked=60, review=40, rules=None, shadow=None, run_id="r1",
            model="fraud/1"):
    return {
        "run_id": run_id, "rows_decided": approved + blocked + review, "approved": approved,
        "blocked": blocked, "review": review, "score_histogram": score_histogram(scores).tolist(),
        "rule_hit_counts": rules or {}, "shadow_hits": shadow or {}, "model_version": model,
        "ruleset_version": "abc",
    }


def test_histogram_bins_cover_zero_to_one_and_skip_missing_scores():
    hist = score_histogram(np.array([0.0, 0.049, 0.05, 0.999, 1.0, np.nan]))
    assert hist.sum() == 5
    assert (hist[0], hist[1], hist[-1]) == (2, 1, 2)


def test_psi_is_zero_for_the_same_shape_and_grows_with_the_shift():
    rng = np.random.default_rng(0)
    base = score_histogram(rng.beta(1, 8, 50_000))
    same = score_histogram(rng.beta(1, 8, 20_000))  # same population, other size
    moved = score_histogram(rng.beta(2, 5, 20_000))
    assert psi(base, same) < 0.01
    assert psi(base, moved) > 0.25
    assert psi(base, base * 3) == pytest.approx(0.0)
    assert math.isnan(psi(base, np.zeros_like(base)))
    with pytest.raises(ValueError, match="same bins"):
        psi(base, base[:5])


def test_a_stable_day_raises_no_alert():
    rng = np.random.default_rng(1)
    before = _report(rng.beta(1, 8, 1000), rules={"phone_in_text": 120})
    now = _report(rng.beta(1, 8, 1000), rules={"phone_in_text": 131}, run_id="r2")
    drift = compare_runs(now, before)
    assert drift["alerts"] == [] and drift["rules_moved"] == []
    assert drift["baseline_run_id"] == "r1"
    assert "model_version_changed" not in drift


def test_moved_scores_mix_and_rules_are_named():
    rng = np.random.default_rng(2)
    before = _report(rng.beta(1, 8, 1000), rules={"phone_in_text": 120, "old_rule": 200},
                     shadow={"new_scam": 5})
    now = _report(rng.beta(2, 4, 1000), approved=850, review=90, rules={"phone_in_text": 118},
                  shadow={"new_scam": 400}, run_id="r2", model="fraud/2")
    drift = compare_runs(now, before)
    text = "\n".join(drift["alerts"])
    assert "PSI" in text and "review share 9.00%" in text
    assert "rule old_rule hit 0.000%" in text and "shadow rule new_scam hit 40.000%" in text
    assert "phone_in_text" not in text
    assert drift["model_version_changed"] == ["fraud/1", "fraud/2"]
    assert {r["rule"] for r in drift["rules_moved"]} == {"old_rule", "new_scam"}


def test_limits_are_the_callers_to_set():
    rng = np.random.default_rng(3)
    before = _report(rng.beta(1, 8, 1000), review=40)
    now = _report(rng.beta(1, 8, 1000), approved=890, review=50)
    assert compare_runs(now, before)["alerts"] == []
    strict = compare_runs(now, before, DriftLimits(share_points=0.005))
    assert strict["alerts"] == ["approved share 89.00% against 90.00% in the baseline run",
                                "review share 5.00% against 4.00% in the baseline run"]
