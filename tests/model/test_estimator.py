"""FraudModel keeps the scikit-learn estimator contract and learns from the feature frame."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from moderation.errors import InputSchemaError, ModelNotFittedError
from moderation.model import FraudModel

NUMERIC = ("price", "price_ratio", "seller_age_days", "seller_listing_count", "seller_past_blocks")


def small_model(**overrides) -> FraudModel:
    params = dict(
        numeric_features=NUMERIC,
        optional_features=("contact_signals", "no_such_column"),
        categorical_features=("category", "seller_type"),
        max_tokens=50,
        min_df=3,
        n_estimators=30,
        n_jobs=1,
    )
    return FraudModel(**{**params, **overrides})


@pytest.fixture(scope="module")
def fitted(feature_frames):
    train, y_train, _, _ = feature_frames
    return small_model().fit(train, y_train)


def test_init_only_stores_parameters():
    model = small_model(n_estimators=7)
    assert model.get_params()["n_estimators"] == 7
    assert not [k for k in vars(model) if k.endswith("_")]
    assert clone(model).get_params() == model.get_params()


def test_predicting_before_fit_raises_a_clear_error(feature_frames):
    _, _, test, _ = feature_frames
    with pytest.raises(ModelNotFittedError, match="not fitted yet: call fit"):
        small_model().predict_proba(test)
    with pytest.raises(ModelNotFittedError):
        small_model().top_contributions(test)


def test_fit_returns_self_and_sets_fitted_attributes(feature_frames):
    train, y_train, _, _ = feature_frames
    model = small_model()
    assert model.fit(train, y_train) is model
    assert model.numeric_columns_ == [*NUMERIC, "contact_signals"]  # absent optional column skipped
    assert model.feature_names_[: len(NUMERIC)] == list(NUMERIC)
    assert set(model.category_levels_["seller_type"]) == {"private", "pro"}
    assert model.n_features_in_ == len(model.feature_names_)
    assert 0 < len(model.vocabulary_) <= 50
    assert "предоплата" in model.vocabulary_.tokens
    assert list(model.classes_) == [0, 1]


def test_predict_proba_ranks_held_out_violations_first(fitted, feature_frames):
    _, _, test, y_test = feature_frames
    proba = fitted.predict_proba(test)
    assert proba.shape == (test.height, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert roc_auc_score(y_test, proba[:, 1]) > 0.9
    assert set(np.unique(fitted.predict(test))) <= {0, 1}


def test_fitting_twice_gives_the_same_scores(fitted, feature_frames):
    train, y_train, test, _ = feature_frames
    again = small_model().fit(train, y_train)
    assert np.array_equal(again.predict_proba(test), fitted.predict_proba(test))


def test_pandas_input_scores_like_polars(fitted, feature_frames):
    _, _, test, _ = feature_frames
    sample = test.head(20).select(fitted.input_columns_)
    assert np.allclose(fitted.predict_proba(sample.to_pandas()), fitted.predict_proba(sample))


def test_empty_batch_gives_no_scores(fitted, feature_frames):
    _, _, test, _ = feature_frames
    assert fitted.predict_proba(test.clear()).shape == (0, 2)


def test_missing_spec_column_is_named(feature_frames):
    train, y_train, test, _ = feature_frames
    with pytest.raises(InputSchemaError, match=r"lacks \['price'\].*add_features"):
        small_model().fit(train.drop("price"), y_train)


def test_scoring_a_frame_without_a_trained_column_is_named(fitted, feature_frames):
    _, _, test, _ = feature_frames
    with pytest.raises(InputSchemaError, match="contact_signals"):
        fitted.predict_proba(test.drop("contact_signals"))


def test_bad_inputs_and_labels_are_rejected(feature_frames):
    train, y_train, _, _ = feature_frames
    with pytest.raises(InputSchemaError, match="Polars feature frame.*Got list"):
        small_model().fit([[1, 2]], [0, 1])
    with pytest.raises(ValueError, match="one label per row"):
        small_model().fit(train, y_train[:10])
    with pytest.raises(ValueError, match="0/1 or booleans"):
        small_model().fit(train, np.full(train.height, 2))
    with pytest.raises(ValueError, match="single class"):
        small_model().fit(train, np.zeros(train.height))


def test_unseen_category_scores_as_missing(fitted, feature_frames):
    import polars as pl

    _, _, test, _ = feature_frames
    odd = test.head(5).with_columns(pl.lit("spaceships").alias("category"))
    assert np.isfinite(fitted.predict_proba(odd)).all()


def test_feature_importance_names_features(fitted):
    importance = fitted.feature_importance()
    assert importance
    assert set(importance) <= set(fitted.feature_names_)
    values = list(importance.values())
    assert values == sorted(values, reverse=True)


def test_model_without_text_features(feature_frames):
    train, y_train, test, _ = feature_frames
    model = small_model(max_tokens=0).fit(train, y_train)
    assert len(model.vocabulary_) == 0
    assert not any(n.startswith("tok=") for n in model.feature_names_)
    assert model.predict_proba(test).shape == (test.height, 2)


def test_context_and_memory_features_are_named_and_scored(feature_frames):
    import pickle

    train, y_train, test, y_test = feature_frames
    model = small_model(context_tokens=40, text_memory=True).fit(train, y_train)
    extra = ["price_vs_text", "category_fit", "text_seen", "text_seen_violation_rate"]
    assert model.feature_names_[-4:] == extra
    assert model.n_features_in_ == model.design_matrix(test).shape[1]
    proba = model.predict_proba(test)[:, 1]
    assert roc_auc_score(y_test, proba) > 0.9
    # the booster's tokens are the label-chosen ones whatever the context reads
    assert model.vocabulary_ == small_model().fit(train, y_train).vocabulary_
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict_proba(test)[:, 1], proba)


def test_refit_without_context_drops_the_side_models(feature_frames):
    train, y_train, test, _ = feature_frames
    model = small_model(context_tokens=40, text_memory=True).fit(train, y_train)
    model.set_params(context_tokens=0, text_memory=False).fit(train, y_train)
    assert not hasattr(model, "context_") and not hasattr(model, "memory_")
    assert model.n_features_in_ == model.design_matrix(test).shape[1]


def test_context_needs_its_columns_when_scoring(feature_frames):
    train, y_train, test, _ = feature_frames
    model = small_model(context_tokens=40).fit(train, y_train)
    with pytest.raises(InputSchemaError, match="region"):
        model.predict_proba(test.drop("region"))
