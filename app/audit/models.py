"""The append-only audit table and the head of its hash chain.

Each row's `hash` is SHA-256 over the previous row's hash and the row's own
content (see `app.audit.chain`); `seq` is contiguous from 1. A trigger refuses
UPDATE and DELETE on `audit_events` (migration 0002); `audit_chain_head` holds
the last link, so removing the newest rows is detected too.
"""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(64))
    ods_code: Mapped[str | None] = mapped_column(String(10))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(32))
    end_user_id: Mapped[str | None] = mapped_column(String(200))
    end_user_name: Mapped[str | None] = mapped_column(String(200))
    end_user_role: Mapped[str | None] = mapped_column(String(200))
    purpose_code: Mapped[str | None] = mapped_column(String(32))
    purpose_text: Mapped[str | None] = mapped_column(String(1000))
    action: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    owner_ods: Mapped[str | None] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(2))
    detail: Mapped[str | None] = mapped_column(String(1000))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (
        Index("ix_audit_events_resource", "resource_type", "resource_id"),
        Index("ix_audit_events_recorded", "recorded"),
        Index("ix_audit_events_owner_ods", "owner_ods"),
        Index("ix_audit_events_client_id", "client_id"),
    )


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
