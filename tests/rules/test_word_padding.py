"""contains_word on text_norm runs as a literal pattern on space-padded text: same hits."""

import polars as pl
import pytest

from moderation.rules.compile import _padded_words, compile_condition

TEXTS = [None, "", " ", "меф", "меф и", "и меф", "амеф", "мефа", "закладки в", "закладки во",
         "x закладки в y", "мефедрон", "мефедрон меф", "\n меф", "Меф", "меф\u00a0x"]


@pytest.mark.parametrize("condition", [
    "contains_word(text_norm, @drugs)",
    "NOT contains_word(text_norm, @drugs) AND text_norm <> ''",
    "contains_word(title, @drugs)",  # not text_norm: a different boundary, left as written
])
def test_padded_pattern_gives_the_same_hits(condition: str) -> None:
    lists = {"drugs": ["меф", "мефедрон", "закладки в"]}
    types = {"text_norm": "string", "title": "string"}
    compiled = compile_condition(condition, types, lists)
    frame = pl.DataFrame({"text_norm": TEXTS, "title": TEXTS}, schema={"text_norm": pl.String, "title": pl.String})
    plain = pl.sql_expr(compiled.sql).fill_null(False)
    assert frame.select(compiled.expr).to_series().to_list() == frame.select(plain).to_series().to_list()


def test_only_anchor_free_word_alternations_are_rewritten() -> None:
    word = "regexp_like(text_norm, '(?:^| )(?:a|b c)(?: |$)')"
    assert _padded_words(word) == "regexp_like(' ' || text_norm || ' ', ' (?:a|b c) ')"
    anchored = "regexp_like(text_norm, '(?:^| )(?:^a|b)(?: |$)')"
    assert _padded_words(anchored) == anchored
    other = "regexp_like(text_norm, '(?i)(?:a|b)')"
    assert _padded_words(other) == other
