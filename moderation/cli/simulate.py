"""``moderation simulate``: the closed loop, day after day, with the per-day table and plots."""

from __future__ import annotations

from pathlib import Path

import typer

from moderation.cli import app


@app.command("simulate")
def simulate_command(
    days: int = typer.Option(14, "--days", min=1, help="Simulated days."),
    drift_day: int = typer.Option(4, "--drift-day", min=1, help="Day (1-based) the new scam appears."),
    listings_per_day: int = typer.Option(10_000, "--listings-per-day", min=500, help="Listings generated per day (10 000: a 14-day run in about 10 minutes on 2 cores)."),
    out: Path = typer.Option(Path("var/simulation"), "--out", help="Output directory (its own queue, MLflow and rules copy)."),
    seed: int = typer.Option(7, "--seed", help="Generator and moderator seed."),
    capacity: int = typer.Option(None, "--capacity", help="Cases one moderator decides a day (default 500)."),
    retrain_every: int = typer.Option(None, "--retrain-every", help="Retrain the model every N days (0 = never; default 2)."),
    threshold_folds: int = typer.Option(
        None, "--threshold-folds", min=0,
        help="Choose the model's cuts on out-of-fold scores of K seller folds (0 = one held-out half; default 5).",
    ),
    withhold: list[str] = typer.Option(
        [], "--withhold-rule",
        help="A shipped shadow rule to switch off in the simulation's rules copy (repeatable; default: "
             "prepayment_safe_deal_link, written for the drift day's scam). Give 'none' to keep them all.",
    ),
    block_target: float = typer.Option(
        None, "--block-target", min=0.5, max=1.0,
        help="Precision the model's automatic blocks must prove on held-out data (default 0.99).",
    ),
) -> None:
    """Generate, score, review, suggest, promote, retrain — and report per day whether it learns."""
    from dataclasses import replace

    from pipelines.simulate import SimConfig, format_table, simulate

    if threshold_folds == 1:
        raise typer.BadParameter("--threshold-folds must be 0 (one held-out half) or at least 2. Got 1 instead.")
    if drift_day > days:
        raise typer.BadParameter(f"--drift-day must be at most --days ({days}). Got {drift_day} instead.")
    cfg = SimConfig(days=days, drift_day=drift_day, listings_per_day=listings_per_day, seed=seed)
    if capacity is not None:
        cfg = replace(cfg, capacity_per_moderator=capacity)
    if retrain_every is not None:
        cfg = replace(cfg, retrain_every=retrain_every)
    if threshold_folds is not None:
        cfg = replace(cfg, threshold_folds=threshold_folds)
    if withhold:
        cfg = replace(cfg, withheld_rules=tuple(r for r in withhold if r != "none"))
    if block_target is not None:
        cfg = replace(cfg, block_precision_target=block_target)
    summary = simulate(out, cfg, log=typer.echo)
    typer.echo(format_table(summary))
    typer.echo(f"  per-day table {out}/days.csv, plots {out}/simulation.png, suggestion reports {out}/suggestions/")
