"""Model specs: ``models/*.yaml`` says which features, which hyper-parameters, which targets.

The spec is data an ML engineer edits and reviews; code only reads it. Parsing rejects unknown keys
(a typo must not silently fall back to a default) and every error names the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from moderation.errors import ConfigError

__all__ = [
    "ModelSpec",
    "FeatureSpec",
    "TextSpec",
    "LightGBMSpec",
    "TargetSpec",
    "SplitSpec",
    "load_spec",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextSpec(_Strict):
    """Token features of title + description (see ``moderation.features.text_hash``)."""

    max_tokens: int = Field(
        2000, ge=0, description="Vocabulary size chosen at fit time (0 = no text)."
    )
    min_df: int = Field(5, ge=1, description="Ignore tokens seen in fewer rows than this.")
    ngram_max: int = Field(1, ge=1, le=2, description="1 = words, 2 = words + word bigrams.")
    context_tokens: int = Field(
        0,
        ge=0,
        description="Frequent words read by the price/category side models (0 = no context "
        "features; see moderation.model.context).",
    )
    memory: bool = Field(
        False,
        description="Remember training texts and their violation share (moderation.model.memory).",
    )


class FeatureSpec(_Strict):
    numeric: tuple[str, ...] = Field((), description="Numeric columns the feature frame must have.")
    optional: tuple[str, ...] = Field(
        (),
        description="Numeric/boolean columns used when present at fit time (rule text features).",
    )
    categorical: tuple[str, ...] = Field((), description="String columns encoded as categories.")
    text: TextSpec = TextSpec()


class LightGBMSpec(_Strict):
    n_estimators: int = Field(300, ge=1)
    learning_rate: float = Field(0.05, gt=0, le=1)
    num_leaves: int = Field(31, ge=2)
    min_child_samples: int = Field(20, ge=1)
    subsample: float = Field(1.0, gt=0, le=1)
    colsample_bytree: float = Field(1.0, gt=0, le=1)
    reg_lambda: float = Field(0.0, ge=0)
    random_state: int = 0


class TargetSpec(_Strict):
    block_precision: float = Field(0.99, gt=0, le=1, description="Precision of automatic blocks.")
    approve_violation_rate: float = Field(
        0.003, ge=0, lt=1, description="Largest share of violations among automatic approvals."
    )
    confidence_z: float = Field(
        1.0, ge=0, description="Wilson-bound z used when checking the targets (0 = point estimate)."
    )
    approve_score_max: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Never approve automatically at or above this score, whatever the aggregate "
        "violation target allows (1.0 = no cap).",
    )


class SplitSpec(_Strict):
    holdout_fraction: float = Field(
        0.3, gt=0, lt=1, description="Share of rows held out for thresholds."
    )
    seed: int = 0


class ModelSpec(_Strict):
    name: str = Field(..., min_length=1, description="Registered MLflow model name.")
    description: str = ""
    features: FeatureSpec = FeatureSpec()
    lightgbm: LightGBMSpec = LightGBMSpec()
    targets: TargetSpec = TargetSpec()
    split: SplitSpec = SplitSpec()

    def estimator_params(self) -> dict[str, Any]:
        """Keyword arguments for ``FraudModel`` built from this spec."""
        return {
            "numeric_features": self.features.numeric,
            "optional_features": self.features.optional,
            "categorical_features": self.features.categorical,
            "max_tokens": self.features.text.max_tokens,
            "min_df": self.features.text.min_df,
            "ngram_max": self.features.text.ngram_max,
            "context_tokens": self.features.text.context_tokens,
            "text_memory": self.features.text.memory,
            **self.lightgbm.model_dump(),
        }


def load_spec(path: str | Path) -> ModelSpec:
    """Read and check one spec file; every problem is reported as ``file: key: message``."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: model spec not found (expected a YAML file such as models/fraud.yaml)."
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: a model spec must be a mapping of keys. Got {type(raw).__name__} instead."
        )
    try:
        return ModelSpec.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":
                problems.append(
                    f"{path}: {key}: unknown key (check the spelling; see models/README.md)."
                )
            else:
                problems.append(f"{path}: {key}: {err['msg']}. Got {err.get('input')!r} instead.")
        raise ConfigError("Invalid model spec:\n  " + "\n  ".join(problems)) from None
