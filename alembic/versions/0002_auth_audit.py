"""Client registry, assertion replay store, signing keys and the append-only audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Row-level: UPDATE and DELETE are refused for everyone, superusers included, unless
# the trigger itself is disabled (which `cci audit verify` then detects). TRUNCATE is
# a statement, not a row event: production revokes it from the application role.
APPEND_ONLY = (
    """
    CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    ]


def upgrade() -> None:
    op.create_table(
        "oauth_clients",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("ods_code", sa.String(10), nullable=False, index=True),
        sa.Column("organisation_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("jwks", postgresql.JSONB(), nullable=False),
        *_timestamps(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.CheckConstraint(
            "role IN ('social-care', 'health-unscheduled', 'health-scheduled', "
            "'education', 'police', 'admin')",
            name="role",
        ),
        sa.CheckConstraint("status IN ('active', 'suspended')", name="status"),
    )
    op.create_table(
        "used_client_assertions",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("jti", sa.String(200), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "gateway_signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_jwk", postgresql.JSONB(), nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("recorded", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(64)),
        sa.Column("client_id", sa.String(64)),
        sa.Column("ods_code", sa.String(10)),
        sa.Column("organisation_name", sa.String(200)),
        sa.Column("role", sa.String(32)),
        sa.Column("end_user_id", sa.String(200)),
        sa.Column("end_user_name", sa.String(200)),
        sa.Column("end_user_role", sa.String(200)),
        sa.Column("purpose_code", sa.String(32)),
        sa.Column("purpose_text", sa.String(1000)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(64)),
        sa.Column("owner_ods", sa.String(10)),
        sa.Column("outcome", sa.String(2), nullable=False),
        sa.Column("detail", sa.String(1000)),
        sa.Column("prev_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_index("ix_audit_events_resource", "audit_events", ["resource_type", "resource_id"])
    op.create_index("ix_audit_events_recorded", "audit_events", ["recorded"])
    op.create_index("ix_audit_events_owner_ods", "audit_events", ["owner_ods"])
    op.create_index("ix_audit_events_client_id", "audit_events", ["client_id"])
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(32), nullable=False),
    )
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_table("audit_events")
    op.execute("DROP FUNCTION audit_refuse_change()")
    op.drop_table("gateway_signing_keys")
    op.drop_table("used_client_assertions")
    op.drop_table("oauth_clients")
