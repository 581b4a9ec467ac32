"""Review rules reviewers decide one way become block candidates: twins and sub-patterns."""

import polars as pl

from review_queue.promotion import (
    ReviewRule,
    condition_mask,
    review_rule_candidates,
    rule_column,
    with_rule_columns,
)


def _with_rule(decisions: pl.DataFrame, hit: pl.Series, rule_id: str = "shout") -> pl.DataFrame:
    hits = pl.Series([[rule_id] if h else [] for h in hit], dtype=pl.List(pl.String))
    return with_rule_columns(decisions, [rule_id], hits)


def test_a_review_rule_reviewers_always_block_gets_a_block_twin_with_its_own_condition(decisions, fields):
    frame = _with_rule(decisions, decisions["decision"] == "block")
    rule = ReviewRule("shout", "prepayment_scam", "contains_any(text_norm, @shouting_phrases)")
    [twin] = review_rule_candidates(frame, [rule], fields, stamp="20260104", min_cases=20)
    assert twin.action == "block" and twin.reason_code == "prepayment_scam"
    assert twin.rule_condition == rule.condition  # what the rule file says
    assert condition_mask(frame, twin.condition).sum() == 30  # its measurable stand-in: the rule's hits
    assert "blocked 100.0%" in twin.origin


def test_a_review_rule_reviewers_block_in_part_gets_the_part_they_block(decisions, fields):
    # the rule hits every scam and every approved furniture listing: reviewers block only the scams
    hit = (decisions["decision"] == "block") | (decisions["category"] == "furniture")
    frame = _with_rule(decisions, hit)
    rule = ReviewRule("shout", "prepayment_scam", "price > 100\n  AND seller_type = 'private'")
    found = review_rule_candidates(frame, [rule], fields, stamp="20260104", min_cases=20, min_support=5)
    assert found and all(c.rule_condition.startswith("(price > 100 AND seller_type = 'private') AND ") for c in found)
    best = found[0]
    mask = condition_mask(frame, best.condition)
    assert int((mask & (frame["decision"] == "block")).sum()) >= 25
    assert int((mask & (frame["decision"] == "approve")).sum()) == 0
    assert not (mask & ~frame[rule_column("shout")]).any()  # never outside the review rule


def test_too_few_reviewed_cases_propose_nothing(decisions, fields):
    frame = _with_rule(decisions, decisions["decision"] == "block")
    rule = ReviewRule("shout", "prepayment_scam", "price > 0")
    assert review_rule_candidates(frame, [rule], fields, stamp="x", min_cases=31) == []
