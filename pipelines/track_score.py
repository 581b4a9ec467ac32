"""Every scoring run in MLflow, beside the models: the figures an ML engineer watches over time.

One MLflow run per scoring run, in the experiment ``<model name>-scoring``: parameters (input,
engine, model and ruleset versions), metrics (decision shares, automation rate, rows/s, the
truth figures when measured, drift against the baseline) and ``report.json`` as an artefact, so
`mlflow ui` charts the days side by side. Re-running the same dump (the same run id) logs nothing
twice. The baseline is the latest earlier run of that experiment unless a report is given.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

__all__ = ["EXPERIMENT", "baseline_report", "track_score_run", "record_run"]

EXPERIMENT = "{name}-scoring"
_RUN_TAG = "moderation.run_id"
_METRICS = ("automation_rate", "rows_per_s", "seconds", "block_precision", "approve_violation_rate",
            "violation_recall")


def _client(tracking_uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def _runs(client, experiment_id: str, filter_string: str, limit: int):
    return client.search_runs([experiment_id], filter_string=filter_string,
                              order_by=["attributes.start_time DESC"], max_results=limit)


def baseline_report(tracking_uri: str, model_name: str, run_id: str) -> dict | None:
    """The report of the latest tracked scoring run other than ``run_id``, or None."""
    client = _client(tracking_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT.format(name=model_name))
    if experiment is None:
        return None
    previous = _runs(client, experiment.experiment_id, f"tags.`{_RUN_TAG}` != '{run_id}'", 1)
    if not previous:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(previous[0].info.run_id, "report.json", tmp)
        return json.loads(Path(path).read_text())


def _metrics(report: dict) -> dict[str, float]:
    decided = report.get("rows_decided") or 0
    metrics = {f"{k}_share": report[k] / decided for k in ("approved", "blocked", "review") if decided}
    if report.get("rows_in"):
        metrics["quarantined_share"] = report["rows_quarantined"] / report["rows_in"]
    metrics["rows"] = float(report.get("rows_in", 0))
    metrics.update({k: report[k] for k in _METRICS if isinstance(report.get(k), int | float)})
    drift = report.get("drift") or {}
    if isinstance(drift.get("score_psi"), float):
        metrics["score_psi"] = drift["score_psi"]
    if "alerts" in drift:
        metrics["drift_alerts"] = float(len(drift["alerts"]))
    return {k: float(v) for k, v in metrics.items() if math.isfinite(float(v))}


def track_score_run(
    report: dict, report_path: Path, *, tracking_uri: str, model_name: str,
    artifact_location: str | None = None,
) -> str:
    """Log the finished run (``report_path`` is its report.json); returns the MLflow run id.

    Idempotent: a run already tracked under the same run id is returned as it is.
    """
    from moderation.model.registry import experiment_id as get_experiment

    client = _client(tracking_uri)
    experiment_id = get_experiment(client, EXPERIMENT.format(name=model_name), artifact_location)
    existing = _runs(client, experiment_id, f"tags.`{_RUN_TAG}` = '{report['run_id']}'", 1)
    if existing:
        return existing[0].info.run_id
    run = client.create_run(experiment_id, run_name=report["run_id"], tags={_RUN_TAG: report["run_id"]})
    run_id = run.info.run_id
    params = {"input": report.get("input"), "engine": report.get("engine"),
              "model_version": report.get("model_version"),
              "ruleset_version": report.get("ruleset_version"),
              "baseline_run_id": (report.get("drift") or {}).get("baseline_run_id")}
    for key, value in params.items():
        client.log_param(run_id, key, str(value)[:500])
    for key, value in _metrics(report).items():
        client.log_metric(run_id, key, value)
    client.log_artifact(run_id, str(report_path))
    client.set_terminated(run_id)
    return run_id


def record_run(report: dict, out_dir: Path, settings, *, baseline: Path | None = None) -> dict:
    """After a scoring run: drift against the baseline, then the run into MLflow.

    ``baseline``: a report.json to compare with; default: the latest other tracked run. The
    run's outputs are already complete, so a tracking failure is recorded in the report (and
    printed), not raised: a batch job should not redo a scored day because MLflow was down.
    """
    from moderation.monitoring import compare_runs

    report_path = Path(out_dir) / "report.json"
    tracking_uri, name = settings.resolved_tracking_uri, settings.model_name
    try:
        base = (json.loads(Path(baseline).read_text()) if baseline
                else baseline_report(tracking_uri, name, report["run_id"]))
        if base is not None:
            report["drift"] = compare_runs(report, base)
            _write(report_path, report)  # the logged artefact carries the drift section
        report["tracking_run_id"] = track_score_run(
            report, report_path, tracking_uri=tracking_uri, model_name=name,
            artifact_location=settings.artifact_location,
        )
        report["tracking_experiment"] = EXPERIMENT.format(name=name)
    except Exception as exc:  # noqa: BLE001 - reported, never hides a failed score (that raised earlier)
        report["tracking_error"] = f"{type(exc).__name__}: {exc}"
    _write(report_path, report)
    return report


def _write(path: Path, report: dict) -> None:
    partial = path.with_name(path.name + ".partial")  # a crash never leaves half a report
    partial.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    os.replace(partial, path)
