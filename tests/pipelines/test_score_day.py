"""The local daily run end to end on a small day: outputs, report, quarantine, idempotent queue."""

from __future__ import annotations

import json

import polars as pl
import pytest

from moderation.errors import ConfigError, InputSchemaError
from moderation.schema import DECISION_SCHEMA, QUARANTINE_SCHEMA
from pipelines.score_day import run_score
from review_queue import open_store

REPORT_KEYS = {
    "run_id", "input", "engine", "rows_in", "rows_quarantined", "rows_decided", "approved", "blocked",
    "review", "automation_rate", "rows_per_s", "seconds", "stage_seconds", "ruleset_version",
    "model_version", "review_cases_added", "queue_url",
}  # fmt: skip


def _queue_count(settings, run_id):
    store = open_store(settings.resolved_queue_url)
    try:
        return store.count_cases(run_id)
    finally:
        store.close()


def test_a_day_is_scored_into_decisions_report_and_queue(day_path, day_frame, settings, tmp_path):
    out = tmp_path / "run"
    report = run_score(day_path, out, settings, show_progress=False)

    assert set(report) >= REPORT_KEYS
    assert json.loads((out / "report.json").read_text()) == json.loads(json.dumps(report, default=str))
    assert not list(out.glob("*.partial"))
    decisions = pl.read_parquet(out / "decisions.parquet")
    assert decisions.schema == pl.Schema(DECISION_SCHEMA)
    # Clean input: every row decided once, in dump order, under the run's id and versions.
    assert report["rows_in"] == day_frame.height == report["rows_decided"] + report["rows_quarantined"]
    assert report["rows_quarantined"] == 0
    assert decisions["listing_id"].to_list() == day_frame["listing_id"].to_list()
    assert decisions["run_id"].unique().to_list() == [report["run_id"]]
    assert decisions["model_version"].unique().to_list() == [report["model_version"]]
    counts = dict(decisions["decision"].value_counts().iter_rows())
    assert set(counts) == {"approve", "block", "review"}  # the tiny model's thresholds give all three
    assert (report["approved"], report["blocked"], report["review"]) == tuple(
        counts.get(k, 0) for k in ("approve", "block", "review")
    )
    # The phone rule blocks listings with a phone number in the text.
    phone_rows = decisions.filter(pl.col("rule_hits").list.contains("contacts_phone_in_text"))
    assert phone_rows.height > 0 and set(phone_rows["decision"]) == {"block"}
    # One queue case per review decision.
    assert report["review_cases_added"] == report["review"] == _queue_count(settings, report["run_id"])


def test_a_second_run_of_the_same_dump_adds_nothing_and_writes_the_same(day_path, settings, tmp_path):
    first = run_score(day_path, tmp_path / "a", settings, show_progress=False)
    second = run_score(day_path, tmp_path / "b", settings, show_progress=False)
    assert first["run_id"] == second["run_id"]
    assert second["review_cases_added"] == 0
    assert _queue_count(settings, first["run_id"]) == first["review"]
    assert pl.read_parquet(tmp_path / "a" / "decisions.parquet").equals(
        pl.read_parquet(tmp_path / "b" / "decisions.parquet")
    )


def test_thread_count_does_not_change_the_output(day_path, settings, tmp_path):
    run_score(day_path, tmp_path / "one", settings, show_progress=False, enqueue=False, workers=1)
    run_score(day_path, tmp_path / "two", settings, show_progress=False, enqueue=False, workers=2)
    for name in ("decisions.parquet", "quarantine.parquet"):
        assert pl.read_parquet(tmp_path / "one" / name).equals(pl.read_parquet(tmp_path / "two" / name))


def test_corrupted_rows_go_to_quarantine_and_the_rest_is_decided(day_frame, settings, tmp_path):
    # A CSV dump with 1 % of its rows broken in different ways.
    raw = day_frame.cast({c: pl.String for c in day_frame.columns})
    bad_rows = list(range(7, raw.height, 100))
    kinds = ["price", "id", "date", "duplicate"]
    price = raw["price"].to_list()
    ids = raw["listing_id"].to_list()
    created = raw["created_at"].to_list()
    expected = {}
    for n, row in enumerate(bad_rows):
        kind = kinds[n % len(kinds)]
        if kind == "price":
            price[row] = "дорого"
        elif kind == "id":
            ids[row] = None
        elif kind == "date":
            created[row] = "вчера вечером"
        else:
            ids[row] = ids[0]
        expected[row] = kind
    broken = raw.with_columns(
        price=pl.Series(price), listing_id=pl.Series(ids), created_at=pl.Series(created)
    )
    path = tmp_path / "listings-broken.csv"
    broken.write_csv(path)

    report = run_score(path, tmp_path / "run", settings, show_progress=False, enqueue=False)

    quarantine = pl.read_parquet(tmp_path / "run" / "quarantine.parquet")
    decisions = pl.read_parquet(tmp_path / "run" / "decisions.parquet")
    assert quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert report["rows_in"] == raw.height == decisions.height + quarantine.height
    assert report["rows_quarantined"] == len(bad_rows) == quarantine.height
    reasons = dict(zip(quarantine["row_number"], quarantine["reason"], strict=True))
    assert set(reasons) == set(bad_rows)
    prefix = {"price": "price: expected a number", "id": "listing_id: missing",
              "date": "created_at: expected a timestamp", "duplicate": "listing_id: duplicate of row 0"}
    for row, kind in expected.items():
        assert reasons[row].startswith(prefix[kind]), (row, reasons[row])
    # The original row is kept whole.
    first_bad = json.loads(quarantine.filter(pl.col("row_number") == bad_rows[0])["row_json"].item())
    assert first_bad["price"] == "дорого"


def test_a_dump_missing_a_required_column_fails_before_writing_anything(day_frame, settings, tmp_path):
    path = tmp_path / "listings-no-price.parquet"
    day_frame.drop("price").write_parquet(path)
    with pytest.raises(InputSchemaError, match=r"missing required column\(s\) price"):
        run_score(path, tmp_path / "run", settings, show_progress=False)
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


def test_an_unknown_engine_is_a_config_error(day_path, settings, tmp_path):
    with pytest.raises(ConfigError, match="engine must be one of local, ray. Got 'spark' instead."):
        run_score(day_path, tmp_path / "run", settings, show_progress=False, engine="spark")
