"""Mock Spine schema: patients, search tables, related people, seed runs.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
    op.create_table(
        "patient",
        sa.Column("nhs_number", sa.String(10), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False, server_default="active"),
        sa.Column("superseded_by", sa.String(10)),
        sa.Column("security", sa.String(1), nullable=False, server_default="U"),
        sa.Column("version_id", sa.Integer, nullable=False, server_default="1"),
        sa.Column("gender", sa.String(7)),
        sa.Column("birth_date", sa.Date),
        sa.Column("death_date", sa.Date),
        sa.Column("death_notification", sa.String(1)),
        sa.Column("multiple_birth", sa.SmallInteger),
        sa.Column("gp_ods", sa.String(10)),
        sa.Column("household_id", sa.Integer),
        sa.Column("record", JSONB, nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("nhs_number", name="pk_patient"),
    )
    op.create_table(
        "search_name",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("use", sa.String(8), nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("family", sa.Text),
        sa.Column("given", sa.Text),
        sa.Column("given_rest", sa.Text),
        sa.Column("birth_date", sa.Date),
        sa.PrimaryKeyConstraint("id", name="pk_search_name"),
    )
    op.create_table(
        "search_address",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("postcode", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_address"),
    )
    op.create_table(
        "search_telecom",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("system", sa.String(5), nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_telecom"),
    )
    op.create_table(
        "related_person",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("patient_nhs_number", sa.String(10), nullable=False),
        sa.Column("related_nhs_number", sa.String(10)),
        sa.Column("rank", sa.SmallInteger, nullable=False, server_default="1"),
        sa.Column("record", JSONB, nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("id", name="pk_related_person"),
    )
    op.create_table(
        "seed_run",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float),
        sa.Column(
            "seeded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_seed_run"),
    )
    op.execute(
        "CREATE INDEX ix_search_name_family_birth "
        "ON search_name (family text_pattern_ops, birth_date)"
    )
    op.create_index("ix_search_name_birth_date", "search_name", ["birth_date"])
    op.create_index("ix_search_name_nhs_number", "search_name", ["nhs_number"])
    op.create_index("ix_search_address_nhs_number", "search_address", ["nhs_number", "postcode"])
    op.create_index("ix_search_telecom_nhs_number", "search_telecom", ["nhs_number"])
    op.create_index("ix_related_person_patient", "related_person", ["patient_nhs_number"])
    op.create_index("ix_patient_superseded_by", "patient", ["superseded_by"])


def downgrade() -> None:
    for table in (
        "seed_run", "related_person", "search_telecom", "search_address", "search_name", "patient"
    ):  # fmt: skip
        op.drop_table(table)
