import polars as pl
import pytest

from moderation.errors import InputSchemaError
from review_queue.promotion import extract_entities, mine_entities


def test_recurring_phone_handle_and_text_are_found_with_support(decisions):
    found = mine_entities(decisions)
    phones = found.filter(pl.col("kind") == "phone")
    assert set(phones["value"]) == {f"7912345000{i}" for i in range(4)}
    first = phones.row(0, named=True)
    assert first["reason_code"] == "prepayment_scam"
    assert first["approvals"] == 0
    assert first["cases"] == first["blocks"] == first["same_reason"]
    assert first["sellers"] == first["cases"]  # one listing per seller in the fixture
    assert first["days"] >= 2
    handles = found.filter(pl.col("kind") == "handle")
    assert set(handles["value"]) == {"fast_deliv0", "fast_deliv1", "fast_deliv2"}
    texts = found.filter(pl.col("kind") == "text")
    assert texts.height == 1 and texts["blocks"][0] == 30
    assert "курьерской доставкой" in texts["value"][0]


def test_counter_evidence_counts_approvals_of_the_same_entity(decisions):
    approved_twin = decisions.filter(pl.col("listing_id") == "ok0").with_columns(
        pl.lit("8 912 345 00 01").alias("phone"), pl.lit("ok_twin").alias("listing_id")
    )
    found = mine_entities(pl.concat([decisions, approved_twin], how="vertical_relaxed"))
    row = found.filter((pl.col("kind") == "phone") & (pl.col("value") == "79123450001")).row(0, named=True)
    assert row["approvals"] == 1
    assert row["cases"] == row["blocks"] + 1


def test_entities_seen_once_or_only_approved_are_not_candidates(decisions):
    found = mine_entities(decisions)
    assert not found.filter(pl.col("value").str.contains("7900111")).height  # approved phones
    assert found.filter(pl.col("kind") == "seller").height == 0  # each seller appears once


def test_empty_and_missing_columns():
    empty = pl.DataFrame(schema={"listing_id": pl.String, "decision": pl.String})
    assert mine_entities(empty).height == 0
    frame = pl.DataFrame({"listing_id": ["a"], "decision": ["block"], "reason_code": ["spam"],
                          "title": ["пишите на ivan.petrov@mail.ru"], "description": [None],
                          "decided_at": [None]}, schema_overrides={"decided_at": pl.Datetime})
    kinds = extract_entities(frame)
    assert ("email", "ivan.petrov@mail.ru") in set(zip(kinds["kind"], kinds["value"], strict=True))


def test_bad_input_names_the_missing_column():
    with pytest.raises(InputSchemaError, match="needs column\\(s\\) decision, reason_code"):
        mine_entities(pl.DataFrame({"listing_id": ["a"], "title": ["x"], "description": ["y"]}))
