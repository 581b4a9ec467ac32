"""The fraud model: estimator, spec, thresholds from targets, explanations, MLflow registry.

Scoring code needs only ``load_champion`` and the ``LoadedModel`` it returns::

    loaded = load_champion(settings.resolved_tracking_uri, name="fraud")
    scores = loaded.model.predict_proba(features)[:, 1]
    band = band_mask(scores, loaded.thresholds)   # rows left to people (and the text stage)
"""

from moderation.model.estimator import FraudModel
from moderation.model.registry import (
    CHAMPION,
    LoadedModel,
    RegisteredVersion,
    list_versions,
    load_champion,
    load_version,
    log_and_register,
    promote,
)
from moderation.model.spec import ModelSpec, load_spec
from moderation.model.thresholds import (
    ThresholdReport,
    Thresholds,
    band_mask,
    choose_thresholds,
    evaluate_thresholds,
)

__all__ = [
    "CHAMPION",
    "FraudModel",
    "LoadedModel",
    "ModelSpec",
    "RegisteredVersion",
    "ThresholdReport",
    "Thresholds",
    "band_mask",
    "choose_thresholds",
    "evaluate_thresholds",
    "list_versions",
    "load_champion",
    "load_spec",
    "load_version",
    "log_and_register",
    "promote",
]
