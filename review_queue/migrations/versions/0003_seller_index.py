"""Index decided cases by seller, so the case view's seller history stays one index lookup.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The exact expressions ``SqlStore.seller_history`` queries with (see store.SELLER_EXPR).
_EXPR = {
    "postgresql": "(listing ->> 'seller_id')",
    "sqlite": "json_extract(listing, '$.seller_id')",
}


def upgrade() -> None:
    expr = _EXPR[op.get_bind().dialect.name]
    op.execute(
        f"CREATE INDEX ix_cases_seller ON cases ({expr}, decided_at) WHERE state = 'decided'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_cases_seller")
