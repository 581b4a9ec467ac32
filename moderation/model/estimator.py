"""``FraudModel``: LightGBM on tabular + rule + token features, as a scikit-learn estimator.

It takes the Polars feature frame (the output of ``moderation.features.add_features``) and builds
its own matrix, so training and scoring cannot disagree about columns: numeric columns as they are,
categorical columns as codes of the levels seen in training, the token matrix of
``moderation.features.text_hash`` and, when the spec asks for them, the outputs of side models
fitted with the booster (``moderation.model.context``: price and category against the text;
``moderation.model.memory``: texts met in training). The estimator contract holds: ``__init__`` only stores
parameters, ``fit`` returns ``self`` and sets attributes ending in ``_``, predicting before ``fit``
raises ``ModelNotFittedError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin

from moderation.errors import InputSchemaError, ModelNotFittedError
from moderation.features.text_hash import (
    TokenVocabulary,
    fit_vocabulary,
    frequent_vocabulary,
    text_columns,
    text_of,
    token_matrix,
)
from moderation.model.context import CONTEXT_FEATURES, cross_fit_context
from moderation.model.explain import top_contributions
from moderation.model.memory import MEMORY_FEATURES, cross_fit_memory, text_fingerprint

__all__ = ["FraudModel"]

_BELOW_ONE = float(np.nextafter(1.0, 0.0))
_MAX_LEVELS = 200  # categorical levels kept per column; rarer values become missing
_CONTEXT_COLUMNS = ("category", "region", "price")  # what the context side models read
_MEMORY_COLUMNS = ("title", "description")  # what the text memory fingerprints


class FraudModel(ClassifierMixin, BaseEstimator):
    """Probability that a listing violates policy, from the feature frame."""

    def __init__(
        self,
        numeric_features: Sequence[str] = (),
        optional_features: Sequence[str] = (),
        categorical_features: Sequence[str] = (),
        max_tokens: int = 2000,
        min_df: int = 5,
        ngram_max: int = 1,
        context_tokens: int = 0,
        text_memory: bool = False,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_lambda: float = 0.0,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.numeric_features = numeric_features
        self.optional_features = optional_features
        self.categorical_features = categorical_features
        self.max_tokens = max_tokens
        self.min_df = min_df
        self.ngram_max = ngram_max
        self.context_tokens = context_tokens
        self.text_memory = text_memory
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state
        self.n_jobs = n_jobs

    # --- fitting -------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any) -> FraudModel:
        """Choose columns, categorical levels and token vocabulary on ``X``; train the booster."""
        frame = _as_polars(X)
        labels = _as_labels(y, frame.height)
        missing = [
            c
            for c in (*self.numeric_features, *self.categorical_features)
            if c not in frame.columns
        ]
        if missing:
            raise InputSchemaError(
                f"FraudModel.fit: the feature frame lacks {missing} named in the model spec; "
                "build it with moderation.features.add_features or fix `features` in the spec."
            )
        self.numeric_columns_ = [
            *self.numeric_features,
            *(c for c in self.optional_features if c in frame.columns),
        ]
        self.category_levels_ = {c: _levels(frame[c]) for c in self.categorical_features}
        for stale in ("context_", "token_union_", "context_columns_", "memory_"):
            self.__dict__.pop(stale, None)  # a re-fit without them must not keep old side models
        use_context = self.context_tokens > 0 and all(c in frame.columns for c in _CONTEXT_COLUMNS)
        self.text_columns_ = (
            text_columns(frame) if self.max_tokens > 0 or use_context else ()
        )
        text = text_of(frame, self.text_columns_) if self.text_columns_ else None
        self.vocabulary_ = (
            fit_vocabulary(
                text,
                labels,
                max_tokens=self.max_tokens,
                min_df=self.min_df,
                ngram_max=self.ngram_max,
            )
            if self.max_tokens > 0
            else TokenVocabulary(tokens=())
        )
        context_values = self._fit_context(frame, text, labels) if use_context else None
        use_memory = self.text_memory and all(c in frame.columns for c in _MEMORY_COLUMNS)
        memory_values = None
        if use_memory:
            self.memory_, memory_values = cross_fit_memory(
                text_fingerprint(frame), labels, _sellers(frame)
            )
        self.input_columns_ = [
            *self.numeric_columns_,
            *self.categorical_features,
            *(c for c in _CONTEXT_COLUMNS if use_context and c not in self.numeric_columns_),
            *(_MEMORY_COLUMNS if use_memory else ()),
            *self.text_columns_,
        ]
        self.input_columns_ = list(dict.fromkeys(self.input_columns_))
        self.feature_names_ = [
            *self.numeric_columns_,
            *self.categorical_features,
            *self.vocabulary_.feature_names,
            *(CONTEXT_FEATURES if use_context else ()),
            *(MEMORY_FEATURES if use_memory else ()),
        ]
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(self.feature_names_)
        matrix = self._matrix(frame, context_values, memory_values)
        categorical = list(
            range(
                len(self.numeric_columns_),
                len(self.numeric_columns_) + len(self.categorical_features),
            )
        )
        dataset = lgb.Dataset(
            matrix,
            label=labels,
            feature_name=_safe_names(self.feature_names_),
            categorical_feature=categorical or "auto",
            params={"verbose": -1},
            free_raw_data=True,
        )
        self.booster_ = lgb.train(self._lgb_params(), dataset, num_boost_round=self.n_estimators)
        return self

    def _fit_context(self, frame: pl.DataFrame, text: pl.Series, labels: np.ndarray) -> np.ndarray:
        """Fit the price/category side models; out-of-fold context features of the rows."""
        extra = frequent_vocabulary(text, max_tokens=self.context_tokens, min_df=self.min_df)
        known = set(self.vocabulary_.tokens)
        # One token pass at scoring time: the booster's tokens first, then the context's others.
        union = (*self.vocabulary_.tokens, *(t for t in extra.tokens if t not in known))
        position = {t: i for i, t in enumerate(union)}
        self.token_union_ = TokenVocabulary(tokens=union, ngram_max=self.vocabulary_.ngram_max)
        self.context_columns_ = np.array([position[t] for t in extra.tokens], dtype=np.int64)
        tokens = token_matrix(text, self.token_union_)[:, self.context_columns_]
        sellers = _sellers(frame)
        levels = tuple(self.category_levels_.get("category") or _levels(frame["category"]))
        self.context_, values = cross_fit_context(
            tokens, frame["category"], frame["region"], frame["price"], labels, sellers,
            levels, tuple(_levels(frame["region"])),
        )
        return values

    def _lgb_params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1 if self.subsample < 1.0 else 0,
            "feature_fraction": self.colsample_bytree,
            "lambda_l2": self.reg_lambda,
            "seed": self.random_state,
            "deterministic": True,
            "num_threads": self.n_jobs or 0,
            "verbose": -1,
        }

    # --- the matrix ----------------------------------------------------------------------------

    def design_matrix(self, X: Any) -> sp.csr_matrix:
        """The matrix the booster sees, columns named by ``feature_names_``."""
        self._check_fitted()
        return self._matrix(_as_polars(X))

    def _matrix(
        self,
        frame: pl.DataFrame,
        context_values: np.ndarray | None = None,
        memory_values: np.ndarray | None = None,
    ) -> sp.csr_matrix:
        """``*_values`` replace the side models' output (out-of-fold values at fit time)."""
        needed = [*self.numeric_columns_, *self.categorical_features]
        if getattr(self, "context_", None) is not None:
            needed += [c for c in _CONTEXT_COLUMNS if c not in needed]
        if getattr(self, "memory_", None) is not None:
            needed += list(_MEMORY_COLUMNS)
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InputSchemaError(
                f"FraudModel: the feature frame lacks {missing}, which the model was trained with; "
                "build it with moderation.features.add_features."
            )
        exprs = [pl.col(c).cast(pl.Float32, strict=False) for c in self.numeric_columns_]
        for column, levels in self.category_levels_.items():
            codes = pl.Series("level", levels, dtype=pl.String)
            mapping = dict(zip(codes.to_list(), range(len(levels)), strict=True))
            exprs.append(
                pl.col(column)
                .cast(pl.String)
                .replace_strict(mapping, default=None, return_dtype=pl.Float32)
            )
        tabular = (
            frame.select(exprs).to_numpy().astype(np.float32, copy=False)
            if exprs
            else np.empty((frame.height, 0), dtype=np.float32)
        )
        # to_numpy turns nulls into NaN, which LightGBM treats as missing.
        parts = [sp.csr_matrix(tabular)]
        context = getattr(self, "context_", None)
        if context is not None:
            tokens = token_matrix(text_of(frame, self.text_columns_), self.token_union_)
            parts.append(tokens[:, : len(self.vocabulary_)])
            if context_values is None:
                context_values = context.features(
                    tokens[:, self.context_columns_],
                    frame["category"], frame["region"], frame["price"],
                )
            parts.append(sp.csr_matrix(context_values.astype(np.float32)))
        elif len(self.vocabulary_):
            parts.append(token_matrix(text_of(frame, self.text_columns_), self.vocabulary_))
        memory = getattr(self, "memory_", None)
        if memory is not None:
            if memory_values is None:
                memory_values = memory.features(text_fingerprint(frame))
            parts.append(sp.csr_matrix(memory_values.astype(np.float32)))
        return sp.hstack(parts, format="csr", dtype=np.float32)

    # --- predicting ----------------------------------------------------------------------------

    def predict_proba(self, X: Any) -> np.ndarray:
        """Shape ``(n, 2)``: column 1 is the probability of a violation."""
        self._check_fitted()
        matrix = self._matrix(_as_polars(X))
        if matrix.shape[0] == 0:
            return np.empty((0, 2))
        p = self.booster_.predict(matrix, num_threads=self.n_jobs or 0)
        # Kept below 1 so that a block threshold of 1.0 reliably means "never block".
        p = np.minimum(p, _BELOW_ONE)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def top_contributions(
        self, X: Any, k: int = 3, method: str = "path"
    ) -> list[list[tuple[str, float]]]:
        """Per row, the ``k`` features that moved the score most (from LightGBM's own trees).

        ``method="path"`` is cheap enough for every row of a day; ``"shap"`` is TreeSHAP (slow).
        """
        self._check_fitted()
        return top_contributions(
            self.booster_, self._matrix(_as_polars(X)), self.feature_names_, k=k, method=method
        )

    def feature_importance(self, kind: str = "gain") -> dict[str, float]:
        """Total gain (or split count) per feature, largest first, zeros left out."""
        self._check_fitted()
        values = self.booster_.feature_importance(importance_type=kind)
        pairs = sorted(zip(self.feature_names_, values.tolist(), strict=True), key=lambda p: -p[1])
        return {name: float(v) for name, v in pairs if v > 0}

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise ModelNotFittedError(
                "This FraudModel is not fitted yet: call fit(features, labels) first, "
                "or load a trained one with moderation.model.load_champion."
            )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "booster_")


def _sellers(frame: pl.DataFrame) -> pl.Series:
    """Seller ids for cross-fitting folds; each row its own seller when there are none."""
    if "seller_id" in frame.columns:
        return frame["seller_id"]
    return pl.Series("seller_id", np.arange(frame.height))


def _as_polars(X: Any) -> pl.DataFrame:
    if isinstance(X, pl.DataFrame):
        return X
    if isinstance(X, pl.LazyFrame):
        return X.collect()
    try:
        import pandas as pd

        if isinstance(X, pd.DataFrame):  # MLflow's pyfunc and signature checks speak pandas
            return pl.from_pandas(X)
    except ImportError:  # pragma: no cover - pandas comes with mlflow
        pass
    raise InputSchemaError(
        f"FraudModel expects a Polars feature frame (from moderation.features.add_features). "
        f"Got {type(X).__name__} instead."
    )


def _as_labels(y: Any, n: int) -> np.ndarray:
    labels = np.asarray(y.to_numpy() if isinstance(y, pl.Series) else y)
    if labels.shape != (n,):
        raise ValueError(
            f"FraudModel.fit: y must have one label per row ({n}). Got shape {labels.shape}."
        )
    if labels.dtype == bool:
        labels = labels.astype(np.int8)
    unique = set(np.unique(labels).tolist())
    if not unique <= {0, 1}:
        raise ValueError(
            f"FraudModel.fit: labels must be 0/1 or booleans. Got values {sorted(unique)[:5]}."
        )
    if len(unique) < 2:
        raise ValueError(
            "FraudModel.fit: labels hold a single class; training needs violations and clean rows."
        )
    return labels.astype(np.float32)


def _levels(column: pl.Series) -> list[str]:
    counts = column.cast(pl.String).drop_nulls().value_counts(sort=True)
    return sorted(counts.head(_MAX_LEVELS)[column.name].to_list())


def _safe_names(names: list[str]) -> list[str]:
    # LightGBM rejects some characters in feature names; contributions use our own names anyway.
    return [f"f{i}" for i in range(len(names))]
