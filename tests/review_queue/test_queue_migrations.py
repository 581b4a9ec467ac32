"""Migrations: a new database lands on head; every step goes down and up again with data kept."""

from __future__ import annotations

import sqlalchemy as sa

from review_queue import migrate, open_store


def test_schema_round_trips_through_every_migration(store_url, new_case):
    store = open_store(store_url)
    try:
        assert migrate.current_revision(store.engine) == migrate.head_revision() == "0004"
        store.enqueue([new_case(1), new_case(2)])
        migrate.downgrade(store.engine, "0001")
        assert migrate.current_revision(store.engine) == "0001"
        assert store.count_cases() == 2
        migrate.upgrade(store.engine)
        assert migrate.current_revision(store.engine) == "0004"
        assert store.enqueue([new_case(1), new_case(3)]) == 1
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
