"""Training runner: read labelled listings, build features, fit, choose thresholds, evaluate, log.

Two sources: history days written by the generator (``DIR/listings-*.parquet`` with
``DIR/truth-*.parquet``) or one labelled file (CSV / Parquet / JSONL: listings plus a label column,
e.g. reviewer decisions or ``has_contacts``). Both go through the scoring path's own validation and
``add_features`` (per day, with that day's stats), so the model trains on exactly what it will see.

Rows are split by seller (no seller on both sides): the training part fits the model, the held-out
part is halved — one half chooses the thresholds, the other measures them. When a ruleset is given,
thresholds are chosen on the held-out rows no rule decides (those are the rows the model decides in
a daily run) and the evaluation half is decided by rules + model exactly as ``moderation score``
would, so the printed automation rate is the system's.

Opt-in (``threshold_folds=K``, off by default): thresholds are chosen on out-of-fold scores over the
training part and the threshold half together (K seller-grouped folds, K extra fits), and the
registered model is fitted on both. Every row then counts for the threshold choice — several times
the violations of one held-out half, which a strict precision target on the Wilson bound needs. The
evaluation half stays held out either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from moderation.errors import InputSchemaError
from moderation.features import add_features, compute_day_stats
from moderation.features.tabular import listing_fingerprints
from moderation.ingest import FORMATS
from moderation.model.estimator import FraudModel
from moderation.model.evaluate import (
    model_decisions,
    per_reason_recall,
    ranking_metrics,
    system_metrics,
)
from moderation.model.plots import training_figures
from moderation.model.registry import RegisteredVersion, log_and_register
from moderation.model.spec import ModelSpec
from moderation.model.thresholds import ThresholdReport, choose_thresholds, evaluate_thresholds
from moderation.schema import LISTING_COLUMNS, REQUIRED_COLUMNS
from moderation.validate import validate_batch

__all__ = [
    "TrainingData",
    "TrainResult",
    "read_history",
    "read_labelled",
    "train_and_register",
    "labels_from",
]

_CLEAN_LABELS = {"ok", "0", "false", "no", "clean", "approve", "approved"}


@dataclass(frozen=True)
class TrainingData:
    features: pl.DataFrame  # add_features output, one row per listing
    labels: np.ndarray  # 1 = violation
    reasons: pl.Series | None  # true reason code per row ('ok' for clean), when known
    source: str
    dropped: int = 0  # rows that failed validation (quarantined, not trained on)
    raw_labels: np.ndarray | None = None  # labels as given, when ``labels`` corrects known noise


@dataclass(frozen=True)
class TrainResult:
    version: RegisteredVersion
    run_uri: str
    tracking_uri: str
    metrics: dict[str, float]
    report: ThresholdReport  # the thresholds on the evaluation half (model-decided rows)
    seconds: float
    notes: list[str] = field(default_factory=list)


# --- reading ---------------------------------------------------------------------------------


def labels_from(column: pl.Series) -> tuple[np.ndarray, pl.Series | None]:
    """0/1 labels from a label column: numbers/booleans (non-zero = violation) or reason codes.

    Text labels count as clean when they read ``ok``/``approve``/``0``/``false``/``clean``; any
    other text (a reason code, ``block``) is a violation and is kept as the row's reason.
    """
    if column.null_count():
        raise InputSchemaError(
            f"label column `{column.name}` has {column.null_count()} empty value(s)."
        )
    if column.dtype == pl.String:
        text = column.str.strip_chars().str.to_lowercase()
        labels = (~text.is_in(list(_CLEAN_LABELS))).to_numpy().astype(np.int8)
        reasons = pl.Series("reason", np.where(labels == 1, text.to_numpy(), "ok"), dtype=pl.String)
        return labels, reasons
    if column.dtype.is_numeric() or column.dtype == pl.Boolean:
        return (column.cast(pl.Float64).to_numpy() != 0).astype(np.int8), None
    raise InputSchemaError(
        f"label column `{column.name}` must hold 0/1, booleans or reason codes. Got {column.dtype}."
    )


def _featurise(
    listings: pl.DataFrame, source: str, previous: pl.Series | None = None
) -> tuple[pl.DataFrame, int]:
    typed, quarantine = validate_batch(listings, source_file=source, row_offset=0)
    stats = compute_day_stats(typed, previous_fingerprints=previous)
    return add_features(typed, stats), quarantine.height


def read_history(directory: Path) -> TrainingData:
    """Generated days: every ``listings-*.parquet`` with its ``truth-*.parquet`` (joined on listing_id).

    Days are read in name (= date) order and each sees the earlier days' listing fingerprints, as
    a daily run does, so reposts across days show up in ``earlier_copies``.
    """
    directory = Path(directory)
    days = sorted(directory.glob("listings-*.parquet"))
    if not days:
        raise InputSchemaError(
            f"{directory}: no listings-*.parquet files (generate some with `moderation generate`)."
        )
    frames, dropped = [], 0
    previous: pl.Series | None = None  # fingerprints of earlier days: reposts across days
    for path in days:
        truth_path = path.with_name(path.name.replace("listings-", "truth-", 1))
        if not truth_path.exists():
            raise InputSchemaError(f"{path}: no matching truth file {truth_path.name}.")
        features, bad = _featurise(pl.read_parquet(path), str(path), previous)
        today = listing_fingerprints(features)
        previous = today if previous is None else pl.concat([previous, today])
        truth = pl.read_parquet(truth_path)
        truth = truth.select(
            "listing_id",
            "violation",
            (pl.col("label_noise") if "label_noise" in truth.columns else pl.lit(False)).alias(
                "label_noise"
            ),
        )
        joined = features.join(truth, on="listing_id", how="inner", maintain_order="left")
        if joined.height < features.height:
            raise InputSchemaError(
                f"{truth_path}: {features.height - joined.height} listing(s) of {path.name} have no truth row."
            )
        frames.append(joined)
        dropped += bad
    data = pl.concat(frames, how="diagonal_relaxed")
    raw = (data["violation"] != "ok").to_numpy()
    noise = data["label_noise"].fill_null(False).to_numpy()
    # The generator flags the labels it flipped on purpose (reviewer mistakes); learn and measure
    # against the corrected label, and keep the raw one to report what a noisy audit would see.
    reasons = data.select(
        pl.when(~pl.col("label_noise"))
        .then(pl.col("violation"))
        .when(pl.col("violation") == "ok")
        .then(pl.lit("missed_by_reviewer"))
        .otherwise(pl.lit("ok"))
        .alias("reason")
    ).to_series()
    return TrainingData(
        features=data.drop("violation", "label_noise"),
        labels=(raw ^ noise).astype(np.int8),
        reasons=reasons,
        source=f"{directory} ({len(days)} day(s))",
        dropped=dropped,
        raw_labels=raw.astype(np.int8),
    )


def _read_any(path: Path) -> pl.DataFrame:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt == "parquet":
        return pl.read_parquet(path)
    if fmt == "csv":
        return pl.read_csv(path, infer_schema_length=10_000)
    if fmt == "jsonl":
        return pl.read_ndjson(path)
    raise InputSchemaError(
        f"{path}: unknown format {path.suffix!r}; expected one of {sorted(FORMATS)}."
    )


def fill_listing_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Give a labelled extract every listing column, so it takes the scoring path unchanged.

    Missing ids become row numbers (and each row its own seller), a missing time a fixed date,
    other missing columns nulls — the model sees them as missing values, as it would in a dump.
    """
    out = frame
    if "listing_id" not in out.columns:
        out = out.with_row_index("listing_id").with_columns(pl.format("row-{}", "listing_id"))
    defaults: dict[str, pl.Expr] = {
        "seller_id": pl.col("listing_id").cast(pl.String),
        "created_at": pl.lit(datetime(2026, 1, 1)),
        "category": pl.lit("unknown"),
        "region": pl.lit("unknown"),
        "title": pl.lit("—"),  # validation wants some text; a dash adds no token
        "description": pl.lit("—"),
    }
    for name in REQUIRED_COLUMNS:
        if name not in out.columns:
            out = out.with_columns(
                defaults.get(name, pl.lit(None)).cast(LISTING_COLUMNS[name]).alias(name)
            )
    return out


def read_labelled(path: Path, label: str) -> TrainingData:
    """A labelled extract: listing columns (any may be missing but some text) plus ``label``."""
    path = Path(path)
    if not path.exists():
        raise InputSchemaError(f"{path}: file not found.")
    raw = _read_any(path)
    if label not in raw.columns:
        raise InputSchemaError(f"{path}: no label column `{label}`; columns are {raw.columns}.")
    if not {"title", "description"} & set(raw.columns):
        raise InputSchemaError(
            f"{path}: needs a `title` or `description` column for the text features."
        )
    labels, reasons = labels_from(raw[label])
    listings = fill_listing_columns(raw.drop(label))
    keep = pl.Series(np.ones(listings.height, dtype=bool))
    features, dropped = _featurise(listings, str(path))
    if dropped:  # keep labels aligned with the rows that passed validation
        kept_ids = set(features["listing_id"].to_list())
        keep = listings["listing_id"].cast(pl.String).is_in(list(kept_ids))
    mask = keep.to_numpy()
    return TrainingData(
        features=features,
        labels=labels[mask],
        reasons=reasons.filter(keep) if reasons is not None else None,
        source=str(path),
        dropped=dropped,
    )


# --- training --------------------------------------------------------------------------------


def split_by_seller(seller_ids: pl.Series, holdout_fraction: float, seed: int) -> np.ndarray:
    """0 = train, 1 = threshold half, 2 = evaluation half; a seller's rows stay together."""
    u = (seller_ids.cast(pl.String).hash(seed=seed).to_numpy() % 1_000_003) / 1_000_003.0
    part = np.zeros(u.shape[0], dtype=np.int8)
    part[u < holdout_fraction] = 2
    part[u < holdout_fraction / 2] = 1
    return part


def _rule_actions(features: pl.DataFrame, rules_dir: Path | None) -> pl.DataFrame | None:
    if rules_dir is None:
        return None
    from moderation.rules import evaluate, load_ruleset

    return evaluate(load_ruleset(rules_dir), features)


def train_and_register(
    data: TrainingData,
    spec: ModelSpec,
    *,
    tracking_uri: str,
    name: str,
    artifact_location: str | None = None,
    rules_dir: Path | None = None,
    log: Callable[[str], None] = print,
    threshold_folds: int = 0,
) -> TrainResult:
    """Fit on the training part, thresholds on one held-out half, metrics on the other; log + register.

    ``threshold_folds`` >= 2: thresholds on out-of-fold scores of the training part and threshold
    half together, the model fitted on both (see the module docstring); 0 (default): one held-out half.
    """
    if threshold_folds == 1 or threshold_folds < 0:
        raise ValueError(f"threshold_folds must be 0 (off) or at least 2. Got {threshold_folds!r} instead.")
    started = time.perf_counter()
    notes: list[str] = []
    part = split_by_seller(data.features["seller_id"], spec.split.holdout_fraction, spec.split.seed)
    if min((part == k).sum() for k in (0, 1, 2)) == 0:
        raise InputSchemaError(
            f"{data.source}: too few rows/sellers to split into train, threshold and test parts."
        )
    frames = {k: data.features.filter(pl.Series(part == k)) for k in (0, 1, 2)}
    labels = {k: data.labels[part == k] for k in (0, 1, 2)}
    log(
        f"training on {frames[0].height:,} rows, thresholds on {frames[1].height:,}, evaluation on {frames[2].height:,}"
    )

    if threshold_folds:  # the threshold half joins training; its role goes to out-of-fold scores
        frames[1] = pl.concat([frames[0], frames[1]], how="vertical_relaxed")
        labels[1] = np.concatenate([labels[0], labels[1]])
        frames[0], labels[0] = frames[1], labels[1]
        log(f"threshold half joins training: fitting on {frames[0].height:,} rows, thresholds out-of-fold")
    model = FraudModel(**spec.estimator_params()).fit(frames[0], labels[0])
    log(
        f"fitted {spec.lightgbm.n_estimators} trees over {model.n_features_in_} features in {time.perf_counter() - started:.0f}s"
    )
    scores = {k: model.predict_proba(frames[k])[:, 1] for k in (1, 2)}
    if threshold_folds:
        scores[1] = _out_of_fold_scores(spec, frames[1], labels[1], threshold_folds)
        notes.append(f"thresholds on out-of-fold scores ({threshold_folds} folds by seller)")

    hits = {k: _rule_actions(frames[k], rules_dir) for k in (1, 2)}
    model_rows = {
        k: (
            hits[k]["rule_action"].is_null().to_numpy()
            if hits[k] is not None
            else np.ones(frames[k].height, bool)
        )
        for k in (1, 2)
    }
    if rules_dir is not None:
        notes.append(
            f"thresholds chosen on the {int(model_rows[1].sum()):,} held-out rows no rule decides"
        )
    chosen = choose_thresholds(
        scores[1][model_rows[1]],
        labels[1][model_rows[1]],
        target_block_precision=spec.targets.block_precision,
        target_approve_violation_rate=spec.targets.approve_violation_rate,
        z=spec.targets.confidence_z,
        max_approve_score=spec.targets.approve_score_max,
    )
    thresholds = chosen.thresholds
    test_report = evaluate_thresholds(
        scores[2][model_rows[2]], labels[2][model_rows[2]], thresholds
    )

    metrics: dict[str, float] = {
        "train_rows": frames[0].height,
        "train_positive_rate": float(labels[0].mean()),
    }
    metrics |= ranking_metrics(scores[2], labels[2])
    metrics |= test_report.as_metrics()
    metrics |= chosen.as_metrics("threshold_set_")
    decisions = _system_decisions(hits[2], scores[2], thresholds)
    metrics |= system_metrics(decisions, labels[2])
    if data.raw_labels is not None:
        raw = system_metrics(decisions, data.raw_labels[part == 2])
        metrics |= {f"{k}_raw_labels": v for k, v in raw.items() if k != "system_automation_rate"}
        metrics["label_noise_rows"] = float((data.raw_labels != data.labels).sum())
    if data.reasons is not None:
        metrics |= per_reason_recall(data.reasons.filter(pl.Series(part == 2)), decisions)

    params = {
        "source": data.source,
        "rows": data.features.height,
        "dropped_rows": data.dropped,
        **{f"spec_{k}": v for k, v in spec.estimator_params().items()},
        "target_block_precision": spec.targets.block_precision,
        "target_approve_violation_rate": spec.targets.approve_violation_rate,
        "confidence_z": spec.targets.confidence_z,
        "approve_score_max": spec.targets.approve_score_max,
        "holdout_fraction": spec.split.holdout_fraction,
        "threshold_folds": threshold_folds,
        "rules_dir": str(rules_dir) if rules_dir else "-",
    }
    figures = training_figures(scores[2], labels[2], thresholds, model.feature_importance())
    version, run_uri = log_and_register(
        model,
        tracking_uri=tracking_uri,
        name=name,
        thresholds=thresholds,
        params=params,
        metrics=metrics,
        figures=figures,
        texts={
            "spec.yaml": spec.model_dump_json(indent=2),
            "vocabulary.txt": "\n".join(model.vocabulary_.tokens),
        },
        example=frames[2],
        artifact_location=artifact_location,
    )
    return TrainResult(
        version=version,
        run_uri=run_uri,
        tracking_uri=tracking_uri,
        metrics=metrics,
        report=test_report,
        seconds=time.perf_counter() - started,
        notes=notes,
    )


def _out_of_fold_scores(spec: ModelSpec, frame: pl.DataFrame, labels: np.ndarray, folds: int) -> np.ndarray:
    """Each row scored by a model fitted without its seller's rows (``folds`` seller-grouped folds)."""
    u = (frame["seller_id"].cast(pl.String).hash(seed=spec.split.seed + 1).to_numpy() % 1_000_003) / 1_000_003.0
    fold = np.minimum((u * folds).astype(np.int64), folds - 1)
    scores = np.empty(frame.height, dtype=np.float64)
    for k in range(folds):
        out = fold == k
        if not out.any():
            continue
        fitted = FraudModel(**spec.estimator_params()).fit(frame.filter(pl.Series(~out)), labels[~out])
        scores[out] = fitted.predict_proba(frame.filter(pl.Series(out)))[:, 1]
    return scores


def _system_decisions(hits: pl.DataFrame | None, scores: np.ndarray, thresholds) -> pl.Series:
    """What a daily run would decide: rules first (``moderation.decide``), else the model alone."""
    if hits is None:
        return model_decisions(scores, thresholds)
    from moderation.decide import decide

    ids = pl.Series("listing_id", [str(i) for i in range(hits.height)])
    out = decide(
        hits,
        scores,
        thresholds,
        listing_ids=ids,
        run_id="train",
        model_version="-",
        ruleset_version="-",
    )
    return out["decision"]
