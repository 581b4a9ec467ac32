"""Bring a database to the newest schema, programmatically, when a store opens.

Alembic runs on the caller's connection inside one transaction; on PostgreSQL an advisory lock
makes concurrent openers wait for each other instead of racing to create the same tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from review_queue._engine import writer

__all__ = ["upgrade", "downgrade", "current_revision", "head_revision"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 5_031_977  # any constant; identifies "review-queue migration" among advisory locks


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (a no-op on an up-to-date database)."""
    cfg = _config()
    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Step the schema back (operators and tests; data in dropped tables is lost)."""
    cfg = _config()
    with writer(engine).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
