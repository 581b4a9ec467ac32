"""``moderation generate``: write synthetic marketplace days (listings + ground truth) to a folder."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import polars as pl
import typer

from moderation.cli import app
from moderation.synth import DEFAULT_START, drift_share, write_days

__all__ = ["generate"]


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a date as YYYY-MM-DD. Got {value!r} instead.",
                                 param_hint="--start-date") from None


@app.command("generate")
def generate(
    out: Path = typer.Option(..., "--out", help="Folder for listings-*.parquet and truth-*.parquet."),
    days: int = typer.Option(1, "--days", min=1, max=3650, help="Number of consecutive days."),
    listings_per_day: int = typer.Option(200_000, "--listings-per-day", min=1, max=10_000_000,
                                         help="Listings in each day's dump."),
    seed: int = typer.Option(42, "--seed", min=0, help="Same seed, same data (byte for byte)."),
    drift_day: int | None = typer.Option(None, "--drift-day", min=1,
                                         help="From this day (1-based) a new scam pattern appears."),
    start_date: str = typer.Option(DEFAULT_START.isoformat(), "--start-date",
                                   help="Date of the first day, YYYY-MM-DD."),
) -> None:
    """Generate realistic Russian classifieds days with labelled violations and hard cases.

    The truth files (listing_id, violation, pattern, hard_case, label_noise) are for evaluation
    only; scoring never reads them.
    """
    start = _parse_date(start_date)
    if drift_day is not None and drift_day > days:
        raise typer.BadParameter(f"must be within the generated days (1..{days}). Got {drift_day} instead.",
                                 param_hint="--drift-day")
    t0 = time.perf_counter()
    totals = {"rows": 0, "violations": 0}

    def on_day(number: int, day: date, listings: pl.DataFrame, truth: pl.DataFrame, seconds: float) -> None:
        bad = int((truth["violation"] != "ok").sum())
        totals["rows"] += listings.height
        totals["violations"] += bad
        drift = drift_share(number - 1, drift_day)
        typer.echo(
            f"day {number}/{days} {day.isoformat()}: {listings.height:,} listings, "
            f"violations {bad / listings.height:.1%}"
            + (f" (drift scam {drift:.1%})" if drift else "")
            + f", {seconds:.1f} s -> {out / f'listings-{day.isoformat()}.parquet'}"
        )

    write_days(out, days, listings_per_day, seed, drift_day, start, on_day=on_day)
    elapsed = time.perf_counter() - t0
    rows = totals["rows"]
    typer.echo(
        f"generated {rows:,} listings in {days} day(s): violation share "
        f"{totals['violations'] / rows:.1%}, {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), in {out}"
    )
