"""``moderation score``: the daily batch run."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from moderation.cli import app


@app.command("score")
def score(
    input: Path = typer.Argument(..., help="The day's dump: .parquet, .csv or .jsonl."),
    out: Path = typer.Option(Path("var/runs/latest"), "--out", help="Directory for decisions, quarantine and report."),
    truth: list[Path] = typer.Option([], "--truth", help="Ground-truth file(s) to measure the run against."),
    batch_size: int = typer.Option(None, "--batch-size", help="Rows per batch (default: MODERATION_BATCH_SIZE or 200000)."),
    no_queue: bool = typer.Option(False, "--no-queue", help="Do not write review cases to the queue."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    engine: str = typer.Option(
        "local", "--engine", help="Where batches are scored: local (threads in this process) or ray."
    ),
    ray_address: str = typer.Option(
        None, "--ray-address", help="An existing Ray cluster (e.g. 10.0.0.5:6379 or auto); default: start a local Ray."
    ),
    workers: int = typer.Option(
        None, "--workers", min=1, help="Scoring threads (local, default 2) or Ray actors (default: one per CPU)."
    ),
    previous: list[Path] = typer.Option(
        [], "--previous", help="Earlier days' dumps (repeatable): listings reposted from them count as copies."
    ),
    baseline: Path = typer.Option(
        None, "--baseline", exists=True, dir_okay=False,
        help="A report.json to measure drift against (default: the latest run tracked in MLflow).",
    ),
    no_track: bool = typer.Option(
        False, "--no-track", help="Do not log the run to MLflow nor compare it with a baseline."
    ),
) -> None:
    """Score a dump: decisions.parquet, quarantine.parquet and report.json in --out; review cases to the queue."""
    if engine == "local" and (workers or 2) > 1:
        # Batches already run in parallel threads; one OpenMP thread per LightGBM call avoids
        # oversubscribing the cores (read by libgomp when LightGBM loads, so set it first).
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    from moderation.settings import load_settings
    from pipelines.score_day import format_summary, run_score

    settings = load_settings(batch_size=batch_size)
    if ray_address and engine != "ray":
        raise typer.BadParameter("--ray-address needs --engine ray", param_hint="--ray-address")
    report = run_score(
        input, out, settings, truth=truth, show_progress=not quiet, enqueue=not no_queue,
        engine=engine, ray_address=ray_address, workers=workers, previous=previous,
    )
    if not no_track:
        from pipelines.track_score import record_run

        report = record_run(report, out, settings, baseline=baseline)
    typer.echo(format_summary(report))
    typer.echo(f"  outputs in {out}/ (decisions.parquet, quarantine.parquet, report.json)")
