"""Phrase prefilter of evaluate(): which regexes have required literals, and the same hits."""

from __future__ import annotations

import polars as pl
import pytest

from moderation.rules.compile import compile_condition, required_literals, without_literal_calls


@pytest.mark.parametrize(("pattern", "literals"), [
    ("(?:^| )(?:a|b c)(?: |$)", ["a", "b c"]),  # contains_word on text_norm
    (r"(?:a|b\.c)", ["a", "b.c"]),  # contains_any: escaped metacharacters are literal
    ("(запчаст|не включается)", ["запчаст", "не включается"]),
    ("(купить|дешево).*(скидка|акция)", ["купить", "дешево"]),  # a literal first group
    ("(a|b)[|]y", ["a", "b"]),
    ("abc", ["abc"]),
])
def test_required_literals_found(pattern: str, literals: list[str]) -> None:
    assert required_literals(pattern) == literals


@pytest.mark.parametrize("pattern", [
    "(?i)(?:a|b)",  # case-insensitive: a literal search would miss "A"
    "a|", "(?:)",  # an empty alternative matches everywhere
    r"\d{10}", r"a\b", "a.c",
    "(a|b)?c", "(a|b)*", "(a|b){0,1}",  # the group is optional
    "(a|b)x|y",  # "y" alone matches
    "(a(b))",
])
def test_no_required_literals(pattern: str) -> None:
    assert required_literals(pattern) is None


def test_calls_inside_string_literals_are_left_alone() -> None:
    sql = "regexp_like(text_norm, '(?:a|b)') AND title = 'regexp_like(x, ''z'')'"
    rest, needles = without_literal_calls(sql)
    assert rest == "FALSE AND title = 'regexp_like(x, ''z'')'"
    assert needles == {"text_norm": {"a", "b"}}


TEXTS = [None, "", "a", "b c", "x b c y", "bc", "xa", "z", "купить дешево скидка", "скидка купить"]


@pytest.mark.parametrize("condition", [
    "contains_word(text_norm, @l)",
    "NOT contains_any(text_norm, @l) AND text_norm <> ''",
    "contains_any(text_norm, @l) OR regexp_like(title, '(купить|дешево).*(скидка)')",
    "coalesce(regexp_like(text_norm, '(a|z)'), TRUE)",
])
def test_condition_without_needles_holds_where_they_are_absent(condition: str) -> None:
    compiled = compile_condition(condition, {"text_norm": "string", "title": "string"}, {"l": ["a", "b c"]})
    frame = pl.DataFrame({"text_norm": TEXTS, "title": TEXTS}, schema={"text_norm": pl.String, "title": pl.String})
    absent = pl.all_horizontal(
        pl.col(f).is_not_null() & ~pl.col(f).str.contains_any(sorted(n)) for f, n in compiled.needles.items()
    )
    both = frame.select(compiled.expr.alias("full"), compiled.expr_without_needles.alias("rest"), absent.alias("absent"))
    rows = both.filter("absent")
    assert rows.height > 0
    assert rows["full"].to_list() == rows["rest"].to_list()


def test_evaluate_in_slices_equals_each_rule_on_a_generated_day(monkeypatch) -> None:
    """The phrase prefilter, computed in parallel row slices: the same hits as every condition."""
    import importlib
    from pathlib import Path

    from moderation.features import add_features, compute_day_stats
    from moderation.rules import complete_fields, evaluate, load_ruleset, rule_matches
    from moderation.synth.day import generate_day

    ruleset = load_ruleset(Path(__file__).resolve().parents[2] / "rules")
    listings, _ = generate_day(0, 3000, seed=13)
    frame = complete_fields(add_features(listings, compute_day_stats(listings)), ruleset.fields)
    monkeypatch.setattr(importlib.import_module("moderation.rules.evaluate"), "_SLICE_ROWS", 700)
    hits = evaluate(ruleset, frame)
    each = rule_matches(ruleset, frame)
    got = [sorted(a + b) for a, b in zip(hits["rule_hits"].to_list(), hits["shadow_hits"].to_list(), strict=True)]
    want = [sorted(k for k, v in row.items() if v) for row in each.iter_rows(named=True)]
    assert got == want
    assert sum(map(bool, want)) > 50
