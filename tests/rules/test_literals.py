"""The native literal search (moderation/rules/literals.py, _literals.c) against ``lit in text``,
and evaluate() with it against evaluate() on its Polars path."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.rules import complete_fields, evaluate, load_ruleset
from moderation.rules import literals as L

EVALUATE = importlib.import_module("moderation.rules.evaluate")
SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules"

pytestmark = pytest.mark.skipif(L.kernel() is None, reason="the _literals extension is not built")

# Characters sharing UTF-8 lead bytes (а/я/ё, Р/р) and continuation bytes, Latin, digits, space,
# 4-byte emoji: a byte automaton must not match across character boundaries.
ALPHABET = "абвгдежзийклмнопрстуфхцчшщъыьэюяёЁАЖРЯ" + "abcxyzAZ" + "0189" + "  " + "😀🙂€ß"
chars = st.sampled_from(ALPHABET)
texts = st.lists(st.none() | st.text(chars, max_size=40), max_size=60)
short_literals = st.text(chars, min_size=1, max_size=4)


def reference(column: list[str | None], calls: list[list[str]], per_word: int) -> tuple[np.ndarray, np.ndarray]:
    """Call i's bit (i % per_word of word i // per_word) where one of its literals is in the text."""
    words = -(-len(calls) // per_word)
    masks = np.zeros((len(column), words), dtype=np.uint64)
    for r, text in enumerate(column):
        for i, call in enumerate(calls):
            if text is not None and any(lit in text for lit in call):
                masks[r, i // per_word] |= np.uint64(1 << (i % per_word))
    return masks, np.array([t is None for t in column], dtype=bool)


@st.composite
def cases(draw) -> tuple[list[str | None], list[list[str]], int]:
    """Texts, and calls whose literals are short random strings or pieces of the texts (so that
    they occur, and overlap: a piece's prefix, suffix or middle is often another literal)."""
    column = draw(texts)
    pieces = [t[a:b] for t in column if t for a in range(len(t)) for b in range(a + 1, min(len(t), a + 12) + 1)]
    literal = short_literals | st.sampled_from(pieces) if pieces else short_literals
    calls = draw(st.lists(st.lists(literal, min_size=1, max_size=6), min_size=1, max_size=150))
    per_word = draw(st.sampled_from([64, 64, 1, 3, 17]))
    return column, calls, per_word


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_masks_equal_the_reference(case) -> None:
    column, calls, per_word = case
    masks, nulls = L.call_masks(pl.Series(column, dtype=pl.String), calls, per_word)
    want_masks, want_nulls = reference(column, calls, per_word)
    assert masks.dtype == np.uint64 and masks.shape == want_masks.shape
    np.testing.assert_array_equal(masks, want_masks)
    np.testing.assert_array_equal(nulls, want_nulls)


@settings(max_examples=50, deadline=None)
@given(texts, st.integers(0, 10), st.integers(0, 10))
def test_slices_and_chunks_are_read_in_place(column, cut, skip) -> None:
    """A sliced column (an Arrow offset) made of several chunks gives the masks of its rows."""
    calls = [["а", "ааа"], ["ab", "b"], ["😀"], ["я ё"], ["1", "01"]]
    series = pl.concat([pl.Series(column[:cut], dtype=pl.String), pl.Series(column[cut:], dtype=pl.String)],
                       rechunk=False).slice(skip)
    masks, nulls = L.call_masks(series, calls)
    want_masks, want_nulls = reference(column[skip:], calls, 64)
    np.testing.assert_array_equal(masks, want_masks)
    np.testing.assert_array_equal(nulls, want_nulls)


def test_overlapping_literals_all_count() -> None:
    calls = [["предоплата"], ["без предоплаты"], ["предоплат"], ["ата"], [""]]
    masks, nulls = L.call_masks(pl.Series(["без предоплаты", "предоплата", "", None]), calls)
    assert masks[:, 0].tolist() == [0b10110, 0b11101, 0b10000, 0]
    assert nulls.tolist() == [False, False, False, True]


def test_more_than_64_calls() -> None:
    """Call i owns the number i as a word and the letter "я" when i is a multiple of 50."""
    calls = [[f" {i} "] + (["я"] if i % 50 == 0 else []) for i in range(150)]
    column = [" 0 ", " 64 я ", " 149 1 2 63 65 ", "", None, "x 128 x"]
    masks, nulls = L.call_masks(pl.Series(column), calls)
    assert masks.shape == (6, 3)
    np.testing.assert_array_equal(masks, reference(column, calls, 64)[0])
    assert masks[1].tolist() == [1 | 1 << 50, 1 | 1 << 36, 0]  # " 64 " (call 64), "я" (calls 0, 50, 100)


def test_many_rows_on_threads() -> None:
    """More rows than one slice (parallel threads), lanes ending rows at different places."""
    base = ["", None, "продам без предоплаты", "x" * 13, "ааааааааааааааааа б", "😀 дом 1", "дом"]
    rng = np.random.default_rng(3)
    column = [base[k] for k in rng.integers(0, len(base), 230_001)]
    calls = [["предоплат", "дом"], ["а б"], ["😀"], ["x" * 13]]
    masks, nulls = L.call_masks(pl.Series(column), calls)
    per_text = dict(zip(base, reference(base, calls, 64)[0][:, 0].tolist(), strict=True))
    assert masks[:, 0].tolist() == [per_text[t] for t in column]
    assert nulls.tolist() == [t is None for t in column]


def test_edge_columns() -> None:
    assert L.call_masks(pl.Series([], dtype=pl.String), [["a"]])[0].shape == (0, 1)
    masks, nulls = L.call_masks(pl.Series([None, None]), [["a"]])  # an all-NULL column of type Null
    assert masks.tolist() == [[0], [0]] and nulls.tolist() == [True, True]
    assert L.call_masks(pl.Series(["a"]), [])[0].shape == (1, 0)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="per_word"):
        L.automaton((("a",),), 65)
    dfa = L.automaton((("ab",), ("b",)))
    spec, _array = L._spec(pl.Series(["ab", "b"]))
    out, nulls = np.zeros((2, 1), dtype=np.uint64), np.zeros(2, dtype=np.uint8)
    args = [spec, 2, dfa.classes, dfa.next, dfa.n_classes, dfa.accept, dfa.accept_start, dfa.base, out, nulls]
    L.kernel().masks(*args)
    assert out[:, 0].tolist() == [3, 2]
    bad_next = dfa.next.copy()
    bad_next[1] = 1  # not a state's offset
    for position, value in [(1, 3), (3, bad_next), (8, np.zeros(3, dtype=np.uint64)),
                            (2, np.zeros(10, dtype=np.uint8)), (6, dfa.accept_start + dfa.n_classes)]:
        with pytest.raises(ValueError):
            L.kernel().masks(*args[:position], value, *args[position + 1 :])


def test_without_the_extension_it_says_so_once(monkeypatch, caplog) -> None:
    monkeypatch.setattr(L, "_tried", False)
    monkeypatch.setattr(L, "_kernel", None)
    monkeypatch.setitem(sys.modules, "moderation.rules._literals", None)  # the import fails
    monkeypatch.delattr(sys.modules["moderation.rules"], "_literals", raising=False)
    with caplog.at_level(logging.WARNING, logger=L.__name__):
        assert L.call_masks(pl.Series(["a"]), [["a"]]) is None
        assert L.call_masks(pl.Series(["a"]), [["a"]]) is None
    assert len([r for r in caplog.records if "not built" in r.message]) == 1


@pytest.fixture(scope="module")
def generated_day() -> pl.DataFrame:
    from moderation.features import add_features, compute_day_stats
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 20_000, seed=7)
    return add_features(listings, compute_day_stats(listings))


@pytest.mark.parametrize("mask_bits", [64, 5])
def test_evaluate_with_and_without_the_native_search(generated_day, monkeypatch, mask_bits) -> None:
    """The same hits on a generated day, and with text_norm NULL on some rows; mask_bits 5: the
    26 shipped calls in six groups."""
    monkeypatch.setattr(EVALUATE, "_MASK_BITS", mask_bits)
    ruleset = load_ruleset(SHIPPED_RULES)
    rng = np.random.default_rng(1)
    holes = generated_day.with_columns(
        pl.when(pl.Series(rng.random(generated_day.height) < 0.1)).then(None).otherwise(pl.col("text_norm"))
        .alias("text_norm"))
    native_calls = []
    search = EVALUATE.literals.call_masks
    monkeypatch.setattr(EVALUATE.literals, "call_masks", lambda *a: native_calls.append(1) or search(*a))
    for frame in (generated_day, holes):
        frame = complete_fields(frame, ruleset.fields)
        got = evaluate(ruleset, frame)
        with monkeypatch.context() as m:
            m.setattr(EVALUATE, "_native_masks", lambda text, calls: None)
            want = evaluate(ruleset, frame)
        assert got.equals(want)
        assert (want["rule_hits"].list.len() > 0).sum() > 500
    assert native_calls  # the native search did run


def test_too_many_literals_for_the_kernel_take_the_polars_path(generated_day, monkeypatch) -> None:
    ruleset = load_ruleset(SHIPPED_RULES)
    frame = complete_fields(generated_day.head(3000), ruleset.fields)
    want = evaluate(ruleset, frame)

    def too_many(*args):
        raise L.TooManyLiterals("too many")

    monkeypatch.setattr(L, "automaton", too_many)
    with pytest.raises(L.TooManyLiterals):
        L.call_masks(pl.Series(["a"]), [["a"]])
    assert evaluate(ruleset, frame).equals(want)
