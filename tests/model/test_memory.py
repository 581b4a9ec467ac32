"""Text memory: a text met in training brings its violation share; a new text brings nothing."""

from __future__ import annotations

import numpy as np
import polars as pl

from moderation.model.memory import cross_fit_memory, fit_memory, text_fingerprint


def _frame(titles: list[str], descriptions: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"title": titles, "description": descriptions})


def test_fingerprint_ignores_case_digits_punctuation_and_the_tail():
    base = "Продаю коляску, состояние отличное. " * 4
    fps = text_fingerprint(
        _frame(
            ["Коляска Anex 2в1", "коляска anex 2 в 1!", "Коляска Anex (2 в 1)", "Велосипед"],
            [base, base.upper() + " Торг", base + " ещё одна строка в конце", base],
        )
    )
    assert fps[0] == fps[1] == fps[2]
    assert fps[3] != fps[0]


def test_known_texts_bring_their_violation_share_and_new_texts_nothing():
    train = _frame(["A"] * 6 + ["B"] * 6, ["x"] * 12)
    labels = np.array([1] * 6 + [0] * 6)
    memory = fit_memory(text_fingerprint(train), labels)
    values = memory.features(text_fingerprint(_frame(["a", "b", "new"], ["x", "x", "x"])))
    assert values[0, 0] == 6 and values[1, 0] == 6 and values[2, 0] == 0
    assert values[0, 1] > 0.8 > 0.2 > values[1, 1]
    assert np.isnan(values[2, 1])


def test_cross_fitted_rows_never_count_themselves():
    frame = _frame(["solo", "pair", "pair"], ["x", "y", "y"])
    sellers = pl.Series(["s1", "s2", "s3"])
    full, oof = cross_fit_memory(text_fingerprint(frame), np.array([1, 1, 1]), sellers)
    fold = (sellers.hash(seed=11).to_numpy() % 2).astype(bool)
    assert oof[0, 0] == 0  # its only copy is itself
    if fold[1] != fold[2]:  # the pair's rows sit in different folds: each sees the other
        assert oof[1, 0] > 0 and oof[2, 0] > 0
    assert full.features(text_fingerprint(frame))[1, 0] == 2
