"""``moderation model``: list registered versions and promote one to ``champion``."""

from __future__ import annotations

import math

import typer

from moderation.cli import app

model_app = typer.Typer(
    help="Registered models: list versions, promote one to champion.", no_args_is_help=True
)
app.add_typer(model_app, name="model")


@model_app.command("promote")
def promote(
    version: str = typer.Argument(
        ..., help="The version number to make champion (see `moderation model list`)."
    ),
    name: str = typer.Option(
        None, "--name", help="Registered model name (default: MODERATION_MODEL_NAME or 'fraud')."
    ),
) -> None:
    """Point the `champion` alias at VERSION; the next scoring run uses it."""
    from moderation.model.registry import promote as promote_version
    from moderation.settings import load_settings

    settings = load_settings()
    promoted = promote_version(settings.resolved_tracking_uri, name or settings.model_name, version)
    typer.echo(f"{promoted.label} is now champion ({settings.resolved_tracking_uri})")


@model_app.command("list")
def list_models(
    name: str = typer.Option(
        None, "--name", help="Registered model name (default: MODERATION_MODEL_NAME or 'fraud')."
    ),
) -> None:
    """Every registered version, newest first, with its thresholds and held-out metrics."""
    from moderation.model.registry import list_versions
    from moderation.settings import load_settings

    settings = load_settings()
    versions = list_versions(settings.resolved_tracking_uri, name or settings.model_name)
    typer.echo(
        f"{'version':14s} {'aliases':10s} {'approve<':>9s} {'block>=':>9s} {'roc_auc':>8s} {'automation':>10s}"
    )
    for v in versions:
        t = v.thresholds
        typer.echo(
            f"{v.label:14s} {','.join(v.aliases) or '-':10s} "
            f"{_fmt(t.approve_below if t else math.nan):>9s} {_fmt(t.block_at if t else math.nan):>9s} "
            f"{_fmt(v.metrics.get('roc_auc', math.nan)):>8s} "
            f"{_fmt(v.metrics.get('system_automation_rate', v.metrics.get('automation_rate', math.nan))):>10s}"
        )


def _fmt(value: float) -> str:
    return (
        "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"
    )
