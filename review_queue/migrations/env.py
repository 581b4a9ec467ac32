"""Alembic environment: runs on the connection ``review_queue.migrate`` hands in.

No ini file and no logging config: migrations run programmatically when a store opens.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
