import numpy as np
import polars as pl
import pytest

from moderation.decide import Thresholds, decide
from moderation.schema import DECISION_SCHEMA

HITS_SCHEMA = {
    "rule_hits": pl.List(pl.String),
    "shadow_hits": pl.List(pl.String),
    "rule_action": pl.String,
    "rule_reasons": pl.List(pl.String),
}


def _decide(rows, scores, thresholds=Thresholds(approve_below=0.05, block_at=0.9)):
    hits = pl.DataFrame(rows, schema=HITS_SCHEMA, orient="row")
    ids = pl.Series([f"L{i}" for i in range(len(rows))])
    return decide(hits, np.array(scores), thresholds, listing_ids=ids, run_id="run-1",
                  model_version="fraud/2", ruleset_version="abc")


def test_rule_precedence_then_thresholds_with_reasons():
    out = _decide(
        [
            (["contacts_phone"], [], "block", ["contacts_in_text"]),  # rule block, low score
            (["new_seller_cheap"], [], "review", ["price_bait"]),  # rule review, low score
            ([], [], None, []),  # model: high
            ([], [], None, []),  # model: band
            ([], [], None, []),  # model: low
            (["trusted_shop"], [], "approve", ["ok"]),  # rule approve, model agrees
            (["trusted_shop"], [], "approve", ["ok"]),  # rule approve, model says block -> people
        ],
        [0.01, 0.01, 0.95, 0.5, 0.01, 0.3, 0.97],
    )
    assert out.schema == pl.Schema(DECISION_SCHEMA)
    assert out["decision"].to_list() == ["block", "review", "block", "review", "approve", "approve", "review"]
    assert out["decided_by"].to_list() == ["rule", "rule", "model", "model", "model", "rule", "model"]
    assert out["reasons"].to_list() == [
        ["contacts_in_text"], ["price_bait"], ["model_high_risk"], ["model_uncertain"], ["ok"], ["ok"],
        ["ok", "model_high_risk"],
    ]
    assert set(out["model_version"]) == {"fraud/2"} and set(out["run_id"]) == {"run-1"}


def test_shadow_hits_are_recorded_but_never_change_the_decision():
    with_shadow = _decide([([], ["shadow_block_rule"], None, [])], [0.01])
    without = _decide([([], [], None, [])], [0.01])
    assert with_shadow["decision"].to_list() == without["decision"].to_list() == ["approve"]
    assert with_shadow["shadow_hits"].to_list() == [["shadow_block_rule"]]


def test_threshold_edges():
    out = _decide([([], [], None, [])] * 3, [0.05, 0.9, 0.0499], Thresholds(0.05, 0.9))
    assert out["decision"].to_list() == ["review", "block", "approve"]


def test_empty_batch():
    assert _decide([], []).height == 0


@pytest.mark.parametrize("low, high", [(0.5, 0.4), (-0.1, 0.5), (0.1, 1.5)])
def test_bad_thresholds_are_rejected(low, high):
    with pytest.raises(ValueError, match="approve_below <= block_at"):
        Thresholds(low, high)
