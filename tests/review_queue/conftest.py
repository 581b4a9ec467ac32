"""Fixtures: a fresh queue database per test on SQLite and on the local PostgreSQL server.

PostgreSQL runs for real (never skipped): each test gets its own schema, named after this
session, dropped when the test ends, so parallel sessions and reruns never see each other.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from review_queue import NewCase

PG_ADMIN_DSN = os.environ.get("MODERATION_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
SESSION_TAG = uuid.uuid4().hex[:8]


class FakeClock:
    """A settable clock: leases and deadlines are tested without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'queue.db'}"


@pytest.fixture
def pg_url(request):
    schema = f"rq_{SESSION_TAG}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    dsn = PG_ADMIN_DSN.replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{dsn}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request) -> str:
    """Every contract test runs once per backend."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def make_case(i: int, run_id: str = "run-1", **overrides) -> NewCase:
    listing = {
        "title": f"iPhone 15 №{i}",
        "description": "Пишите в телеграм @seller, предоплата на карту",
        "price": 15000.0 + i,
        "category": "phones",
        "region": "Москва",
        "city": "Москва",
        "seller_id": f"s{i % 7}",
        "created_at": "2026-11-19T10:00:00",
        "seller_type": "private",
        "seller_registered_at": "2026-11-01T00:00:00",
        "seller_listing_count": i % 50,
        "seller_past_blocks": i % 3,
        "photo_count": 2,
        "phone": "+79001234567",
        "highlights": ["телеграм @seller", "предоплата"],
    }
    fields = dict(
        listing_id=f"L{i:06d}",
        run_id=run_id,
        reasons=("prepayment_scam", "contacts_in_text"),
        rule_hits=("prepay_card", "contacts_tg"),
        fraud_score=0.61,
        model_version="fraud/3",
        ruleset_version="rs-abc123",
        listing=listing,
        contributions=(("text_prepayment", 0.42), ("price_ratio", -0.08)),
        risk=0.5,
    )
    fields.update(overrides)
    return NewCase(**fields)


@pytest.fixture(name="new_case")
def new_case_factory():
    """``new_case(i, run_id, **overrides)`` builds a realistic NewCase."""
    return make_case
