"""MLflow at the edge: log a trained model with its evidence, register it, promote it, load it.

Everything MLflow-specific lives here. A registered version carries its decision thresholds as
version tags (``approve_below``, ``block_at``) and as ``thresholds.json`` in its run, so whoever
loads ``models:/<name>@champion`` scores with exactly the cuts measured for that model.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from moderation.errors import ModelNotFoundError
from moderation.model.estimator import FraudModel
from moderation.model.thresholds import Thresholds

__all__ = [
    "CHAMPION",
    "LoadedModel",
    "RegisteredVersion",
    "log_and_register",
    "promote",
    "list_versions",
    "load_champion",
    "load_version",
]

CHAMPION = "champion"
EXPERIMENT = "moderation-{name}"


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score, with the version every decision records and its thresholds."""

    model: FraudModel
    version: str  # "<name>/<version>", e.g. "fraud/3"
    thresholds: Thresholds
    run_id: str | None = None


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: str
    run_id: str | None
    aliases: tuple[str, ...]
    thresholds: Thresholds | None
    metrics: Mapping[str, float]

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"


def _client(tracking_uri: str):
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def experiment_id(client, experiment_name: str, artifact_location: str | None) -> str:
    """The id of ``experiment_name``, created (with ``artifact_location``) if it does not exist."""
    existing = client.get_experiment_by_name(experiment_name)
    if existing is not None:
        return existing.experiment_id
    return client.create_experiment(experiment_name, artifact_location=artifact_location)


def log_and_register(
    model: FraudModel,
    *,
    tracking_uri: str,
    name: str,
    thresholds: Thresholds,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    figures: Mapping[str, Any] = {},
    texts: Mapping[str, str] = {},
    example: pl.DataFrame | None = None,
    artifact_location: str | None = None,
    set_champion_if_none: bool = True,
) -> tuple[RegisteredVersion, str]:
    """Log one training run (params, metrics, plots, model with signature) and register the model.

    Returns the registered version and the run's URI. The new version becomes ``champion`` only if
    the name has no champion yet; otherwise promote it explicitly after comparing.
    """
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    client = _client(tracking_uri)
    experiment = experiment_id(client, EXPERIMENT.format(name=name), artifact_location)
    # The pickle-format warning is expected: we load only models we trained ourselves.
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_params({k: _param(v) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if _finite(v)})
        mlflow.log_dict(asdict(thresholds), "thresholds.json")
        for artifact_name, text in texts.items():
            mlflow.log_text(text, artifact_name)
        for artifact_name, figure in figures.items():
            mlflow.log_figure(figure, artifact_name)
        signature = input_example = None
        if example is not None and example.height:
            # Numbers as floats: integer columns with a missing value would fail schema checks.
            sample = (
                example.select(model.input_columns_)
                .head(5)
                .with_columns(pl.selectors.numeric().cast(pl.Float64))
                .to_pandas()
            )
            input_example = sample
            signature = infer_signature(sample, model.predict_proba(example.head(5))[:, 1])
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            serialization_format="pickle",
            signature=signature,
            input_example=input_example,
            pyfunc_predict_fn="predict_proba",
            # Stated, not inferred: inference imports the model in a subprocess (~20 s per run).
            pip_requirements=_requirements(),
        )
        run_id = run.info.run_id
    version = mlflow.register_model(
        info.model_uri,
        name,
        tags={key: repr(value) for key, value in asdict(thresholds).items()},
    )
    if set_champion_if_none and _champion_version(client, name) is None:
        client.set_registered_model_alias(name, CHAMPION, version.version)
    run_uri = f"{tracking_uri} (experiment {experiment}, run {run_id})"
    return _describe(client, name, version.version), run_uri


def promote(tracking_uri: str, name: str, version: str | int) -> RegisteredVersion:
    """Point the ``champion`` alias at ``version``; the next load uses it."""
    client = _client(tracking_uri)
    _get_version(client, name, str(version))
    client.set_registered_model_alias(name, CHAMPION, str(version))
    return _describe(client, name, str(version))


def list_versions(tracking_uri: str, name: str) -> list[RegisteredVersion]:
    """Every registered version of ``name``, newest first."""
    client = _client(tracking_uri)
    try:
        client.get_registered_model(name)
    except Exception:
        raise ModelNotFoundError(
            f"No model named {name!r} is registered at {tracking_uri}; run `moderation train` first."
        ) from None
    versions = client.search_model_versions(f"name = '{name}'")
    ordered = sorted(versions, key=lambda v: -int(v.version))
    return [_describe(client, name, v.version) for v in ordered]


def load_champion(tracking_uri: str, name: str = "fraud") -> LoadedModel:
    """The model behind ``models:/<name>@champion``, its version label and thresholds."""
    client = _client(tracking_uri)
    version = _champion_version(client, name)
    if version is None:
        raise ModelNotFoundError(
            f"No `{CHAMPION}` version of model {name!r} at {tracking_uri}; "
            "run `moderation train` first (or `moderation model promote VERSION`)."
        )
    return load_version(tracking_uri, name, version)


def load_version(tracking_uri: str, name: str, version: str | int) -> LoadedModel:
    """One registered version, loaded by number (pins a version regardless of aliases)."""
    import mlflow.sklearn

    client = _client(tracking_uri)
    mv = _get_version(client, name, str(version))
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)
    model = mlflow.sklearn.load_model(f"models:/{name}/{mv.version}")
    thresholds = _thresholds(client, mv)
    if thresholds is None:
        raise ModelNotFoundError(
            f"Model {name}/{mv.version} has no thresholds (tags approve_below/block_at); "
            "it was not registered by `moderation train`."
        )
    return LoadedModel(
        model=model, version=f"{name}/{mv.version}", thresholds=thresholds, run_id=mv.run_id
    )


# --- helpers ---------------------------------------------------------------------------------


def _champion_version(client, name: str) -> str | None:
    try:
        return client.get_model_version_by_alias(name, CHAMPION).version
    except Exception:
        return None


def _get_version(client, name: str, version: str):
    try:
        return client.get_model_version(name, version)
    except Exception:
        raise ModelNotFoundError(
            f"Model {name!r} has no version {version!r}; `moderation model list` shows the versions."
        ) from None


def _thresholds(client, mv) -> Thresholds | None:
    tags = mv.tags or {}
    if "approve_below" in tags and "block_at" in tags:
        return Thresholds(float(tags["approve_below"]), float(tags["block_at"]))
    if mv.run_id:
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = client.download_artifacts(mv.run_id, "thresholds.json", tmp)
                values = json.loads(Path(path).read_text())
                return Thresholds(float(values["approve_below"]), float(values["block_at"]))
        except Exception:
            return None
    return None


def _describe(client, name: str, version: str) -> RegisteredVersion:
    mv = client.get_model_version(name, version)
    metrics: dict[str, float] = {}
    if mv.run_id:
        try:
            metrics = dict(client.get_run(mv.run_id).data.metrics)
        except Exception:
            metrics = {}
    return RegisteredVersion(
        name=name,
        version=str(mv.version),
        run_id=mv.run_id,
        aliases=tuple(getattr(mv, "aliases", ()) or ()),
        thresholds=_thresholds(client, mv),
        metrics=metrics,
    )


def _requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for package in ("lightgbm", "scikit-learn", "scipy", "numpy", "polars", "pyarrow", "pandas"):
        try:
            out.append(f"{package}=={version(package)}")
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            continue
    return out


def _param(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value)) or "-"
    return value


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
