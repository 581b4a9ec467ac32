"""Token features: tokenising, vocabulary choice against the label, the sparse presence matrix."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from moderation.errors import InputSchemaError
from moderation.features.text_hash import (
    TokenVocabulary,
    fit_vocabulary,
    frequent_vocabulary,
    text_columns,
    text_of,
    token_matrix,
    tokenize,
)


def _texts(*values: str | None) -> pl.Series:
    return text_of(pl.DataFrame({"title": ["" for _ in values], "description": list(values)}))


def test_text_of_lowercases_and_folds_digits_to_zero():
    frame = pl.DataFrame({"title": ["Диван ДЁШЕВО"], "description": ["звоните 8-912-345"]})
    assert text_of(frame).to_list() == ["диван дёшево звоните 0-000-000"]


def test_text_of_prefers_the_normalised_text_of_the_rule_features():
    frame = pl.DataFrame(
        {"title": ["A"], "description": ["B"], "text_norm": ["вотсап 89001234567"]}
    )
    assert text_columns(frame) == ("text_norm",)
    assert text_of(frame).to_list() == ["вотсап 00000000000"]


def test_text_of_names_the_missing_columns():
    with pytest.raises(InputSchemaError, match="text_norm.*title.*description"):
        text_of(pl.DataFrame({"price": [1.0]}))
    with pytest.raises(InputSchemaError, match=r"\['text_norm'\]"):
        text_of(pl.DataFrame({"title": ["x"]}), ("text_norm",))


def test_tokenize_gives_unigrams_and_bigrams_per_row():
    text = _texts("Продам диван", None, "один")
    uni = tokenize(text)
    assert uni.filter(pl.col("row") == 0)["tok"].to_list() == ["продам", "диван"]
    assert uni.filter(pl.col("row") == 1).height == 0
    bi = tokenize(text, ngram_max=2)
    assert "продам диван" in bi.filter(pl.col("row") == 0)["tok"].to_list()
    assert bi.filter(pl.col("row") == 2)["tok"].to_list() == ["один"]


def test_fit_vocabulary_keeps_the_tokens_that_separate_the_classes():
    clean = ["диван в хорошем состоянии"] * 40
    bad = ["диван только предоплата на карту"] * 40
    y = np.array([0] * 40 + [1] * 40)
    vocab = fit_vocabulary(_texts(*clean, *bad), y, max_tokens=3, min_df=5)
    assert len(vocab) == 3
    assert "диван" not in vocab.tokens  # in every row: says nothing about the label
    assert set(vocab.tokens) <= {"в", "хорошем", "состоянии", "только", "предоплата", "на", "карту"}


def test_fit_vocabulary_ignores_rare_tokens_and_single_class_labels():
    text = _texts(*(["общий текст"] * 10 + ["редкое слово"]))
    y = np.array([0] * 10 + [1])
    assert "редкое" not in fit_vocabulary(text, y, min_df=2).tokens
    assert len(fit_vocabulary(text, np.zeros(11), min_df=1)) == 0
    with pytest.raises(ValueError, match="labels for 11 rows"):
        fit_vocabulary(text, np.zeros(3))


def test_token_matrix_is_presence_per_row_in_vocabulary_order():
    vocab = TokenVocabulary(tokens=("карту", "предоплата", "00000000000"))
    text = _texts("Предоплата на карту, предоплата!", "чистый текст", None, "тел 89001234567")
    matrix = token_matrix(text, vocab)
    assert isinstance(matrix, sp.csr_matrix)
    assert matrix.shape == (4, 3)
    assert matrix.toarray().tolist() == [[1, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1]]
    assert vocab.feature_names == ["tok=карту", "tok=предоплата", "tok=00000000000"]


def test_token_matrix_handles_empty_input_and_empty_vocabulary():
    assert token_matrix(_texts(), TokenVocabulary(tokens=("a",))).shape == (0, 1)
    assert token_matrix(_texts("a b"), TokenVocabulary(tokens=())).shape == (1, 0)


def test_bigram_vocabulary_matches_word_pairs():
    vocab = TokenVocabulary(tokens=("на карту",), ngram_max=2)
    matrix = token_matrix(_texts("перевод на карту", "карту на"), vocab)
    assert matrix.toarray().ravel().tolist() == [1, 0]


def test_vocabulary_rejects_bad_settings():
    with pytest.raises(ValueError, match="ngram_max must be 1 or 2"):
        TokenVocabulary(tokens=(), ngram_max=3)
    with pytest.raises(ValueError, match="unique"):
        TokenVocabulary(tokens=("a", "a"))


def test_frequent_vocabulary_keeps_the_words_in_most_rows_whatever_the_label():
    text = _texts(*(["диван угловой"] * 6 + ["диван прямой"] * 3 + ["кресло"] * 2))
    assert frequent_vocabulary(text, max_tokens=2, min_df=1).tokens == ("диван", "угловой")
    assert frequent_vocabulary(text, max_tokens=10, min_df=3).tokens == (
        "диван", "прямой", "угловой"
    )
    assert len(frequent_vocabulary(text, max_tokens=0)) == 0
    assert len(frequent_vocabulary(_texts(), max_tokens=5)) == 0
