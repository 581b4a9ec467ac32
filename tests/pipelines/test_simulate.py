"""The closed-loop simulation: its day metrics and verdicts (pure), and one tiny real run."""

from __future__ import annotations

import json

import polars as pl
import pytest

from pipelines.simulate import (
    DAY_COLUMNS,
    PolicyTeam,
    SimConfig,
    _as_seen,
    _day_metrics,
    _reject_why,
    _summary,
    _user_reports,
    format_table,
    simulate,
)


class _Rules:
    def __init__(self, active: int, shadow: int) -> None:
        self.active, self.shadow = (None,) * active, (None,) * shadow


def _scored() -> pl.DataFrame:
    return pl.DataFrame({
        "decision": ["block", "block", "approve", "approve", "review", "review"],
        "violation": ["spam", "ok", "ok", "fake_job", "ok", "prepayment_scam"],
        "pattern": ["", "", "", "", "drift_delivery_phishing", "drift_delivery_phishing"],
        "label_noise": [False, False, False, False, False, False],
        "rule_hits": [["a"], [], [], [], [], []],
        "shadow_hits": [[], [], [], [], ["promoted_x"], []],
    })


def test_day_metrics_measure_against_truth():
    m = _day_metrics(3, _scored(), _Rules(4, 2), {"promoted_x"})
    assert m["review_volume"] == 2 and m["automation_rate"] == pytest.approx(4 / 6)
    assert m["block_precision"] == m["block_precision_raw"] == 0.5
    assert m["violations_leaked"] == 1 and m["leak_rate"] == 0.5
    noisy = _scored().with_columns(pl.Series("label_noise", [False, True, False, False, False, False]))
    m2 = _day_metrics(3, noisy, _Rules(4, 2), {"promoted_x"})
    assert m2["block_precision"] == 1.0 and m2["block_precision_raw"] == 0.5
    assert (m["rules_active"], m["rules_shadow"]) == (4, 2)
    assert m["drift_listings"] == 2 and m["drift_covered_shadow"] == 0.5 and m["drift_covered_any"] == 0.5
    assert m["drift_covered_mined"] == 0.5
    assert _day_metrics(3, _scored(), _Rules(4, 2), set(), {"other"})["drift_covered_shadow"] == 0.0
    assert m["model_blocks"] == 0 and m["model_block_precision"] is None  # no decided_by: nothing to split


def test_day_metrics_keep_the_models_own_blocks_apart():
    frame = _scored().with_columns(decided_by=pl.Series(["rule", "model", "model", "model", "model", "model"]))
    m = _day_metrics(3, frame, _Rules(4, 2), set())
    assert m["model_blocks"] == 1 and m["model_block_precision"] == 0.0  # the model blocked the clean one
    assert m["block_precision"] == 0.5


def _table(review, precision, covered) -> pl.DataFrame:
    n = len(review)
    return pl.DataFrame({c: [0] * n for c in DAY_COLUMNS}).with_columns(
        day=pl.Series(range(1, n + 1)), review_volume=pl.Series(review),
        block_precision=pl.Series(precision, dtype=pl.Float64), drift_covered_shadow=pl.Series(covered, dtype=pl.Float64),
        drift_covered_any=pl.Series(covered, dtype=pl.Float64), drift_covered_mined=pl.Series(covered, dtype=pl.Float64),
        automation_rate=pl.Series([0.9] * n),
        model_version=pl.Series(["fraud/1"] * n), seconds=pl.Series([1.0] * n),
    )


def test_summary_checks_pass_and_fail_for_the_right_reasons():
    cfg = SimConfig(days=5, drift_day=2)
    good = _summary(_table([100, 90, 70, 60, 40], [1.0, 0.995, 0.99, 1.0, 1.0], [None, 0.0, 0.2, 0.8, 1.0]), cfg, 1.0)
    assert good["checks"] == {"review_volume_halved": True, "block_precision_at_least_0.99": True,
                              "drift_covered_within_2_days": True}
    assert good["drift_covered_day"] == 4 and good["days_to_cover_drift"] == 2
    bad = _summary(_table([100, 90, 80, 70, 60], [1.0, 0.98, 1.0, 1.0, 1.0], [None, 0.0, 0.0, 0.0, 0.6]), cfg, 1.0)
    assert bad["checks"] == {"review_volume_halved": False, "block_precision_at_least_0.99": False,
                             "drift_covered_within_2_days": False}
    text = format_table(bad)
    assert "NOT MET: <= 0.50" in text and "0.9800" in text and "3 day(s) after it appeared" in text


def test_moderators_judge_the_listing_not_its_deliberately_flipped_label():
    truth = pl.DataFrame({
        "violation": ["ok", "spam", "ok", "prepayment_scam"],
        "pattern": ["drift_delivery_phishing", "clean", "clean", "prepay_booking"],
        "label_noise": [True, True, False, False],
    })
    assert _as_seen(truth).to_list() == ["prepayment_scam", "ok", "ok", "prepayment_scam"]


def test_policy_team_rejects_imprecise_or_stale_shadow_rules_and_keeps_the_rest():
    team = PolicyTeam()
    assert "precision 0.900 on 60 checked hits" in _reject_why(True, 2, 60, 30, 0.90, team)
    assert _reject_why(True, 2, 40, 30, 0.90, team) == ""  # too few checks to judge yet
    assert _reject_why(True, 2, 60, 30, 0.97, team) == ""  # between reject and promote: keep shadowing
    assert "not promotable after 7 days" in _reject_why(True, 7, 40, 30, 0.97, team)
    assert _reject_why(False, 9, 10, 30, 0.97, team) == ""  # shipped shadow rules are not timed out


def test_buyers_report_approved_violations_only_at_the_stated_rates():
    import datetime as dt

    import numpy as np

    scored = pl.DataFrame({
        "listing_id": ["a", "b", "c", "d"],
        "decision": ["approve", "approve", "block", "review"],
        "seen_violation": ["spam", "ok", "spam", "spam"],
        "title": ["t"] * 4,
        "created_at": [dt.datetime(2026, 11, 3, 10)] * 4,
    })
    rng = np.random.default_rng(0)
    cases = _user_reports(scored, "user-reports-x", SimConfig(report_rate=1.0, false_report_rate=0.0), rng)
    assert [c.listing_id for c in cases] == ["a"]  # blocked and already-queued listings are not reported
    assert cases[0].reasons == ("user_report",) and cases[0].listing["created_at"].startswith("2026-11-03")
    assert _user_reports(scored, "r", SimConfig(report_rate=0.0, false_report_rate=0.0), rng) == []


def test_bad_drift_day_is_refused(tmp_path):
    with pytest.raises(ValueError, match="drift_day must be between 1 and days \\(3\\). Got 5 instead."):
        simulate(tmp_path, SimConfig(days=3, drift_day=5))


@pytest.mark.slow
def test_tiny_run_writes_table_plots_reports_and_leaves_shipped_rules_alone(tmp_path):
    from moderation.settings import PROJECT_ROOT

    shipped = {p: p.read_bytes() for p in (PROJECT_ROOT / "rules").rglob("*") if p.is_file()}
    lines: list[str] = []
    summary = simulate(tmp_path, SimConfig(days=2, drift_day=2, listings_per_day=1_500, retrain_every=0,
                                           model_trees=30, threshold_folds=2), log=lines.append)
    assert any("trained model version 1" in line and "block at" in line for line in lines)
    days = pl.read_csv(tmp_path / "days.csv")
    assert days["day"].to_list() == [1, 2] and days["listings"].to_list() == [1_500, 1_500]
    assert days["drift_listings"][0] == 0 and days["drift_listings"][1] > 0
    assert (days["reviewed"] > 0).all()
    assert (tmp_path / "simulation.png").stat().st_size > 1000
    assert (tmp_path / "suggestions" / "day01" / "report.md").is_file()
    assert json.loads((tmp_path / "summary.json").read_text())["checks"] == summary["checks"]
    assert {p: p.read_bytes() for p in (PROJECT_ROOT / "rules").rglob("*") if p.is_file()} == shipped


def test_withheld_rules_are_switched_off_in_the_simulations_copy_only(tmp_path):
    from moderation.rules import load_ruleset
    from moderation.settings import PROJECT_ROOT
    from pipelines.simulate import _settings

    shipped = (PROJECT_ROOT / "rules" / "prepayment_safe_deal_link.yaml").read_text(encoding="utf-8")
    settings = _settings(tmp_path, ("prepayment_safe_deal_link",))
    copy = (settings.rules_dir / "prepayment_safe_deal_link.yaml").read_text(encoding="utf-8")
    assert "status: disabled" in copy and "withheld from this run" in copy
    assert "status: shadow" in shipped
    assert (PROJECT_ROOT / "rules" / "prepayment_safe_deal_link.yaml").read_text(encoding="utf-8") == shipped
    ruleset = load_ruleset(settings.rules_dir)
    assert "prepayment_safe_deal_link" not in {r.id for r in ruleset.active + ruleset.shadow}
    assert not (tmp_path / "rules.partial").exists()
