"""Shared synthetic days, generated once per test session (small, so the suite stays fast)."""

from __future__ import annotations

import polars as pl
import pytest

from moderation.synth import generate_day

DAYS = 4
PER_DAY = 3000
DRIFT_DAY = 3


@pytest.fixture(scope="session")
def day20k() -> tuple[pl.DataFrame, pl.DataFrame]:
    return generate_day(0, 20_000, 42)


@pytest.fixture(scope="session")
def week() -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """Four small consecutive days with the drift scam starting on day 3."""
    return [generate_day(i, PER_DAY, 7, drift_day=DRIFT_DAY) for i in range(DAYS)]
