"""`moderation rules ...` end to end through the Typer app."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from moderation.cli import app

REPO = Path(__file__).resolve().parents[2]
CONTACTS_CSV = REPO.parent / "shared" / "data" / "avito_contacts_sample.csv"
runner = CliRunner()


def test_check_shipped_rules_passes() -> None:
    result = runner.invoke(app, ["rules", "check", str(REPO / "rules")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")
    assert "ruleset version " in result.output


def test_check_prints_every_error_and_exits_1(make_rules, rule_yaml) -> None:
    root = make_rules({
        "a.yaml": rule_yaml("a", "prise > 1"),
        "b.yaml": rule_yaml("b", "price > 1", reason="spamm"),
    })
    result = runner.invoke(app, ["rules", "check", str(root)])
    assert result.exit_code == 1
    assert "rules/a.yaml:7: condition: unknown field `prise`" in result.output
    assert "rules/b.yaml:5: unknown reason code `spamm`" in result.output
    assert result.output.rstrip().endswith("error(s)")


def test_test_command_reports_per_rule(make_rules, rule_yaml) -> None:
    root = make_rules({
        "good.yaml": rule_yaml("good", "photo_count = 0", match="{photo_count: 0}", no_match="{photo_count: 1}"),
        "bad.yaml": rule_yaml("bad", "photo_count = 0", match="{photo_count: 3}", no_match="{photo_count: 1}"),
    })
    result = runner.invoke(app, ["rules", "test", str(root)])
    assert result.exit_code == 1
    assert "FAIL bad.yaml" in result.output and "ok   good.yaml" in result.output
    assert "example 1 under `match` does not match the condition" in result.output


def _dump(tmp_path: Path) -> tuple[Path, Path]:
    from moderation.synth.day import generate_day

    listings, truth = generate_day(0, 2000, seed=5)
    listings.write_parquet(tmp_path / "day.parquet")
    truth.write_parquet(tmp_path / "truth.parquet")
    return tmp_path / "day.parquet", tmp_path / "truth.parquet"


def test_explain_and_backtest_on_a_generated_day(tmp_path: Path) -> None:
    dump, truth = _dump(tmp_path)
    labels = pl.read_parquet(truth)
    contact_id = labels.filter(pl.col("violation") == "contacts_in_text")["listing_id"][0]
    result = runner.invoke(app, ["rules", "explain", contact_id, "--input", str(dump)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"listing {contact_id}")
    assert "[HIT ]" in result.output

    missing = runner.invoke(app, ["rules", "explain", "no-such-id", "--input", str(dump)])
    assert missing.exit_code != 0

    result = runner.invoke(app, ["rules", "backtest", "-i", str(dump), "-t", str(truth)],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "contacts_phone_in_text" in result.output
    assert "approve_established_private" in result.output  # shadow rules are measured too


@pytest.mark.skipif(not CONTACTS_CSV.is_file(), reason="real contacts sample not available")
def test_eval_contacts_meets_the_target_on_real_ads() -> None:
    result = runner.invoke(app, ["rules", "eval-contacts", str(CONTACTS_CSV)])
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    precision = float(line.split("precision ")[1].split()[0])
    recall = float(line.split("recall ")[1].split()[0])
    assert precision >= 0.95 and recall >= 0.80


def test_eval_contacts_rejects_a_file_without_labels(tmp_path: Path) -> None:
    bad = tmp_path / "texts.csv"
    bad.write_text("description\nпривет\n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "eval-contacts", str(bad)])
    assert result.exit_code != 0
    assert "has_contacts" in str(result.exception) + result.output
