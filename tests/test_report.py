import polars as pl

from moderation.report import RunTally, format_summary, truth_metrics


def test_truth_metrics_block_precision_and_approval_leak():
    decisions = pl.LazyFrame({
        "listing_id": ["a", "b", "c", "d", "e", "f"],
        "decision": ["block", "block", "approve", "approve", "approve", "review"],
    })
    truth = pl.LazyFrame({
        "listing_id": ["a", "b", "c", "d", "e", "f"],
        "violation": ["spam", "ok", "ok", "ok", "fake_job", "spam"],
    })
    m = truth_metrics(decisions, truth)
    assert m["block_precision"] == 0.5
    assert abs(m["approve_violation_rate"] - 1 / 3) < 1e-12
    assert m["violation_recall"] == 2 / 3  # a (blocked) and f (reviewed) of a, e, f
    assert m["truth_rows_matched"] == 6


def test_flagged_label_noise_is_corrected_and_recorded_figures_kept():
    decisions = pl.LazyFrame({"listing_id": ["a", "b", "c", "d"], "decision": ["block", "block", "approve", "approve"]})
    truth = pl.LazyFrame({
        "listing_id": ["a", "b", "c", "d"],
        "violation": ["spam", "ok", "ok", "ok"],
        # b is a real violation that was recorded as ok (the truth flags it as noise).
        "label_noise": [False, True, False, False],
    })
    m = truth_metrics(decisions, truth)
    assert m["block_precision"] == 1.0
    assert m["block_precision_recorded"] == 0.5
    assert m["approve_violation_rate"] == m["approve_violation_rate_recorded"] == 0.0


def test_tally_counts_and_summary_mentions_every_figure():
    tally = RunTally()
    decisions = pl.DataFrame({
        "decision": ["approve", "block", "review", "approve"],
        "decided_by": ["model", "rule", "model", "model"],
        "rule_hits": [[], ["r1"], [], []],
        "shadow_hits": [[], [], ["s1"], []],
        "fraud_score": [0.01, None, 0.5, 1.0],  # a rule decision may carry no model score
    })
    quarantine = pl.DataFrame({"reason": ["price: negative (-1.0)"]})
    tally.add(5, decisions, quarantine)
    report = tally.as_report() | {
        "run_id": "r", "input": "x.parquet", "rows_per_s": 10.0, "seconds": 0.5,
        "model_version": "fraud/1", "ruleset_version": "abcdef123456",
    }
    assert (report["rows_in"], report["rows_quarantined"], report["approved"], report["blocked"],
            report["review"]) == (5, 1, 2, 1, 1)
    assert report["automation_rate"] == 0.75
    assert report["quarantine_reasons"] == {"price: negative": 1}
    hist = report["score_histogram"]
    assert sum(hist) == 3 and hist[0] == 1 and hist[10] == 1 and hist[-1] == 1
    assert report["rule_hit_counts"] == {"r1": 1}
    text = format_summary(report)
    for needle in ("approved", "blocked", "review", "quarantined", "75.00%", "r1 1", "rows/s"):
        assert needle in text
