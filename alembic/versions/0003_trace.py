"""Trace: the reconciliation queue for traces without a certain match.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trace_reconciliation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("ods_code", sa.String(10), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("best_grade", sa.String(16), nullable=True),
        sa.Column("spine_calls", sa.SmallInteger(), nullable=False),
        sa.Column("query", postgresql.JSONB(), nullable=False),
        sa.Column("candidates", postgresql.JSONB(), nullable=False),
        sa.Column("resolved_nhs_number", sa.String(10), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_reconciliation")),
    )
    op.create_index(
        "ix_trace_reconciliation_org_status", "trace_reconciliation", ["ods_code", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_trace_reconciliation_org_status", table_name="trace_reconciliation")
    op.drop_table("trace_reconciliation")
