"""Validation like a compiler: every error at once, as file:line with a hint (snapshot-pinned)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.errors import RuleValidationError
from moderation.rules import check_rules, load_ruleset

BROKEN = {
    "broken_rule.yaml": """
        id: broken_rule
        descripton: Blocks cheap phones from new sellers.
        owner: policy-fraud
        action: blok
        reason: price_bat
        status: active
        condition: prise < 0.3 * category_median_price AND contains_any(text_norm, @prepayment_phrase) AND regexp_like(title, '(iphone')
        examples:
          match:
            - price: "ten"
              category_median_price: 1000.0
          no_match:
            - titel: "iPhone 15"
        provenance:
          kind: promoted
          author: i.smirnov
          date: 2026-10-01
        """,
    "syntax.yaml": 'id: syntax\ndescription: "broken YAML\nowner: tests\n',
}

EXPECTED = """\
rules/broken_rule.yaml:1: missing required key `description`
    hint: add `description:` (see rules/README.md)
rules/broken_rule.yaml:2: unknown key `descripton`
    hint: did you mean `description`?
rules/broken_rule.yaml:4: `action` must be one of 'block', 'review', 'approve' or 'flag'. Got 'blok' instead.
    hint: did you mean `block`?
rules/broken_rule.yaml:5: unknown reason code `price_bat`
    hint: did you mean `price_bait`?
rules/broken_rule.yaml:7: condition: invalid regular expression '(iphone': unclosed group
    hint: escape special characters with a backslash, e.g. '\\.' for a dot
rules/broken_rule.yaml:7: condition: unknown field `prise`
    hint: did you mean `price`?
rules/broken_rule.yaml:7: condition: unknown list `@prepayment_phrase`
    hint: did you mean `@prepayment_phrases`?
rules/broken_rule.yaml:10: example 1 under `match`: `price` must be a float. Got 'ten' (str) instead.
rules/broken_rule.yaml:13: example field `titel` is not declared
    hint: did you mean `title`?
rules/broken_rule.yaml:15: a promoted rule must carry its `evidence`
    hint: add provenance.evidence: source, window, support, precision_vs_reviewers
rules/dup_a.yaml:1: rule id `dup_b` differs from the file name `dup_a.yaml`
    hint: rename the file to `dup_b.yaml` or change the id
rules/dup_a.yaml:7: condition: type mismatch in the condition: cannot compare string with numeric type (f64)
    hint: compare fields with values of their declared type (`upper_share` is float)
rules/dup_b.yaml:1: duplicate rule id `dup_b` (also in rules/dup_a.yaml:1)
    hint: rule ids must be unique; rename one of them
rules/dup_b.yaml:7: condition: the condition must be true or false for a listing. Got a Float64 value instead.
    hint: compare the value, e.g. `text_digit_count >= 10`
rules/syntax.yaml:4: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar on line 2)
    hint: check indentation and quote values that contain ': ' or '#'"""


def _broken(rule_yaml) -> dict[str, str]:
    """BROKEN plus two files sharing one id (with a type mismatch and a non-boolean condition)."""
    return {**BROKEN, "dup_a.yaml": rule_yaml("dup_b", "upper_share > 'high'"),
            "dup_b.yaml": rule_yaml("dup_b", "price * 2")}


def test_broken_files_report_every_error_with_file_and_line(make_rules, rule_yaml) -> None:
    root = make_rules(_broken(rule_yaml))
    ruleset, diags = check_rules(root)
    assert ruleset is None
    assert "\n".join(str(d) for d in diags) == EXPECTED


def test_load_ruleset_raises_with_every_diagnostic(make_rules, rule_yaml) -> None:
    root = make_rules(_broken(rule_yaml))
    with pytest.raises(RuleValidationError) as info:
        load_ruleset(root)
    assert len(info.value.errors) == 15
    assert "rules/syntax.yaml:4" in str(info.value)


def test_examples_that_misbehave_are_reported_with_the_values_seen(make_rules, rule_yaml) -> None:
    text = rule_yaml("digits", "text_digit_count >= 10", match='{description: "цена 500"}',
                     no_match='{description: "89123456789"}')
    root = make_rules({"digits.yaml": text})
    _, diags = check_rules(root)
    assert [str(d) for d in diags] == [
        "rules/digits.yaml:10: example 1 under `match` does not match the condition\n"
        "    hint: the condition saw text_digit_count=3",
        "rules/digits.yaml:12: example 1 under `no_match` matches the condition\n"
        "    hint: the condition saw text_digit_count=11",
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("price >", "condition: cannot parse the condition"),
        ("foo(price) > 1", "condition: cannot parse the condition"),
        ("title ~ 'x'", "condition: the regex operator `~` is not supported"),
        ("contains_any(text_norm, 'x') OR @blocked_phones", "used outside `field IN @list`"),
        ("price IN @blocked_phones", "condition: type mismatch"),
        ("text_norm IN @no_such_list", "condition: unknown list `@no_such_list`"),
    ],
)
def test_bad_conditions_are_explained(make_rules, rule_yaml, condition: str, message: str) -> None:
    root = make_rules({"r.yaml": rule_yaml("r", condition)})
    _, diags = check_rules(root)
    assert any(message in str(d) for d in diags), [str(d) for d in diags]
    assert all(str(d).startswith("rules/r.yaml:") for d in diags)


def test_policy_consistency_checks(make_rules, rule_yaml) -> None:
    root = make_rules({
        "a.yaml": rule_yaml("a", "photo_count = 0", action="approve", reason="spam",
                            match="{photo_count: 0}", no_match="{photo_count: 1}"),
        "b.yaml": rule_yaml("b", "photo_count = 0", action="block", reason="ok",
                            match="{photo_count: 0}", no_match="{photo_count: 1}"),
    })
    _, diags = check_rules(root)
    assert [d.message for d in diags] == [
        "an approve rule must have reason `ok`. Got `spam` instead.",
        "a block rule needs a violation reason, not `ok`",
    ]


def test_reasons_must_equal_the_schema_taxonomy(make_rules, rule_yaml) -> None:
    root = make_rules({})
    (root / "reasons.yaml").write_text("reasons:\n  - {code: spam, meaning: spam ads}\n", encoding="utf-8")
    _, diags = check_rules(root)
    assert len(diags) == 1
    assert diags[0].file == "rules/reasons.yaml"
    assert "missing ['contacts_in_text'" in diags[0].message


def test_missing_support_files_and_empty_lists(make_rules, rule_yaml) -> None:
    root = make_rules({"lists/empty.txt": "# nothing yet\n"}, with_support=False)
    _, diags = check_rules(root)
    messages = [str(d) for d in diags]
    assert any(m.startswith("rules/fields.yaml:1: missing `fields.yaml`") for m in messages)
    assert any("missing `reasons.yaml`" in m for m in messages)
    assert any(m.startswith("rules/lists/empty.txt:1: list `@empty` is empty") for m in messages)


def test_a_valid_directory_loads(make_rules, rule_yaml) -> None:
    root = make_rules({"fine.yaml": rule_yaml("fine", "photo_count = 0", match="{photo_count: 0}",
                                              no_match="{photo_count: 2}")})
    ruleset = load_ruleset(root)
    assert [r.id for r in ruleset.rules] == ["fine"]
    assert isinstance(ruleset.version, str) and len(ruleset.version) == 16


def test_check_a_single_file_against_its_directory(make_rules, rule_yaml) -> None:
    root = make_rules({"fine.yaml": rule_yaml("fine", "photo_count = 0", match="{photo_count: 0}",
                                              no_match="{photo_count: 2}"),
                       "bad.yaml": rule_yaml("bad", "photo_cnt = 0")})
    _, diags = check_rules(root, [root / "fine.yaml"])
    assert diags == []
    _, diags = check_rules(root, [Path(root / "bad.yaml")])
    assert [d.message for d in diags][:1] == ["condition: unknown field `photo_cnt`"]
