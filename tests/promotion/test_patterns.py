import polars as pl

from review_queue.promotion import Clause, condition_mask, mine_patterns
from review_queue.promotion.patterns import _nice, top_phrases


def test_tree_finds_a_short_precise_condition_in_the_rule_language(decisions, fields):
    found = mine_patterns(decisions, fields, min_support=5, min_precision=0.95)
    assert found, "expected at least one candidate for prepayment_scam"
    best = found[0]
    assert best.reason_code == "prepayment_scam"
    assert 1 <= len(best.clauses) <= 3
    hit = condition_mask(decisions, best.condition)  # the written condition, re-evaluated
    blocked = decisions["decision"] == "block"
    assert int((hit & blocked).sum()) >= 25
    assert int((hit & ~blocked).sum()) == 0


def test_no_candidate_without_enough_support(decisions, fields):
    few = pl.concat([decisions.filter(pl.col("decision") == "approve"),
                     decisions.filter(pl.col("decision") == "block").head(3)])
    assert mine_patterns(few, fields, min_support=5) == []


def test_clause_sql_quotes_and_rounds():
    assert Clause("price_ratio", "<=", 0.123456).sql() == "price_ratio <= 0.123"
    assert Clause("seller_age_days", ">", 1234.5).sql() == "seller_age_days > 1230"
    assert Clause("category", "=", "kid's").sql() == "category = 'kid''s'"
    assert Clause("text_norm", "has", "предоплата").sql() == "text_norm LIKE '%предоплата%'"
    assert Clause("hidden_phone", "isnot").sql() == "NOT hidden_phone"
    assert _nice(float("inf")) == "0"


def test_top_phrases_prefers_words_absent_from_approvals():
    phrases = top_phrases(["оплата по ссылке"] * 5, ["оплата при встрече"] * 5, min_count=3)
    assert "ссылке" in phrases and "оплата" not in phrases


def test_condition_mask_treats_null_as_no_match():
    frame = pl.DataFrame({"price_ratio": [0.1, None, 2.0]})
    assert condition_mask(frame, "price_ratio < 0.5").to_list() == [True, False, False]


def test_background_approvals_keep_a_condition_off_ordinary_listings():
    # reviewers saw 30 price baits (few photos, low price) and only 4 approvals (many photos):
    # those alone say "few photos" is enough; the system's uncontested approvals (background:
    # ordinary listings with few photos at normal prices) show it is not
    def rows(n, decision, reason, photos, ratio, prefix):
        return pl.DataFrame({"listing_id": [f"{prefix}{i}" for i in range(n)], "decision": decision,
                             "reason_code": reason, "photo_count": photos, "price_ratio": ratio,
                             "text_norm": "продам"})

    reviewed = pl.concat([rows(30, "block", "price_bait", 1, 0.1, "b"), rows(4, "approve", "ok", 6, 0.1, "a")])
    background = rows(80, "approve", "ok", 1, 1.0, "g")
    fields = {"photo_count": "int", "price_ratio": "float"}
    alone = mine_patterns(reviewed, fields, min_support=5)
    assert alone and all(condition_mask(background, c.condition).all() for c in alone)
    with_bg = mine_patterns(reviewed, fields, min_support=5, background=background)
    assert with_bg
    for cand in with_bg:
        assert not condition_mask(background, cand.condition).any(), cand.condition
        assert condition_mask(reviewed, cand.condition).sum() == 30
