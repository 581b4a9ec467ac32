"""Scoring runs in MLflow with drift against the previous run; tracking failures never lose a run."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from mlflow import MlflowClient

from moderation.report import format_summary
from moderation.settings import load_settings
from pipelines.score_day import run_score
from pipelines.track_score import EXPERIMENT, record_run

from .conftest import _BAD, make_day


@pytest.fixture()
def tracking(tmp_path):
    """Settings whose MLflow store is fresh (the model itself comes from the shared store)."""
    return load_settings(home=tmp_path / "tracking-home")


def _runs(settings):
    client = MlflowClient(tracking_uri=settings.resolved_tracking_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT.format(name=settings.model_name))
    return client, client.search_runs([experiment.experiment_id])


def test_runs_are_tracked_once_and_drift_is_measured_against_the_last(settings, tracking, day_path, tmp_path):
    first_out = tmp_path / "day1"
    first = record_run(run_score(day_path, first_out, settings, show_progress=False, enqueue=False),
                       first_out, tracking)
    assert "drift" not in first and "tracking_error" not in first
    client, runs = _runs(tracking)
    (run,) = runs
    assert run.info.run_id == first["tracking_run_id"]
    assert run.data.metrics["automation_rate"] == pytest.approx(first["automation_rate"])
    assert run.data.params["model_version"] == first["model_version"]
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["report.json"]
    # The same run again (a re-run of the same dump) is not logged twice.
    again = record_run(dict(first), first_out, tracking)
    assert again["tracking_run_id"] == first["tracking_run_id"] and len(_runs(tracking)[1]) == 1

    # A day of scam-like listings (scam texts, bait prices, new accounts): scores, shares, rules move.
    frame, _ = make_day(3_000, seed=5)
    rng = np.random.default_rng(5)
    frame = frame.with_columns(
        description=pl.Series(rng.choice(_BAD, frame.height)),
        price=pl.col("price") * 0.3,
        seller_registered_at=pl.col("created_at") - pl.duration(days=1),
    )
    moved_path = tmp_path / "listings-2026-11-05.parquet"
    frame.write_parquet(moved_path)
    second_out = tmp_path / "day2"
    second = record_run(run_score(moved_path, second_out, settings, show_progress=False, enqueue=False),
                        second_out, tracking)
    drift = second["drift"]
    assert drift["baseline_run_id"] == first["run_id"]
    assert drift["score_psi"] > 0.25 and drift["alerts"]
    assert json.loads((second_out / "report.json").read_text())["drift"]["alerts"] == drift["alerts"]
    assert len(_runs(tracking)[1]) == 2
    text = format_summary(second)
    assert f"drift vs run {first['run_id']}" in text and "fraud score distribution moved" in text


def test_an_explicit_baseline_report_is_used(settings, tracking, day_path, tmp_path):
    out = tmp_path / "run"
    report = run_score(day_path, out, settings, show_progress=False, enqueue=False)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({**report, "run_id": "yesterday"}))
    tracked = record_run(report, out, tracking, baseline=baseline)
    assert tracked["drift"]["baseline_run_id"] == "yesterday"
    assert tracked["drift"]["score_psi"] == pytest.approx(0.0) and tracked["drift"]["alerts"] == []


def test_a_tracking_failure_is_reported_and_the_run_kept(settings, day_path, tmp_path):
    out = tmp_path / "run"
    report = run_score(day_path, out, settings, show_progress=False, enqueue=False)
    (tmp_path / "not-a-dir").write_text("a file where the store's folder should be")
    broken = load_settings(home=tmp_path / "home", tracking_uri=f"sqlite:///{tmp_path}/not-a-dir/mlflow.db")
    tracked = record_run(report, out, broken)
    assert tracked["tracking_error"]
    saved = json.loads((out / "report.json").read_text())
    assert saved["tracking_error"] == tracked["tracking_error"] and saved["rows_in"] == report["rows_in"]
    assert "MLflow tracking failed (outputs are complete)" in format_summary(tracked)
