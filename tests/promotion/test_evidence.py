import datetime as dt

import polars as pl

from review_queue.promotion import (
    Candidate,
    Criteria,
    backtest,
    entity_condition,
    judge,
    measure,
    with_phone_norm,
)


def _cand(condition: str, cid: str = "c1", kind: str = "pattern", reason: str = "prepayment_scam") -> Candidate:
    return Candidate(id=cid, kind=kind, reason_code=reason, condition=condition)


def test_measure_counts_support_precision_coverage_and_overlap(decisions):
    cand = _cand("text_norm LIKE '%курьерской доставкой%' AND category = 'phones'")
    hits = pl.Series([["old_rule"] if i % 2 == 0 else [] for i in range(decisions.height)])
    ev = measure(cand, decisions, existing_hits=hits, blocking_rules=frozenset({"old_rule"}))
    assert ev["hits"] == ev["support"] == 30
    assert ev["precision"] == 1.0 and ev["coverage"] == 1.0
    assert ev["sellers"] == 30 and ev["days"] == 3
    assert 0.4 < ev["overlap_existing"] < 0.6  # every other row is hit by the old rule


def test_measure_precision_drops_with_approved_hits(decisions):
    ev = measure(_cand("category = 'phones'"), decisions)
    assert ev["approvals"] > 0
    assert ev["precision"] == ev["blocks"] / ev["hits"] < 1.0


def test_entity_condition_matches_form_and_text_phones(decisions):
    frame = with_phone_norm(decisions)
    hit = frame.select(pl.sql_expr(entity_condition("phone", "79123450001")).fill_null(False))
    assert int(hit.to_series().sum()) == frame.filter(pl.col("phone") == "8 912 345 00 01").height > 0
    assert entity_condition("seller", "o'neil") == "seller_id = 'o''neil'"


def test_backtest_per_day_automation_and_precision(decisions):
    history = decisions.with_columns(
        pl.col("created_at").dt.date().alias("day"),
        pl.when(pl.col("listing_id").str.starts_with("scam")).then(pl.lit("review")).otherwise(pl.lit("approve")).alias("decision"),
        pl.col("decision").alias("human_decision"),
        pl.when(pl.col("listing_id").str.starts_with("scam")).then(pl.lit("prepayment_scam")).otherwise(pl.lit("ok")).alias("violation"),
    )
    per_day = backtest(_cand("text_norm LIKE '%курьерской доставкой%'"), history)
    assert per_day["day"].to_list() == [dt.date(2026, 1, d) for d in (1, 2, 3)]
    assert per_day["hits"].sum() == 30 and per_day["from_review"].sum() == 30 and per_day["from_approve"].sum() == 0
    assert (per_day["automation_after"] > per_day["automation_before"]).all()
    assert per_day["precision_true"].to_list() == [1.0, 1.0, 1.0]


def test_judge_drops_weak_imprecise_and_redundant_with_reasons():
    def ev(support, precision, ids, **extra):
        return {"support": support, "precision": precision, "days": 2, "sellers": 3, "_hit_ids": set(ids), **extra}

    strong = Candidate("strong", "pattern", "spam", "x", evidence=ev(20, 1.0, range(20)))
    twin = Candidate("twin", "pattern", "spam", "y", evidence=ev(18, 1.0, range(18)))
    as_list = Candidate("as_list", "list", "spam", "z", evidence=ev(18, 1.0, range(18)))
    weak = Candidate("weak", "pattern", "spam", "w", evidence=ev(2, 1.0, [100, 101]))
    sloppy = Candidate("sloppy", "pattern", "spam", "v", evidence=ev(30, 0.8, range(200, 240)))
    covered = Candidate("covered", "pattern", "spam", "u", evidence=ev(9, 1.0, range(300, 309), overlap_existing=0.95))
    judged = {c.id: c for c in judge([weak, twin, strong, sloppy, covered, as_list], Criteria())}
    assert judged["strong"].verdict == "propose"
    assert judged["as_list"].verdict == "propose"  # lists and patterns complement each other
    assert judged["twin"].verdict == "drop" and judged["twin"].why.startswith("redundant: 100%")
    assert judged["weak"].why.startswith("weak: support 2 < 5")
    assert judged["sloppy"].why.startswith("imprecise: precision vs reviewers 0.800")
    assert judged["covered"].why.startswith("redundant: existing rules already catch 95%")
