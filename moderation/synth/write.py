"""Write generated days to Parquet: ``listings-YYYY-MM-DD.parquet`` and ``truth-YYYY-MM-DD.parquet``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from moderation.errors import ConfigError
from moderation.synth.day import DEFAULT_START, generate_day

__all__ = ["write_days", "DayWritten"]

# Called after each day: (day number 1-based, date, listings, truth, seconds spent on that day).
DayWritten = Callable[[int, date, pl.DataFrame, pl.DataFrame, float], None]


def write_days(out_dir: str | Path, days: int, listings_per_day: int, seed: int,
               drift_day: int | None = None, start_date: date = DEFAULT_START,
               on_day: DayWritten | None = None) -> list[Path]:
    """Generate and write ``days`` consecutive days; returns every file written, in order."""
    if days < 1:
        raise ConfigError(f"days must be at least 1. Got {days} instead.")
    if drift_day is not None and not 1 <= drift_day <= days:
        raise ConfigError(f"drift day must be between 1 and days ({days}). Got {drift_day} instead.")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output path {out} exists and is not a directory.")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for i in range(days):
        t0 = time.perf_counter()
        listings, truth = generate_day(i, listings_per_day, seed, drift_day, start_date)
        day = start_date + timedelta(days=i)
        for name, frame in (("listings", listings), ("truth", truth)):
            path = out / f"{name}-{day.isoformat()}.parquet"
            frame.write_parquet(path)
            written.append(path)
        if on_day is not None:
            on_day(i + 1, day, listings, truth, time.perf_counter() - t0)
    return written
