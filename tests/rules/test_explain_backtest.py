"""explain() shows why a listing hit; backtest() measures each rule against the truth."""

from __future__ import annotations

import polars as pl
import pytest

from moderation.rules import example_frame, load_ruleset
from moderation.rules.backtest import BACKTEST_COLUMNS, backtest
from moderation.rules.explain import explain, format_explanation


@pytest.fixture
def ruleset(make_rules, rule_yaml):
    return load_ruleset(make_rules({
        "lists/pay.txt": "предоплата\nперевод на карту\n",
        "pay.yaml": rule_yaml("pay", "contains_any(text_norm, @pay)", action="block",
                              reason="prepayment_scam", match='{description: "предоплата"}',
                              no_match='{description: "нет"}'),
        "cheap.yaml": rule_yaml("cheap", "price_ratio < 0.2", action="review", reason="price_bait",
                                match="{price_ratio: 0.1}", no_match="{price_ratio: 0.5}"),
        "ok_rule.yaml": rule_yaml("ok_rule", "photo_count >= 5", action="approve", reason="ok",
                                  match="{photo_count: 5}", no_match="{photo_count: 1}"),
        "phone_shadow.yaml": rule_yaml("phone_shadow", "phone_in_text", action="block",
                                       reason="contacts_in_text", status="shadow",
                                       match='{description: "89123456789"}',
                                       no_match='{description: "нет"}'),
    }))


def _features(ruleset, rows):
    frame = example_frame(rows, ruleset.fields)
    return frame.with_columns(pl.Series("listing_id", [f"L{i}" for i in range(len(rows))]))


def test_explain_names_hits_values_and_list_entries(ruleset) -> None:
    features = _features(ruleset, [
        {"description": "Только предоплата, перевод на карту. 8 912 345 67 89", "price_ratio": 0.1},
        {"description": "Продаю стул", "photo_count": 7},
    ])
    exp = explain(ruleset, features, "L0")
    assert exp.rule_action == "block"
    assert exp.rule_reasons == ["prepayment_scam"]
    assert exp.rule_hits == ["pay", "cheap"]
    assert exp.shadow_hits == ["phone_shadow"]
    text = format_explanation(exp)
    assert "[HIT ] pay (active, block / prepayment_scam)" in text
    assert "@pay found: предоплата, перевод на карту" in text
    assert "price_ratio = 0.1" in text
    assert "phone_in_text = True" in text
    assert "ok_rule" not in text  # misses are hidden unless asked for
    assert "[miss] ok_rule" in format_explanation(exp, all_rules=True)
    assert explain(ruleset, features, "L1").rule_action == "approve"


def test_explain_unknown_listing(ruleset) -> None:
    with pytest.raises(KeyError):
        explain(ruleset, _features(ruleset, [{"description": "x"}]), "nope")


def test_backtest_figures_by_hand(ruleset) -> None:
    rows = [
        {"description": "предоплата"},                      # pay hit, truly prepayment
        {"description": "предоплата"},                      # pay hit, actually ok
        {"description": "нормальный текст"},                # prepayment missed
        {"price_ratio": 0.1, "description": "предоплата"},  # pay + cheap, price bait
        {"photo_count": 6},                                 # approve, truly ok
        {"photo_count": 6, "description": "89123456789"},   # approve + shadow contacts
    ]
    truth = pl.DataFrame({
        "listing_id": [f"L{i}" for i in range(6)],
        "violation": ["prepayment_scam", "ok", "prepayment_scam", "price_bait", "ok", "contacts_in_text"],
    })
    result = backtest(ruleset, _features(ruleset, rows), truth)
    assert tuple(result.columns) == BACKTEST_COLUMNS
    by_id = {r["rule_id"]: r for r in result.iter_rows(named=True)}
    pay = by_id["pay"]
    assert (pay["hits"], pay["precision"], pay["recall"]) == (3, 1 / 3, 1 / 2)
    assert pay["overlap"] == pytest.approx(1 / 3) and pay["top_overlap"] == "cheap"
    # without `pay`: 2 approvals automated (L4, L5); with it L0, L1 and L3 are blocked too
    assert pay["automation_delta"] == pytest.approx(5 / 6 - 2 / 6)
    shadow = by_id["phone_shadow"]
    assert (shadow["status"], shadow["hits"], shadow["precision"], shadow["recall"]) == ("shadow", 1, 1.0, 1.0)
    # activating the shadow block turns an approval of a violation into a correct block
    assert shadow["automation_delta"] == pytest.approx(0.0)
    assert shadow["block_precision_delta"] == pytest.approx(3 / 4 - 2 / 3)
    ok_rule = by_id["ok_rule"]
    assert (ok_rule["hits"], ok_rule["precision"]) == (2, 0.5)
