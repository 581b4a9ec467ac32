"""apply_text_stage touches only the fraud model's uncertain band, at the stage's thresholds."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from moderation.decide import Thresholds, decide
from moderation.schema import DECISION_SCHEMA
from moderation.text_model import TextThresholds, apply_text_stage, band_mask, listing_texts
from tests.factories import make_listings


class KeywordStage:
    """A stand-in stage: violation probability from a keyword, so every outcome is known."""

    version = "text/7"

    def __init__(self, thresholds=TextThresholds(block_at=0.9, approve_below=0.1)):
        self.thresholds = thresholds
        self.calls: list[list[str]] = []

    def predict_proba(self, texts):
        self.calls.append(list(texts))
        p = np.array(
            [0.95 if "предоплата" in t else 0.05 if "самовывоз" in t else 0.5 for t in texts]
        )
        return np.c_[1 - p, p]


def _day():
    """Eight listings: rule block, rule review, rule approve (contested), three band rows, model approve/block."""
    descriptions = [
        "предоплата",  # 0 rule block
        "предоплата",  # 1 rule review
        "самовывоз",  # 2 rule approve, model says block -> contested review
        "только предоплата на карту",  # 3 band -> text block
        "самовывоз",  # 4 band -> text approve
        "звоните",  # 5 band -> stays review
        "предоплата",  # 6 model approve (low score) -> untouched
        "самовывоз",  # 7 model block -> untouched
    ]
    features = make_listings(8, description=descriptions)
    actions = ["block", "review", "approve", None, None, None, None, None]
    hits = pl.DataFrame(
        {
            "rule_hits": [["r1"], ["r2"], ["r3"], [], [], [], [], []],
            "shadow_hits": [[], [], [], [], ["s1"], [], [], []],
            "rule_action": actions,
            "rule_reasons": [["prepayment_scam"], ["spam"], ["ok"], [], [], [], [], []],
        },
        schema={
            "rule_hits": pl.List(pl.String),
            "shadow_hits": pl.List(pl.String),
            "rule_action": pl.String,
            "rule_reasons": pl.List(pl.String),
        },
    )
    scores = np.array([0.5, 0.5, 0.99, 0.5, 0.5, 0.5, 0.01, 0.99])
    decisions = decide(
        hits,
        scores,
        Thresholds(approve_below=0.2, block_at=0.9),
        listing_ids=features["listing_id"],
        run_id="run-1",
        model_version="fraud/3",
        ruleset_version="rs-abc",
    )
    return decisions, features


def test_band_is_exactly_the_model_uncertain_reviews():
    decisions, _ = _day()
    assert band_mask(decisions).to_list() == [False, False, False, True, True, True, False, False]


def test_only_band_rows_change_and_as_the_thresholds_say():
    decisions, features = _day()
    stage = KeywordStage()
    out = apply_text_stage(decisions, features, stage)

    assert out.schema == decisions.schema == pl.Schema(DECISION_SCHEMA)
    assert out["listing_id"].to_list() == decisions["listing_id"].to_list()
    assert out["decision"].to_list()[3:6] == ["block", "approve", "review"]
    assert out["reasons"].to_list()[3:6] == [["text_model_high_risk"], ["ok"], ["model_uncertain"]]
    assert out["decided_by"].to_list()[3:6] == ["model"] * 3
    assert (
        out["model_version"].to_list() == ["fraud/3"] * 3 + ["fraud/3+text/7"] * 3 + ["fraud/3"] * 2
    )
    # the stage saw only the band's texts, built the same way training builds them
    assert stage.calls == [listing_texts(features[3:6])]
    # every other row (rules, contested approval, confident model) is byte-for-byte unchanged
    untouched = [0, 1, 2, 6, 7]
    assert out[untouched].equals(decisions[untouched])
    # columns the stage never decides stay as they were
    for column in ("rule_hits", "shadow_hits", "fraud_score", "run_id", "ruleset_version"):
        assert out[column].equals(decisions[column])


def test_rule_decisions_never_change_whatever_the_stage_says():
    decisions, features = _day()
    reckless = KeywordStage(TextThresholds(block_at=0.0, approve_below=0.0))  # blocks everything
    out = apply_text_stage(decisions, features, reckless)
    rule_rows = decisions["decided_by"] == "rule"
    assert out.filter(rule_rows).equals(decisions.filter(rule_rows))
    assert out["decision"].to_list()[3:6] == ["block"] * 3


def test_a_stage_with_both_sides_switched_off_is_not_run():
    decisions, features = _day()
    stage = KeywordStage(TextThresholds(None, None))
    assert apply_text_stage(decisions, features, stage).equals(decisions)
    assert stage.calls == []


def test_no_band_rows_means_no_scoring():
    decisions, features = _day()
    no_band = decisions.with_columns(pl.lit("approve").alias("decision"))
    stage = KeywordStage()
    assert apply_text_stage(no_band, features, stage).equals(no_band)
    assert stage.calls == []


def test_empty_batch():
    decisions, features = _day()
    assert apply_text_stage(decisions.head(0), features.head(0), KeywordStage()).height == 0


def test_frames_must_be_row_aligned():
    decisions, features = _day()
    with pytest.raises(ValueError, match="row-aligned"):
        apply_text_stage(decisions, features.head(5), KeywordStage())
    with pytest.raises(ValueError, match="same listing order"):
        apply_text_stage(decisions, features.reverse(), KeywordStage())
    with pytest.raises(ValueError, match="missing"):
        apply_text_stage(decisions, features.drop("description"), KeywordStage())


def test_with_a_real_trained_stage(trained):
    decisions, features = _day()
    out = apply_text_stage(decisions, features, trained.stage)
    assert out.schema == decisions.schema
    assert out[[0, 1, 2, 6, 7]].equals(decisions[[0, 1, 2, 6, 7]])
    assert set(out["decision"].to_list()[3:6]) <= {"block", "approve", "review"}
    assert all(v.endswith("+" + trained.stage.version) for v in out["model_version"].to_list()[3:6])


def test_listing_texts_put_category_and_price_in_front():
    frame = make_listings(2, price=[1500.4, None], title=["Айфон", None])
    assert listing_texts(frame) == [
        "furniture | 1500 | Айфон | Хорошее состояние, самовывоз.",
        "phones |  |  | Хорошее состояние, самовывоз.",
    ]
