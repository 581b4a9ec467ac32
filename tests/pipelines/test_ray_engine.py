"""The Ray engine gives exactly the local engine's outputs (Ray started by the test run itself)."""

from __future__ import annotations

import pickle

import polars as pl
import pytest

from pipelines.day_batch import process_batch
from pipelines.ray_engine import Slice, pack_result, plan_slices, unpack_result
from pipelines.score_day import load_scorer, prepare_day, run_score, scorer_spec


def test_slices_cover_the_file_in_whole_row_groups(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame({"x": range(2_500)}).write_parquet(path, row_group_size=400)  # 6 x 400 + 100
    slices = plan_slices(path, batch_size=1_000)
    assert slices == [Slice(0, 0, 0, 3), Slice(1, 1_200, 3, 6), Slice(2, 2_400, 6, 7)]


def test_actors_get_the_drivers_ruleset_and_the_champion_pinned_by_number(settings):
    spec = scorer_spec(settings)
    assert spec.model_version == "1" and spec.ruleset.version
    loaded = pickle.loads(pickle.dumps(spec)).load()  # what an actor does
    assert loaded.versions == ("fraud/1", spec.ruleset.version)


def test_a_batch_result_crosses_the_wire_unchanged_and_compact(day_path, settings):
    from moderation.ingest import open_dump

    dump = open_dump(day_path)
    context, _ = prepare_day(dump)
    offset, raw = next(iter(dump.batches(1_000)))
    result = process_batch(raw, offset, context, load_scorer(settings))
    assert result.cases.height > 0  # the case frame (snapshots, contributions) is exercised too

    back = unpack_result({"index": 0, **pack_result(result)})

    for name in ("decisions", "quarantine", "cases"):
        assert getattr(back, name).equals(getattr(result, name)), name
    assert (back.offset, back.rows_in, back.versions) == (result.offset, result.rows_in, result.versions)
    assert back.seconds == result.seconds
    # Pickling the gathered case frame drags the whole batch's shared string buffers along.
    assert len(pack_result(result)["cases"]) < len(pickle.dumps(result.cases)) / 2


@pytest.mark.ray
@pytest.mark.slow
def test_ray_and_local_give_identical_outputs(day_frame, settings, tmp_path):
    # CSV with a few broken rows: exercises restaging and the quarantine through Ray as well.
    raw = day_frame.cast({c: pl.String for c in day_frame.columns})
    broken = raw.with_columns(
        price=pl.when(pl.int_range(pl.len()) % 250 == 3).then(pl.lit("-5")).otherwise(pl.col("price"))
    )
    path = tmp_path / "listings-2026-11-04.csv"
    broken.write_csv(path)

    local = run_score(path, tmp_path / "local", settings, show_progress=False)
    remote = run_score(path, tmp_path / "ray", settings, show_progress=False, engine="ray", workers=2)

    assert remote["engine"] == "ray" and remote["rows_quarantined"] == local["rows_quarantined"] > 0
    for key in ("run_id", "rows_in", "approved", "blocked", "review", "model_version", "ruleset_version"):
        assert remote[key] == local[key], key
    for name in ("decisions.parquet", "quarantine.parquet"):
        assert pl.read_parquet(tmp_path / "ray" / name).equals(pl.read_parquet(tmp_path / "local" / name)), name
    # Same run id, so the Ray run found every review case already queued.
    assert local["review_cases_added"] == local["review"] > 0
    assert remote["review_cases_added"] == 0
    assert not list((tmp_path / "ray").glob("*.partial"))
