"""evaluate(): precedence, NULL never matches, shadow never decides, version is a content hash."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from moderation.errors import InputSchemaError
from moderation.rules import HITS_SCHEMA, complete_fields, evaluate, example_frame, load_ruleset

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def precedence_rules(make_rules, rule_yaml):
    """photo_count selects which rules hit: 0 -> all four actions, 1 -> review+approve, ..."""
    return load_ruleset(make_rules({
        "z_block.yaml": rule_yaml("z_block", "photo_count = 0", action="block", reason="spam",
                                  match="{photo_count: 0}", no_match="{photo_count: 1}"),
        "a_review.yaml": rule_yaml("a_review", "photo_count <= 1", action="review", reason="price_bait",
                                   match="{photo_count: 1}", no_match="{photo_count: 2}"),
        "b_review.yaml": rule_yaml("b_review", "photo_count <= 1", action="review", reason="price_bait",
                                   match="{photo_count: 1}", no_match="{photo_count: 2}"),
        "approve.yaml": rule_yaml("approve", "photo_count <= 2", action="approve", reason="ok",
                                  match="{photo_count: 2}", no_match="{photo_count: 3}"),
        "flag.yaml": rule_yaml("flag", "photo_count <= 3", action="flag", reason="duplicate",
                               match="{photo_count: 3}", no_match="{photo_count: 4}"),
        "shadow_block.yaml": rule_yaml("shadow_block", "photo_count >= 2", action="block",
                                       reason="spam", status="shadow",
                                       match="{photo_count: 2}", no_match="{photo_count: 1}"),
        "disabled_rule.yaml": rule_yaml("disabled_rule", "photo_count >= 0", status="disabled",
                              match="{photo_count: 2}", no_match="{photo_count: -1}"),
    }))


def _frame(ruleset, photo_counts):
    return example_frame([{"photo_count": c} for c in photo_counts], ruleset.fields)


def test_precedence_order_and_reasons(precedence_rules) -> None:
    hits = evaluate(precedence_rules, _frame(precedence_rules, [0, 1, 2, 3, 4, None]))
    assert hits.schema == pl.Schema(HITS_SCHEMA)
    assert hits["rule_hits"].to_list() == [
        ["z_block", "a_review", "b_review", "approve", "flag"],
        ["a_review", "b_review", "approve", "flag"],
        ["approve", "flag"],
        ["flag"],
        [],
        [],
    ]
    assert hits["rule_action"].to_list() == ["block", "review", "approve", None, None, None]
    assert hits["rule_reasons"].to_list() == [["spam"], ["price_bait"], ["ok"], [], [], []]
    assert hits["shadow_hits"].to_list() == [[], [], ["shadow_block"], ["shadow_block"], ["shadow_block"], []]


def test_shadow_hits_never_change_the_decision(precedence_rules, make_rules, rule_yaml) -> None:
    frame = _frame(precedence_rules, [0, 1, 2, 3, 4, None])
    with_shadow = evaluate(precedence_rules, frame)
    (precedence_rules.root / "shadow_block.yaml").unlink()
    without = evaluate(load_ruleset(precedence_rules.root), frame)
    assert with_shadow.drop("shadow_hits").equals(without.drop("shadow_hits"))
    assert without["shadow_hits"].to_list() == [[]] * 6


def test_null_never_matches_any_shipped_rule() -> None:
    shipped = load_ruleset(SHIPPED_RULES)
    frame = complete_fields(pl.DataFrame({"listing_id": ["a", "b"]}), shipped.fields)
    hits = evaluate(shipped, frame)
    assert hits["rule_hits"].to_list() == [[], []]
    assert hits["shadow_hits"].to_list() == [[], []]
    assert hits["rule_action"].to_list() == [None, None]


def test_negated_conditions_do_not_match_null(make_rules, rule_yaml) -> None:
    ruleset = load_ruleset(make_rules({
        "neg.yaml": rule_yaml("neg", "NOT (photo_count > 3)", match="{photo_count: 1}",
                              no_match="{photo_count: null}"),
    }))
    hits = evaluate(ruleset, _frame(ruleset, [1, 5, None]))
    assert hits["rule_hits"].to_list() == [["neg"], [], []]


def test_row_order_and_count_are_kept_and_empty_batches_work(precedence_rules) -> None:
    frame = _frame(precedence_rules, [4, 0, 2])
    assert evaluate(precedence_rules, frame)["rule_action"].to_list() == [None, "block", "approve"]
    empty = evaluate(precedence_rules, frame.clear())
    assert empty.height == 0 and empty.schema == pl.Schema(HITS_SCHEMA)


def test_a_ruleset_without_active_rules(make_rules, rule_yaml) -> None:
    ruleset = load_ruleset(make_rules({
        "s.yaml": rule_yaml("s", "photo_count = 0", status="shadow", match="{photo_count: 0}",
                            no_match="{photo_count: 1}"),
    }))
    hits = evaluate(ruleset, _frame(ruleset, [0, 1, 2]))
    assert hits["rule_hits"].to_list() == [[], [], []]
    assert hits["shadow_hits"].to_list() == [["s"], [], []]
    assert hits["rule_reasons"].to_list() == [[], [], []]


def test_a_missing_feature_column_is_a_clear_error(precedence_rules) -> None:
    with pytest.raises(InputSchemaError, match="photo_count"):
        evaluate(precedence_rules, pl.DataFrame({"listing_id": ["a"]}))


def test_named_lists_expand_and_match(make_rules, rule_yaml) -> None:
    ruleset = load_ruleset(make_rules({
        "lists/words.txt": "# test list\nпредоплата\nоплата вперёд\n",
        "lists/phones.txt": "79001112233\n",
        "w.yaml": rule_yaml("w", "contains_any(text_norm, @words) OR phone IN @phones",
                            match='{description: "ОПЛАТА ВПЕРЕД"}', no_match='{description: "оплата"}'),
    }))
    frame = example_frame([
        {"description": "Только ПРЕДОПЛАТА"}, {"description": "оплaтa впeрёд"},  # Latin a/e
        {"phone": "79001112233"}, {"description": "оплата при встрече"},
    ], ruleset.fields)
    assert evaluate(ruleset, frame)["rule_hits"].to_list() == [["w"], ["w"], ["w"], []]


def test_version_changes_when_any_file_changes(make_rules, rule_yaml) -> None:
    root = make_rules({"r.yaml": rule_yaml("r", "photo_count = 0", match="{photo_count: 0}",
                                           no_match="{photo_count: 1}")})
    first = load_ruleset(root).version
    assert load_ruleset(root).version == first  # deterministic
    (root / "README.md").write_text("docs only", encoding="utf-8")
    assert load_ruleset(root).version == first  # docs are not policy
    seen = {first}
    for path, extra in [
        (root / "r.yaml", "# a comment is a change too\n"),
        (root / "lists" / "blocked_phones.txt", "79990000000\n"),
        (root / "fields.yaml", "# note\n"),
        (root / "reasons.yaml", "# note\n"),
    ]:
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
        version = load_ruleset(root).version
        assert version not in seen
        seen.add(version)


def test_a_ruleset_pickles_for_remote_workers(precedence_rules) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(precedence_rules))
    frame = _frame(precedence_rules, [0, 1, 2, None])
    assert copy.version == precedence_rules.version
    assert evaluate(copy, frame).equals(evaluate(precedence_rules, frame))
