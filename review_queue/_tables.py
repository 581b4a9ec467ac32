"""Table definitions (SQLAlchemy core) the store queries through.

The schema itself is created by the Alembic migrations in ``migrations/``; this module must
describe the same tables (a contract test checks it against the migrated database).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = ["metadata", "cases", "audit_log", "users", "UTCDateTime", "JsonDoc", "Id"]


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python on every dialect (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware. Got naive {value!r} instead.")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonDoc = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY

metadata = MetaData()

cases = Table(
    "cases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("listing_id", String(200), nullable=False),
    Column("run_id", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("parent_id", Id, ForeignKey("cases.id"), nullable=True),
    Column("reasons", JsonDoc, nullable=False),
    Column("primary_reason", String(64), nullable=False),
    Column("rule_hits", JsonDoc, nullable=False),
    Column("fraud_score", Float, nullable=True),
    Column("model_version", String(200), nullable=False),
    Column("ruleset_version", String(200), nullable=False),
    Column("listing", JsonDoc, nullable=False),
    Column("contributions", JsonDoc, nullable=False),
    Column("risk", Float, nullable=False),
    Column("priority", Float, nullable=False),
    Column("required_role", String(16), nullable=False),
    Column("exclude_moderator", String(100), nullable=True),
    Column("gold_decision", String(16), nullable=True),
    Column("gold_reason", String(64), nullable=True),
    Column("appeal_note", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("holder", String(100), nullable=True),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("decision", String(16), nullable=True),
    Column("reason_code", String(64), nullable=True),
    Column("note", Text, nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("enqueued_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", JsonDoc, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime, nullable=True),
)
