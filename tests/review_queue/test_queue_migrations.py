"""Migrations: a new database lands on head; every step goes down and up again with data kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from review_queue import QueuePolicy, migrate, open_store


def test_schema_round_trips_through_every_migration(store_url, new_case):
    store = open_store(store_url, policy=QueuePolicy(second_review_share=1.0))
    try:
        assert migrate.current_revision(store.engine) == migrate.head_revision() == "0004"
        store.enqueue([new_case(1), new_case(2)])
        # Decided cases, their audit rows and second reviews all point at rows of `cases`, which
        # SQLite rebuilds to change a constraint: the references must survive every step.
        (case,) = store.claim("anna", limit=1)
        store.decide(case.id, "anna", "block", "spam")
        migrate.downgrade(store.engine, "0001")
        assert migrate.current_revision(store.engine) == "0001"
        assert store.count_cases() == 2
        assert [e.action for e in store.audit(case.id)] == ["claim", "decide"]
        migrate.upgrade(store.engine)
        assert migrate.current_revision(store.engine) == "0004"
        assert store.enqueue([new_case(1), new_case(3)]) == 1
        (second,) = store.claim("boris", limit=1, kinds=["second"])
        assert store.decide(second.id, "boris", "block", "spam").case_id == second.id
        migrate.downgrade(store.engine, "base")
        assert "cases" not in sa.inspect(store.engine).get_table_names()
    finally:
        store.close()
    reopened = open_store(store_url)
    try:
        assert reopened.count_cases() == 0
        assert migrate.current_revision(reopened.engine) == "0004"
    finally:
        reopened.close()


def test_downgrading_below_disputes_refuses_rather_than_losing_them(store_url, new_case):
    store = open_store(store_url, policy=QueuePolicy(second_review_share=1.0))
    try:
        store.enqueue([new_case(1)])
        (case,) = store.claim("anna", limit=1)
        store.decide(case.id, "anna", "block", "spam")
        (second,) = store.claim("boris", limit=1, kinds=["second"])
        assert store.decide(second.id, "boris", "approve", "ok").dispute_case_id is not None
        with pytest.raises(RuntimeError, match="holds 1 dispute case"):
            migrate.downgrade(store.engine, "0003")
        assert migrate.current_revision(store.engine) == "0004"
        assert store.claim("olga", role="senior", limit=1)[0].kind == "dispute"
    finally:
        store.close()
