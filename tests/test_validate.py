import json

import polars as pl

from moderation.schema import LISTING_COLUMNS, QUARANTINE_SCHEMA
from moderation.validate import duplicate_index, validate_batch
from tests.factories import make_listings


def _validate(raw: pl.DataFrame, offset: int = 0):
    return validate_batch(
        raw, source_file="day.csv", row_offset=offset, duplicates=duplicate_index(raw.lazy())
    )


def test_clean_batch_passes_typed_and_keeps_extra_columns():
    raw = make_listings(10).with_columns(pl.lit("x").alias("promo_code"))
    good, bad = _validate(raw)
    assert bad.height == 0 and good.height == 10
    for name, dtype in LISTING_COLUMNS.items():
        assert good.schema[name] == dtype, name
    assert good["promo_code"].to_list() == ["x"] * 10
    assert good["phone"].null_count() == 10  # optional column absent from the dump -> nulls


def test_each_kind_of_bad_row_gets_one_clear_reason():
    raw = make_listings(9).cast({"price": pl.String, "created_at": pl.String}).with_columns(
        listing_id=pl.Series(["a", "b", "a", None, "c", "d", "e", "f", "g"]),
        price=pl.Series(["10", "-5", "3", "1", "4", "5", "6", "десять", "7"]),
        created_at=pl.Series(["2026-11-01T10:00:00"] * 4 + ["вчера"] + ["2026-11-01 10:00"] * 4),
        title=pl.Series(["ok", "ok", "ok", "ok", "ok", "x" * 400, "bro\x00ken", "ok", "   "]),
    )
    good, bad = _validate(raw)
    assert good["listing_id"].to_list() == ["a"]
    reasons = dict(zip(bad["row_number"], bad["reason"], strict=True))
    assert reasons == {
        1: "price: negative (-5.0)",
        2: "listing_id: duplicate of row 0",
        3: "listing_id: missing",
        4: "created_at: expected a timestamp (ISO 8601), got 'вчера'",
        5: "title: too long (400 chars, max 300)",
        6: "title: broken text (invalid bytes or control characters)",
        7: "price: expected a number, got 'десять'",
        8: "title: empty",
    }
    assert bad.schema == pl.Schema(QUARANTINE_SCHEMA)
    # Nothing is lost: the original row is kept whole.
    assert json.loads(bad.filter(pl.col("row_number") == 7)["row_json"][0])["price"] == "десять"


def test_rows_in_equals_accepted_plus_quarantined_with_one_percent_corruption():
    raw = make_listings(1000).cast({"price": pl.String})
    corrupt = {i: v for i, v in zip(range(5, 1000, 100), ["-1", "abc", "", "1e400", "-0.5"] * 2, strict=True)}
    raw = raw.with_columns(
        price=pl.Series([corrupt.get(i, p) for i, p in enumerate(raw["price"])])
    )
    good, bad = _validate(raw)
    assert good.height + bad.height == 1000
    # "" is a missing price (allowed: price is nullable); the other 8 are bad values.
    assert bad.height == 8
    assert set(bad["reason"].str.split(":").list.first()) == {"price"}


def test_duplicates_across_batches_keep_the_first_occurrence():
    raw = make_listings(6).with_columns(listing_id=pl.Series(["a", "b", "c", "a", "d", "b"]))
    dups = duplicate_index(raw.lazy())
    first_good, first_bad = validate_batch(raw.slice(0, 3), source_file="f", row_offset=0, duplicates=dups)
    second_good, second_bad = validate_batch(raw.slice(3), source_file="f", row_offset=3, duplicates=dups)
    assert first_bad.height == 0
    assert second_good["listing_id"].to_list() == ["d"]
    assert second_bad["reason"].to_list() == ["listing_id: duplicate of row 0", "listing_id: duplicate of row 1"]


def test_timezone_aware_timestamps_are_normalised_to_utc():
    raw = make_listings(2).with_columns(
        pl.col("created_at").dt.replace_time_zone("Europe/Moscow")
    )
    good, bad = _validate(raw)
    assert bad.height == 0
    assert good["created_at"][0].hour == 6  # 09:00 MSK = 06:00 UTC
