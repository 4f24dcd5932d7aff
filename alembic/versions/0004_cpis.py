"""CP-IS flags, access events, notification windows, subscriptions and the delivery outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cpis_flag",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("owner_ods", sa.String(length=10), nullable=False),
        sa.Column("owner_name", sa.Text(), nullable=False),
        sa.Column("office_hours_phone", sa.String(length=40), nullable=False),
        sa.Column("out_of_hours_phone", sa.String(length=40), nullable=False),
        sa.Column("case_reference", sa.String(length=64), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("uploaded_nhs_number", sa.String(length=10), nullable=False),
        sa.Column("plan_type", sa.String(length=20), nullable=False),
        sa.Column("abuse_category", sa.String(length=20), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.Column("adult_on", sa.Date(), nullable=True),
        sa.Column("subject_state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpis_flag")),
        sa.UniqueConstraint("owner_ods", "case_reference", name=op.f("uq_cpis_flag_owner_ods")),
    )
    op.create_index(op.f("ix_cpis_flag_nhs_number"), "cpis_flag", ["nhs_number"], unique=False)
    op.create_index(
        op.f("ix_cpis_flag_uploaded_nhs_number"), "cpis_flag", ["uploaded_nhs_number"], unique=False
    )
    op.create_table(
        "cpis_notification_window",
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("owner_ods", sa.String(length=10), nullable=False),
        sa.Column("reader_ods", sa.String(length=10), nullable=False),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "nhs_number", "owner_ods", "reader_ods", name=op.f("pk_cpis_notification_window")
        ),
    )
    op.create_table(
        "cpis_subscription",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("owner_ods", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("payload", sa.String(length=60), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpis_subscription")),
    )
    op.create_index(
        op.f("ix_cpis_subscription_owner_ods"), "cpis_subscription", ["owner_ods"], unique=False
    )
    op.create_table(
        "cpis_access_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("flag_id", sa.UUID(), nullable=False),
        sa.Column("owner_ods", sa.String(length=10), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reader_client_id", sa.String(length=64), nullable=False),
        sa.Column("reader_ods", sa.String(length=10), nullable=False),
        sa.Column("reader_org_name", sa.Text(), nullable=False),
        sa.Column("reader_role", sa.String(length=30), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("user_name", sa.Text(), nullable=True),
        sa.Column("job_title", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["cpis_flag.id"], name=op.f("fk_cpis_access_event_flag_id_cpis_flag")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpis_access_event")),
    )
    op.create_index(
        "ix_cpis_access_event_flag_recorded",
        "cpis_access_event",
        ["flag_id", "recorded_at"],
        unique=False,
    )
    op.create_table(
        "cpis_notification",
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner_ods", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("flag_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["cpis_flag.id"], name=op.f("fk_cpis_notification_flag_id_cpis_flag")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_cpis_notification")),
        sa.UniqueConstraint("id", name=op.f("uq_cpis_notification_id")),
    )
    op.create_index(
        "ix_cpis_notification_owner_seq", "cpis_notification", ["owner_ods", "seq"], unique=False
    )
    op.create_table(
        "cpis_delivery",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.UUID(), nullable=False),
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("lease_token", sa.UUID(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["cpis_notification.id"],
            name=op.f("fk_cpis_delivery_notification_id_cpis_notification"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["cpis_subscription.id"],
            name=op.f("fk_cpis_delivery_subscription_id_cpis_subscription"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpis_delivery")),
        sa.UniqueConstraint(
            "notification_id", "subscription_id", name=op.f("uq_cpis_delivery_notification_id")
        ),
    )
    op.create_index(
        "ix_cpis_delivery_due",
        "cpis_delivery",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_cpis_delivery_due",
        table_name="cpis_delivery",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("cpis_delivery")
    op.drop_index("ix_cpis_notification_owner_seq", table_name="cpis_notification")
    op.drop_table("cpis_notification")
    op.drop_index("ix_cpis_access_event_flag_recorded", table_name="cpis_access_event")
    op.drop_table("cpis_access_event")
    op.drop_index(op.f("ix_cpis_subscription_owner_ods"), table_name="cpis_subscription")
    op.drop_table("cpis_subscription")
    op.drop_table("cpis_notification_window")
    op.drop_index(op.f("ix_cpis_flag_uploaded_nhs_number"), table_name="cpis_flag")
    op.drop_index(op.f("ix_cpis_flag_nhs_number"), table_name="cpis_flag")
    op.drop_table("cpis_flag")
