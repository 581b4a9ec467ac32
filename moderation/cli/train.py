"""``moderation train``: fit the fraud model on history or a labelled file, log and register it."""

from __future__ import annotations

from pathlib import Path

import typer

from moderation.cli import app
from moderation.errors import ConfigError

_SHOWN = (
    "roc_auc",
    "pr_auc",
    "automation_rate",
    "block_precision",
    "approve_violation_rate",
    "block_recall",
    "review_recall",
    "system_automation_rate",
    "system_block_precision",
    "system_approve_violation_rate",
)


@app.command("train")
def train(
    history: Path = typer.Option(
        None,
        "--history",
        help="Directory of generated days (listings-*.parquet + truth-*.parquet).",
    ),
    labelled: Path = typer.Option(
        None,
        "--labelled",
        help="A labelled file (CSV, Parquet or JSONL): listings plus a label column.",
    ),
    label: str = typer.Option(
        None, "--label", help="The label column of --labelled (0/1, booleans or reason codes)."
    ),
    spec_path: Path = typer.Option(None, "--spec", help="Model spec (default: models/fraud.yaml)."),
    name: str = typer.Option(
        None,
        "--name",
        help="Registered model name (default: the spec's name; `<name>-<label>` with --labelled).",
    ),
    use_rules: bool = typer.Option(
        True, "--rules/--no-rules", help="Choose thresholds on the rows no active rule decides."
    ),
) -> None:
    """Train, choose thresholds on held-out rows, log the run to MLflow and register the model."""
    from moderation.model.spec import load_spec
    from moderation.settings import load_settings
    from pipelines.train import read_history, read_labelled, train_and_register

    if (history is None) == (labelled is None):
        raise ConfigError("Give exactly one of --history DIR or --labelled FILE --label COLUMN.")
    if labelled is not None and not label:
        raise ConfigError("--labelled needs --label COLUMN (e.g. --label has_contacts).")
    settings = load_settings()
    spec = load_spec(spec_path or settings.models_dir / "fraud.yaml")
    model_name = name or (spec.name if history is not None else f"{spec.name}-{label}")
    typer.echo(f"MLflow tracking URI: {settings.resolved_tracking_uri}")
    data = read_history(history) if history is not None else read_labelled(labelled, label)
    typer.echo(
        f"read {data.features.height:,} labelled rows from {data.source} ({int(data.labels.sum()):,} violations"
        + (f", {data.dropped:,} rows failed validation" if data.dropped else "")
        + ")"
    )
    rules_dir = (
        settings.rules_dir
        if use_rules and history is not None and settings.rules_dir.exists()
        else None
    )
    result = train_and_register(
        data,
        spec,
        tracking_uri=settings.resolved_tracking_uri,
        name=model_name,
        artifact_location=settings.artifact_location,
        rules_dir=rules_dir,
        log=typer.echo,
    )
    for note in result.notes:
        typer.echo(f"  note: {note}")
    t = result.report.thresholds
    typer.echo(f"thresholds: approve below {t.approve_below:.4f}, block at {t.block_at:.4f}")
    typer.echo("held-out evaluation:")
    for key in _SHOWN:
        if key in result.metrics:
            typer.echo(f"  {key:32s} {result.metrics[key]:.4f}")
    aliases = f" (aliases: {', '.join(result.version.aliases)})" if result.version.aliases else ""
    typer.echo(f"registered {result.version.label}{aliases} in {result.seconds:.0f}s")
    typer.echo(f"MLflow run: {result.run_uri}")
    typer.echo(f"  browse: mlflow ui --backend-store-uri {result.tracking_uri}")
