"""A fourth kind of case: 'dispute', a second review that disagreed with the first, for a senior.

SQLite cannot alter a CHECK constraint in place: batch mode rebuilds the table (its expression
index from 0003 is dropped first and made again, since reflection cannot copy it); ``migrate``
runs SQLite migrations with foreign keys off and checks them all before committing.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SELLER_INDEX = {
    "postgresql": "(listing ->> 'seller_id')",
    "sqlite": "json_extract(listing, '$.seller_id')",
}


def _set_kinds(kinds: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_constraint("ck_cases_kind", "cases", type_="check")
        op.create_check_constraint("ck_cases_kind", "cases", f"kind IN ({kinds})")
        return
    op.execute("DROP INDEX ix_cases_seller")
    with op.batch_alter_table("cases", recreate="always") as batch:
        batch.drop_constraint("ck_cases_kind", type_="check")
        batch.create_check_constraint("ck_cases_kind", f"kind IN ({kinds})")
    op.execute(
        f"CREATE INDEX ix_cases_seller ON cases ({_SELLER_INDEX[dialect]}, decided_at) "
        "WHERE state = 'decided'"
    )


def upgrade() -> None:
    _set_kinds("'review', 'second', 'appeal', 'dispute'")


def downgrade() -> None:
    # The audit log is append-only, so dispute cases cannot be deleted: refuse rather than lose them.
    disputes = op.get_bind().exec_driver_sql("SELECT count(*) FROM cases WHERE kind = 'dispute'").scalar()
    if disputes:
        raise RuntimeError(f"cannot downgrade below 0004: the queue holds {disputes} dispute case(s).")
    _set_kinds("'review', 'second', 'appeal'")
