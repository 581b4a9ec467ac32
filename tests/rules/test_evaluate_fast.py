"""evaluate()'s fast path (phrase calls found once, conditions over call columns) against a plain
reference: every condition's own expression on every row, outcome built row by row in Python."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from moderation.rules import complete_fields, evaluate, load_ruleset, rule_matches
from moderation.rules.ruleset import ACTION_ORDER

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules"
EVALUATE = importlib.import_module("moderation.rules.evaluate")


def reference(ruleset, frame: pl.DataFrame) -> pl.DataFrame:
    """The HITS_SCHEMA columns from ``rule_matches`` (each compiled condition, all rows)."""
    rules = {r.id: r for r in ruleset.active + ruleset.shadow}
    order = sorted(rules.values(), key=lambda r: (ACTION_ORDER[r.action], r.id))
    matches = rule_matches(ruleset, frame)
    out = {"rule_hits": [], "shadow_hits": [], "rule_action": [], "rule_reasons": []}
    for row in matches.iter_rows(named=True):
        active = [r for r in order if row[r.id] and r.status == "active"]
        shadow = [r.id for r in order if row[r.id] and r.status == "shadow"]
        deciding = [r for r in active if r.action != "flag"]
        action = deciding[0].action if deciding else None
        reasons = []
        for r in active:
            if r.action == action and r.reason not in reasons:
                reasons.append(r.reason)
        out["rule_hits"].append([r.id for r in active])
        out["shadow_hits"].append(shadow)
        out["rule_action"].append(action)
        out["rule_reasons"].append(reasons)
    return pl.DataFrame(out, schema=EVALUATE.HITS_SCHEMA)


def _with_nulls(frame: pl.DataFrame, seed: int, share: float = 0.08) -> pl.DataFrame:
    """Each column NULL on a random ``share`` of rows (text_norm included)."""
    rng = np.random.default_rng(seed)
    return frame.with_columns(
        pl.when(pl.Series(rng.random(frame.height) < share)).then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns
    )


@pytest.fixture(scope="module")
def generated_day() -> pl.DataFrame:
    from moderation.features import add_features, compute_day_stats
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 4000, seed=21)
    return add_features(listings, compute_day_stats(listings))


SMALL_LIMITS = {
    "plain": {},
    "slices": {"_SLICE_ROWS": 900},  # row slices computed in parallel
    # several hit codes and call masks; the contains_any fallback of a regex over the size limit
    "small": {"_CHUNK": 5, "_MASK_BITS": 3, "_dfa_pattern": lambda literals: None},
}


@pytest.mark.parametrize("limits", list(SMALL_LIMITS))
def test_shipped_rules_equal_the_reference_on_a_generated_day_with_nulls(generated_day, monkeypatch,
                                                                        limits) -> None:
    for name, value in SMALL_LIMITS[limits].items():
        monkeypatch.setattr(EVALUATE, name, value)
    ruleset = load_ruleset(SHIPPED_RULES)
    for frame in (generated_day, _with_nulls(generated_day, seed=5)):
        frame = complete_fields(frame, ruleset.fields)
        got, want = evaluate(ruleset, frame), reference(ruleset, frame)
        assert got.equals(want)
        hits = want["rule_hits"].list.len() + want["shadow_hits"].list.len()
        assert (hits > 0).sum() > 200  # the day does exercise the rules
    # Text rules do hit: a fast path answering "no phrase" everywhere would fail above.
    assert {"prohibited_drugs", "prepayment_card_transfer", "fake_job_anonymous_courier"} <= set(
        want["rule_hits"].explode().drop_nulls().to_list())


TEXTS = [
    None, "", "кот", "белый пес", "мой белый пес тут", "котик", "скот", "зебра", "купить дешево скидка",
    "скидка купить", "пробег птс владелец", "птс", "рыба", "меф", "мефедрон", "продам меф недорого",
    "белый пес кот зебра", "зебры", "котрыб", "купить кот купить", "пес белый",
    "лиса и волк", "лиса сова", "волк", "сова", "еж лиса волк сова", "ежевика", "сова кот",
]


LISTS = {"l": "кот\nбелый пес\nрыб\n", "m": "меф\nзебра\nбелый пес\n", "p": "лиса\nволк\n", "q": "сова\nеж\n"}

# id -> (condition, options): whole words, phrases, a phrase in two lists, negations, NULL turned
# true, regexes, two fields.
PHRASE_RULES = {
    "word": ("contains_word(text_norm, @l)",
             {"match": '{text_norm: "мой белый пес тут"}', "no_match": '{text_norm: "котик"}'}),
    "any_not": ("contains_any(text_norm, @m) AND NOT contains_any(text_norm, @l)",
                {"action": "review", "reason": "price_bait", "match": '{text_norm: "мефедрон"}',
                 "no_match": '{text_norm: "зебра кот"}'}),
    "same_call": ("contains_any(text_norm, @m)", {"action": "flag", "reason": "duplicate",
                                                  "match": '{text_norm: "зебра бежит"}', "no_match": '{text_norm: "кот"}'}),
    "null_true": ("coalesce(contains_word(text_norm, @m), TRUE)",
                  {"action": "approve", "reason": "ok", "status": "shadow", "match": "{text_norm: null}",
                   "no_match": '{text_norm: "мефедрон"}'}),
    "regex": ("regexp_like(text_norm, '(купить|птс).*(купить|владелец)') OR regexp_like(title, '(кот|пес)')",
              {"match": '{text_norm: "птс и владелец"}', "no_match": '{text_norm: "птс"}'}),
    "neg": ("NOT contains_word(text_norm, @m) AND photo_count > 0",
            {"action": "review", "status": "shadow", "match": '{text_norm: "мефедрон", photo_count: 1}',
             "no_match": '{text_norm: "меф", photo_count: 1}'}),
    # Two calls that only matter together: neither is searched before the other is known.
    "both": ("contains_any(text_norm, @p) AND contains_word(text_norm, @q)",
             {"action": "flag", "match": '{text_norm: "лиса сова"}', "no_match": '{text_norm: "лиса"}'}),
    # A NULL title turns the coalesce TRUE: then the text call alone decides.
    "title_null": ("coalesce(regexp_like(title, '(кот|пес)'), TRUE) AND contains_any(text_norm, @q)",
                   {"status": "shadow", "match": '{text_norm: "сова", title: "кот"}',
                    "no_match": '{text_norm: "сова", title: "дом"}'}),
}
TEXTS = [
    None, "", "кот", "белый пес", "мой белый пес тут", "котик", "скот", "зебра", "купить дешево скидка",
    "скидка купить", "пробег птс владелец", "птс", "рыба", "меф", "мефедрон", "продам меф недорого",
    "белый пес кот зебра", "зебры", "котрыб", "купить кот купить", "пес белый",
    "лиса и волк", "лиса сова", "волк", "сова", "еж лиса волк сова", "ежевика", "сова кот", "волк еж", "еж",
]


@pytest.mark.parametrize("which", ["all", "all/small", *PHRASE_RULES])
def test_phrase_calls_equal_the_reference(which, make_rules, rule_yaml, monkeypatch) -> None:
    """Each rule alone (so that no other rule's search covers for it) and all together."""
    if which == "all/small":
        which = "all"
        for name, value in SMALL_LIMITS["small"].items():
            monkeypatch.setattr(EVALUATE, name, value)
    ids = list(PHRASE_RULES) if which == "all" else [which]
    files = {f"lists/{name}.txt": text for name, text in LISTS.items()}
    for rule_id in ids:
        condition, options = PHRASE_RULES[rule_id]
        files[f"{rule_id}.yaml"] = rule_yaml(rule_id, condition.replace('"', '\\"'), **options)
    ruleset = load_ruleset(make_rules(files))
    n = len(TEXTS)
    titles = [None if i % 3 == 0 else ("дом" if i % 3 == 1 else t) for i, t in enumerate(reversed(TEXTS))]
    frame = complete_fields(pl.DataFrame({
        "text_norm": TEXTS, "title": titles, "photo_count": [i % 3 if i % 5 else None for i in range(n)],
    }, schema_overrides={"text_norm": pl.String, "title": pl.String, "photo_count": pl.Int64}), ruleset.fields)
    got, want = evaluate(ruleset, frame), reference(ruleset, frame)
    assert got.equals(want)
    hits = want["rule_hits"].list.len() + want["shadow_hits"].list.len()
    assert hits.sum() > 0 and (hits == 0).any()  # each rule hits somewhere, and not everywhere
    if which == "all":
        hit = set(want["rule_hits"].explode().drop_nulls()) | set(want["shadow_hits"].explode().drop_nulls())
        assert hit == set(PHRASE_RULES)


def test_any_literal_equals_contains_any() -> None:
    literals = ["a.b", "c|d", "(y)", "[z]", "q+", "^x$", "\\", "ё"]
    texts = pl.Series(["a.b", "axb", "c|d", "cd", "(y)", "y", "[z]", "z", "qq+", "q", "^x$", "x", "\\", "ёж",
                       "е", None, ""])
    fast = pl.DataFrame({"t": texts}).select(EVALUATE._any_literal("t", literals)).to_series()
    assert fast.to_list() == texts.str.contains_any(literals).to_list()
    assert fast.sum() == 8
