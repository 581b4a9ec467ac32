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
    _run(engine, lambda cfg: command.upgrade(cfg, "head"))


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Step the schema back (operators and tests; data in dropped tables is lost)."""
    _run(engine, lambda cfg: command.downgrade(cfg, revision))


def _run(engine: Engine, step) -> None:
    """One transaction for all the steps; on PostgreSQL under an advisory lock.

    SQLite rebuilds a table to alter it (batch mode), and dropping the old copy while other rows
    still reference it fails with foreign keys on. The pragma can only change outside a
    transaction, so it is switched off around it, and every reference is checked before commit.
    """
    cfg = _config()
    with writer(engine).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                cfg.attributes["connection"] = conn
                step(cfg)
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"migration left dangling references: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
