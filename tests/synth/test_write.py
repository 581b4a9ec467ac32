"""write_days: one listings and one truth file per day, named by date, and clear errors."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from moderation.errors import ConfigError
from moderation.synth import generate_day, write_days


def test_writes_days_in_order_and_matches_generate_day(tmp_path):
    seen = []
    paths = write_days(tmp_path / "out", 2, 500, 3, drift_day=None, start_date=date(2026, 12, 31),
                       on_day=lambda number, day, listings, truth, s: seen.append((number, day, listings.height)))
    assert [p.name for p in paths] == ["listings-2026-12-31.parquet", "truth-2026-12-31.parquet",
                                       "listings-2027-01-01.parquet", "truth-2027-01-01.parquet"]
    assert seen == [(1, date(2026, 12, 31), 500), (2, date(2027, 1, 1), 500)]
    expected, _ = generate_day(1, 500, 3, None, date(2026, 12, 31))
    assert pl.read_parquet(paths[2]).equals(expected)
    assert pl.read_parquet(paths[2])["listing_id"][0].startswith("L20270101-")


@pytest.mark.parametrize(
    ("days", "drift_day", "message"),
    [(0, None, "days must be at least 1"), (2, 3, "between 1 and days"), (2, 0, "between 1 and days")],
)
def test_rejects_bad_day_arguments(tmp_path, days, drift_day, message):
    with pytest.raises(ConfigError, match=message):
        write_days(tmp_path, days, 10, 1, drift_day=drift_day)
    assert not list(tmp_path.iterdir())


def test_rejects_an_output_path_that_is_a_file(tmp_path):
    target = tmp_path / "f"
    target.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        write_days(target, 1, 10, 1)
