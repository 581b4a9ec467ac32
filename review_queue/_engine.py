"""Engines tuned per dialect: SQLite as a safe single-writer file, PostgreSQL with a real pool."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from review_queue.errors import QueueUrlError

__all__ = ["make_engine", "writer"]


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine for ``url`` (sqlite:///file.db or postgresql+psycopg://...)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise QueueUrlError(
                f"the queue needs a SQLite file (sqlite:///path/queue.db); an in-memory database "
                f"would be a different empty one on every connection. Got {url!r} instead."
            )
        return _sqlite_engine(url, pool_size)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
        )
    raise QueueUrlError(
        f"queue URL must start with sqlite:/// or postgresql+psycopg://. Got {url!r} instead."
    )


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"check_same_thread": False, "timeout": 60},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers (``writer(engine)``) take the write lock up front: a read-then-write
        # transaction (a claim) can then never fail half-way with SQLITE_BUSY, and two claimers
        # are strictly serialised. Readers begin deferred and, in WAL mode, never wait.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The engine to run write transactions on: on SQLite they begin IMMEDIATE."""
    return engine.execution_options(sqlite_immediate=True)
