"""MLflow registry: log + register, champion alias, promote, load — on a throwaway SQLite store."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.errors import ModelNotFoundError
from moderation.model import (
    FraudModel,
    Thresholds,
    list_versions,
    load_champion,
    load_version,
    log_and_register,
    promote,
)
from moderation.model.plots import training_figures

pytestmark = pytest.mark.slow  # a real MLflow SQLite store: ~30 s on 2 busy cores


@pytest.fixture(scope="module")
def store(tmp_path_factory, feature_frames):
    """A tracking store with two versions of `fraud`: v1 (champion) and v2 (a different model)."""
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    train, y_train, test, y_test = feature_frames
    versions = []
    for trees, cuts in ((10, Thresholds(0.1, 0.9)), (25, Thresholds(0.2, 0.8))):
        model = FraudModel(
            numeric_features=("seller_age_days", "seller_listing_count"),
            categorical_features=("category",),
            max_tokens=20,
            min_df=3,
            n_estimators=trees,
            n_jobs=1,
        ).fit(train, y_train)
        scores = model.predict_proba(test)[:, 1]
        version, run_uri = log_and_register(
            model,
            tracking_uri=uri,
            name="fraud",
            thresholds=cuts,
            params={"n_estimators": trees, "numeric": ["a", "b"]},
            metrics={"roc_auc": 0.9, "not_a_number": float("nan")},
            figures=training_figures(scores, y_test, cuts, model.feature_importance()),
            texts={"vocabulary.txt": "\n".join(model.vocabulary_.tokens)},
            example=test,
            artifact_location=(root / "artifacts").as_uri(),
        )
        versions.append((version, model, run_uri))
    return uri, root, versions


def test_first_version_becomes_champion_and_the_second_does_not(store):
    uri, _, versions = store
    (v1, _, run_uri), (v2, _, _) = versions
    assert v1.label == "fraud/1" and v1.aliases == ("champion",)
    assert v2.label == "fraud/2" and v2.aliases == ()
    assert v1.run_id in run_uri and uri in run_uri
    assert v2.thresholds == Thresholds(0.2, 0.8)
    assert v1.metrics["roc_auc"] == 0.9 and "not_a_number" not in v1.metrics


def test_run_has_plots_model_signature_and_thresholds(store):
    from mlflow import MlflowClient

    uri, _, versions = store
    client = MlflowClient(tracking_uri=uri)
    run_id = versions[0][0].run_id
    names = {a.path for a in client.list_artifacts(run_id)} | {
        a.path for a in client.list_artifacts(run_id, "plots")
    }
    assert {
        "thresholds.json",
        "vocabulary.txt",
        "plots/pr_curve.png",
        "plots/calibration.png",
        "plots/feature_importance.png",
    } <= names
    import mlflow.models

    info = mlflow.models.get_model_info("models:/fraud/1")
    assert info.signature is not None
    assert "seller_age_days" in info.signature.inputs.input_names()


def test_load_champion_returns_model_version_and_thresholds(store, feature_frames):
    uri, _, versions = store
    _, _, test, _ = feature_frames
    loaded = load_champion(uri, "fraud")
    assert loaded.version == "fraud/1"
    assert loaded.thresholds == Thresholds(0.1, 0.9)
    assert np.allclose(
        loaded.model.predict_proba(test)[:, 1], versions[0][1].predict_proba(test)[:, 1]
    )
    assert len(loaded.model.top_contributions(test.head(3), k=2)) == 3


def test_promote_switches_what_the_next_load_uses(store, feature_frames):
    uri, _, versions = store
    _, _, test, _ = feature_frames
    try:
        promoted = promote(uri, "fraud", 2)
        assert promoted.aliases == ("champion",)
        loaded = load_champion(uri, "fraud")
        assert loaded.version == "fraud/2"
        assert loaded.thresholds == Thresholds(0.2, 0.8)
        assert np.allclose(
            loaded.model.predict_proba(test)[:, 1], versions[1][1].predict_proba(test)[:, 1]
        )
        listed = list_versions(uri, "fraud")
        assert [(v.label, v.aliases) for v in listed] == [
            ("fraud/2", ("champion",)),
            ("fraud/1", ()),
        ]
    finally:
        promote(uri, "fraud", 1)


def test_load_version_pins_a_version(store):
    uri, _, _ = store
    assert load_version(uri, "fraud", "2").version == "fraud/2"


def test_missing_models_and_versions_have_a_hint(store):
    uri, _, _ = store
    with pytest.raises(ModelNotFoundError, match="run `moderation train` first"):
        load_champion(uri, "no-such-model")
    with pytest.raises(ModelNotFoundError, match="no version '9'.*moderation model list"):
        promote(uri, "fraud", 9)
    with pytest.raises(ModelNotFoundError, match="No model named 'nope'"):
        list_versions(uri, "nope")
