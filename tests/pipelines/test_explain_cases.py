"""Path credits: exact additivity, agreement with SHAP where one feature decides, top-k order."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
import scipy.sparse as sp

from pipelines.explain_cases import PathExplainer, explainer_for, top_k


@pytest.fixture(scope="module")
def booster():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2_000, 5))
    y = (x[:, 0] + 0.3 * x[:, 1] + rng.normal(scale=0.2, size=2_000) > 0).astype(int)
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values take the default branch
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 0, "deterministic": True}
    return lgb.train(params, lgb.Dataset(x, y), num_boost_round=30), x


def test_credits_add_up_to_the_raw_score(booster):
    model, x = booster
    explainer = PathExplainer(model)
    credits = explainer.contributions(sp.csr_matrix(x[:300]))
    raw = model.predict(x[:300], raw_score=True)
    np.testing.assert_allclose(np.asarray(credits.sum(axis=1)).ravel() + explainer.base, raw, atol=1e-9)


def test_the_deciding_feature_gets_the_most_credit_like_shap(booster):
    model, x = booster
    rows = x[np.abs(np.nan_to_num(x[:, 0])) > 1.5][:100]
    credits = PathExplainer(model).contributions(rows)
    best = [pairs[0][0] for pairs in top_k(credits, ["f0", "f1", "f2", "f3", "f4"], k=1)]
    shap = model.predict(rows, pred_contrib=True)[:, :-1]
    assert best == [f"f{i}" for i in np.abs(shap).argmax(axis=1)]
    assert set(best) == {"f0"}


def test_top_k_orders_by_size_and_skips_zeros():
    contrib = sp.csr_matrix(np.array([[0.1, -0.5, 0.0, 0.3], [0.0, 0.0, 0.0, 0.0], [0.0, 0.2, 0.0, 0.0]]))
    assert top_k(contrib, ["a", "b", "c", "d"], k=2) == [[("b", -0.5), ("d", 0.3)], [], [("b", 0.2)]]
    with pytest.raises(ValueError, match="k must be at least 1. Got 0 instead."):
        top_k(contrib, ["a", "b", "c", "d"], k=0)


def test_one_explainer_per_booster_and_empty_input(booster):
    model, _ = booster
    assert explainer_for(model) is explainer_for(model)
    assert explainer_for(model).contributions(np.empty((0, 5))).shape == (0, 5)
