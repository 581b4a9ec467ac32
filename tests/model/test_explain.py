"""Explanations: LightGBM's contributions, top-k per row, readable names."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.model import FraudModel, explain


@pytest.fixture(scope="module")
def fitted(feature_frames):
    train, y_train, _, _ = feature_frames
    return FraudModel(
        numeric_features=("seller_age_days", "seller_listing_count", "price_ratio"),
        categorical_features=("category",),
        max_tokens=30,
        min_df=3,
        n_estimators=20,
        n_jobs=1,
    ).fit(train, y_train)


def test_shap_top_contributions_are_the_largest_by_magnitude(fitted, feature_frames):
    _, _, test, _ = feature_frames
    rows = test.head(50)
    top = fitted.top_contributions(rows, k=3, method="shap")
    full = fitted.booster_.predict(fitted.design_matrix(rows), pred_contrib=True)
    full = full.toarray() if hasattr(full, "toarray") else np.asarray(full)
    assert len(top) == rows.height
    for i, pairs in enumerate(top):
        assert 1 <= len(pairs) <= 3
        names = [n for n, _ in pairs]
        assert set(names) <= set(fitted.feature_names_)
        magnitudes = [abs(v) for _, v in pairs]
        assert magnitudes == sorted(magnitudes, reverse=True)
        expected = np.sort(np.abs(full[i, :-1]))[::-1][: len(pairs)]
        assert np.allclose(magnitudes, expected, atol=1e-4)


@pytest.mark.parametrize("method", ["path", "shap"])
def test_contributions_add_up_to_the_score(fitted, feature_frames, method):
    _, _, test, _ = feature_frames
    rows = test.head(10)
    matrix = fitted.design_matrix(rows)
    everything = fitted.top_contributions(rows, k=len(fitted.feature_names_), method=method)
    if method == "shap":
        full = fitted.booster_.predict(matrix, pred_contrib=True)
        bias = (full.toarray() if hasattr(full, "toarray") else np.asarray(full))[:, -1]
    else:
        bias = np.full(
            rows.height, explain.path_contributions(fitted.booster_, matrix, matrix.shape[1])[1]
        )
    raw = fitted.booster_.predict(matrix, raw_score=True)
    for pairs, b, r in zip(everything, bias, raw, strict=True):
        assert sum(v for _, v in pairs) + b == pytest.approx(r, abs=1e-2)


def test_path_contributions_are_sorted_named_and_mostly_agree_with_shap(fitted, feature_frames):
    _, _, test, _ = feature_frames
    rows = test.head(200)
    path = fitted.top_contributions(rows, k=3)
    shap = fitted.top_contributions(rows, k=3, method="shap")
    assert len(path) == rows.height
    for pairs in path:
        assert {n for n, _ in pairs} <= set(fitted.feature_names_)
        magnitudes = [abs(v) for _, v in pairs]
        assert magnitudes == sorted(magnitudes, reverse=True)
    same_top = sum(p[0][0] == s[0][0] for p, s in zip(path, shap, strict=True) if p and s)
    assert same_top / rows.height > 0.6


def test_chunking_gives_the_same_answer(fitted, feature_frames, monkeypatch):
    _, _, test, _ = feature_frames
    rows = test.head(30)
    whole = fitted.top_contributions(rows, k=2)
    monkeypatch.setattr(explain, "CHUNK_ROWS", 7)
    assert fitted.top_contributions(rows, k=2) == whole


def test_bad_arguments(fitted, feature_frames):
    _, _, test, _ = feature_frames
    with pytest.raises(ValueError, match="k must be at least 1"):
        fitted.top_contributions(test.head(2), k=0)
    with pytest.raises(ValueError, match="method must be one of"):
        fitted.top_contributions(test.head(2), method="lime")
    with pytest.raises(ValueError, match="columns for 2 feature names"):
        explain.top_contributions(fitted.booster_, fitted.design_matrix(test.head(2)), ["a", "b"])
