"""Initial review-queue schema: cases, append-only audit log, users.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_json = sa.JSON().with_variant(JSONB(), "postgresql")
_ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("listing_id", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("parent_id", _id, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("reasons", _json, nullable=False),
        sa.Column("primary_reason", sa.String(64), nullable=False),
        sa.Column("rule_hits", _json, nullable=False),
        sa.Column("fraud_score", sa.Float, nullable=True),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("ruleset_version", sa.String(200), nullable=False),
        sa.Column("listing", _json, nullable=False),
        sa.Column("contributions", _json, nullable=False),
        sa.Column("risk", sa.Float, nullable=False),
        sa.Column("priority", sa.Float, nullable=False),
        sa.Column("required_role", sa.String(16), nullable=False),
        sa.Column("exclude_moderator", sa.String(100), nullable=True),
        sa.Column("gold_decision", sa.String(16), nullable=True),
        sa.Column("gold_reason", sa.String(64), nullable=True),
        sa.Column("appeal_note", sa.Text, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("claimed_at", _ts, nullable=True),
        sa.Column("lease_until", _ts, nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", _ts, nullable=True),
        sa.Column("enqueued_at", _ts, nullable=False),
        sa.Column("due_at", _ts, nullable=False),
        sa.UniqueConstraint("listing_id", "run_id", "kind", "seq", name="uq_cases_item"),
        sa.CheckConstraint("state IN ('open', 'decided')", name="ck_cases_state"),
        sa.CheckConstraint("kind IN ('review', 'second', 'appeal')", name="ck_cases_kind"),
    )
    # Claims walk open cases in deadline order; the partial index keeps that walk short.
    op.create_index(
        "ix_cases_claim",
        "cases",
        ["due_at", "id"],
        sqlite_where=sa.text("state = 'open'"),
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_index(
        "ix_cases_decided",
        "cases",
        ["decided_at", "id"],
        sqlite_where=sa.text("state = 'decided'"),
        postgresql_where=sa.text("state = 'decided'"),
    )
    op.create_index("ix_cases_holder", "cases", ["holder"])
    op.create_index("ix_cases_run", "cases", ["run_id"])
    op.create_index("ix_cases_parent", "cases", ["parent_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("case_id", _id, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("at", _ts, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", _json, nullable=False),
    )
    op.create_index("ix_audit_case", "audit_log", ["case_id", "id"])
    _make_audit_append_only()

    op.create_table(
        "users",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _ts, nullable=False),
        sa.Column("disabled_at", _ts, nullable=True),
        sa.CheckConstraint(
            "role IN ('moderator', 'senior', 'policy', 'admin')", name="ck_users_role"
        ),
    )


def _make_audit_append_only() -> None:
    """The database itself refuses UPDATE and DELETE on the audit log, whoever connects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("users")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("audit_log")
    op.drop_table("cases")
