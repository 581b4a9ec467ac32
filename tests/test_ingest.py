import polars as pl
import pytest

from moderation.errors import InputSchemaError
from moderation.ingest import open_dump
from tests.factories import make_listings


def _write(frame: pl.DataFrame, path):
    if path.suffix == ".parquet":
        frame.write_parquet(path)
    elif path.suffix == ".csv":
        frame.write_csv(path)
    else:
        frame.write_ndjson(path)
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_missing_required_column_names_column_and_file(tmp_path, suffix):
    path = _write(make_listings(5).drop("region"), tmp_path / f"day{suffix}")
    with pytest.raises(InputSchemaError) as err:
        open_dump(path)
    message = str(err.value)
    assert str(path) in message
    assert "missing required column(s) region" in message


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_batches_cover_every_row_in_order(tmp_path, suffix):
    frame = make_listings(53)
    dump = open_dump(_write(frame, tmp_path / f"day{suffix}"))
    batches = list(dump.batches(batch_size=10))
    assert [offset for offset, _ in batches] == [0, 10, 20, 30, 40, 50]
    ids = pl.concat([b.select(pl.col("listing_id").cast(pl.String)) for _, b in batches])["listing_id"]
    assert ids.to_list() == frame["listing_id"].to_list()


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(InputSchemaError, match="no such file"):
        open_dump(tmp_path / "nope.parquet")
    odd = tmp_path / "day.xlsx"
    odd.write_text("x")
    with pytest.raises(InputSchemaError, match=r"unknown format '.xlsx'"):
        open_dump(odd)


def test_unreadable_file_names_the_file(tmp_path):
    broken = tmp_path / "day.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(InputSchemaError, match=r"day.parquet: cannot read as parquet"):
        open_dump(broken)
