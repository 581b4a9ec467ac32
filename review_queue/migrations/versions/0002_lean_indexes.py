"""Leaner indexes for the hot path: fewer index writes per claim and per decision.

Every decision rewrites its row; each index on the table costs a write then. The parent index
only covers second reviews and appeals, and holder is not indexed at all, so on PostgreSQL a
claim (which changes only holder and lease columns) can be a HOT update with no index writes;
the table keeps free space for that, and run lookups use the unique key (run_id first).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_holder", table_name="cases")
    op.drop_index("ix_cases_parent", table_name="cases")
    op.create_index(
        "ix_cases_parent", "cases", ["parent_id"],
        sqlite_where=sa.text("parent_id IS NOT NULL"),
        postgresql_where=sa.text("parent_id IS NOT NULL"),
    )
    if op.get_bind().dialect.name != "postgresql":
        # SQLite cannot drop a table constraint without rebuilding the table, and has no HOT
        # updates to gain: it keeps uq_cases_item and ix_cases_run.
        return
    # Same columns as uq_cases_item (ON CONFLICT infers either), run_id first for run lookups.
    op.create_index("uq_cases_run_item", "cases", ["run_id", "listing_id", "kind", "seq"], unique=True)
    op.drop_constraint("uq_cases_item", "cases", type_="unique")
    op.drop_index("ix_cases_run", table_name="cases")
    op.execute("ALTER TABLE cases SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE cases RESET (fillfactor)")
        op.create_index("ix_cases_run", "cases", ["run_id"])
        op.create_unique_constraint("uq_cases_item", "cases", ["listing_id", "run_id", "kind", "seq"])
        op.drop_index("uq_cases_run_item", table_name="cases")
    op.drop_index("ix_cases_parent", table_name="cases")
    op.create_index("ix_cases_parent", "cases", ["parent_id"])
    op.create_index("ix_cases_holder", "cases", ["holder"])
