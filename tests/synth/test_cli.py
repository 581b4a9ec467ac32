"""``moderation generate``: files, progress lines, and clear rejection of bad arguments."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

from moderation.cli import app
from moderation.schema import LISTING_COLUMNS
from moderation.synth import TRUTH_COLUMNS

runner = CliRunner()


def test_generate_writes_one_listings_and_one_truth_file_per_day(tmp_path):
    out = tmp_path / "days"
    result = runner.invoke(app, ["generate", "--out", str(out), "--days", "2",
                                 "--listings-per-day", "800", "--seed", "5", "--drift-day", "2",
                                 "--start-date", "2027-01-30"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["listings-2027-01-30.parquet", "listings-2027-01-31.parquet",
                     "truth-2027-01-30.parquet", "truth-2027-01-31.parquet"]
    listings = pl.read_parquet(out / "listings-2027-01-31.parquet")
    truth = pl.read_parquet(out / "truth-2027-01-31.parquet")
    assert listings.schema == pl.Schema(LISTING_COLUMNS)
    assert truth.schema == pl.Schema(TRUTH_COLUMNS)
    assert listings.height == 800
    assert "day 1/2 2027-01-30" in result.output and "day 2/2 2027-01-31" in result.output
    assert "drift scam" in result.output
    assert "generated 1,600 listings" in result.output and "violation share" in result.output


def test_rejects_zero_listings_per_day(tmp_path):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--listings-per-day", "0"])
    assert result.exit_code != 0
    assert "--listings-per-day" in result.output
    assert not list(tmp_path.iterdir())


def test_rejects_a_drift_day_beyond_the_generated_days(tmp_path):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--days", "2",
                                 "--listings-per-day", "10", "--drift-day", "3"])
    assert result.exit_code != 0
    assert "--drift-day" in result.output and "1..2" in result.output


def test_rejects_a_malformed_start_date(tmp_path):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--listings-per-day", "10",
                                 "--start-date", "01.11.2026"])
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output


def test_rejects_an_output_path_that_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = runner.invoke(app, ["generate", "--out", str(target), "--listings-per-day", "10"])
    assert result.exit_code != 0
    assert "not a directory" in str(result.exception) + result.output
