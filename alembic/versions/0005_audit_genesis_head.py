"""The audit chain's genesis head, created once here rather than by the first append.

Appends fail closed without a head (see `app.audit.repository`), so a head deleted
by hand stops auditing — and with it every audited action — instead of restarting
the chain unnoticed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO audit_chain_head (id, last_seq, last_hash) "
        "VALUES (1, 0, decode(repeat('00', 32), 'hex')) ON CONFLICT (id) DO NOTHING"
    )


def downgrade() -> None:
    # Nothing to undo: a trigger refuses deleting the head, and 0002's downgrade drops it.
    pass
