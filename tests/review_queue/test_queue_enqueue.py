"""Contract: enqueue is idempotent, exact in its count, and keeps the snapshot intact."""

from __future__ import annotations

import pytest

from review_queue import NewCase, QueueError, open_store


def test_enqueue_counts_new_cases_and_is_idempotent(store_url, new_case):
    store = open_store(store_url)
    try:
        batch = [new_case(i) for i in range(250)]
        assert store.enqueue(batch) == 250
        assert store.enqueue(batch) == 0
        assert store.enqueue(batch[:10] + [new_case(1000 + i) for i in range(5)]) == 5
        assert store.count_cases() == 255
        assert store.count_cases("run-1") == 255
        assert store.count_cases("run-2") == 0
    finally:
        store.close()


def test_same_listing_in_another_run_is_another_case(store_url, new_case):
    store = open_store(store_url)
    try:
        assert store.enqueue([new_case(1, "run-1"), new_case(1, "run-2")]) == 2
        assert store.count_cases("run-1") == 1
        assert store.count_cases("run-2") == 1
    finally:
        store.close()


def test_duplicates_inside_one_call_count_once(store_url, new_case):
    store = open_store(store_url)
    try:
        assert store.enqueue([new_case(3), new_case(3), new_case(4)]) == 2
    finally:
        store.close()


def test_empty_enqueue_adds_nothing(store_url, new_case):
    store = open_store(store_url)
    try:
        assert store.enqueue([]) == 0
        assert store.count_cases() == 0
    finally:
        store.close()


def test_reopening_keeps_cases_and_schema(store_url, new_case):
    store = open_store(store_url)
    store.enqueue([new_case(i) for i in range(3)])
    store.close()
    again = open_store(store_url)
    try:
        assert again.count_cases() == 3
        assert again.enqueue([new_case(0)]) == 0
    finally:
        again.close()


def test_snapshot_round_trips_unicode_and_contributions(store_url, new_case):
    store = open_store(store_url)
    try:
        case = new_case(7, fraud_score=None)
        store.enqueue([case])
        (claimed,) = store.claim("anna", limit=1)
        assert claimed.listing == case.listing
        assert claimed.contributions == case.contributions
        assert claimed.reasons == case.reasons and claimed.rule_hits == case.rule_hits
        assert claimed.fraud_score is None
    finally:
        store.close()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"listing_id": ""}, "listing_id must be a non-empty string"),
        ({"run_id": None}, "run_id must be a non-empty string"),
        ({"listing": ["not", "a", "dict"]}, "listing must be a dict"),
        ({"listing": {"title": "x", "price": float("nan")}}, "must be plain JSON"),
        ({"listing": {"title": "x", "blob": object()}}, "object .* is not JSON-serialisable"),
    ],
)
def test_bad_case_is_rejected_and_nothing_is_written(store_url, new_case, override, message):
    store = open_store(store_url)
    try:
        bad = new_case(2, **override)
        with pytest.raises(QueueError, match=message):
            store.enqueue([new_case(1), bad])
        assert store.count_cases() == 0
    finally:
        store.close()


def test_new_case_is_frozen(new_case):
    case = new_case(1)
    with pytest.raises(AttributeError):
        case.risk = 1.0  # type: ignore[misc]
    assert isinstance(case, NewCase)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://x@localhost/q"])
def test_unusable_urls_are_refused_clearly(url):
    with pytest.raises(ValueError, match="Got '"):
        open_store(url)


def test_dates_in_a_snapshot_are_stored_as_iso_text(store_url, new_case):
    from datetime import UTC, datetime

    store = open_store(store_url)
    try:
        stamp = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)
        store.enqueue([new_case(1, listing={"title": "x", "created_at": stamp})])
        (case,) = store.claim("anna", limit=1)
        assert case.listing == {"title": "x", "created_at": "2026-11-19T10:00:00+00:00"}
    finally:
        store.close()
