"""The reconciliation queue: traces that ended without one `certain` match.

DESIGN.md: what cannot be resolved with confidence goes to a person. Each item
keeps what the caller sent and the candidates we found, visible only to the
organisation that asked (the queue is its work list, not a shared index).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, SmallInteger, String, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class ReconciliationItem(Base):
    __tablename__ = "trace_reconciliation"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|resolved|dismissed
    client_id: Mapped[str] = mapped_column(String(64))
    ods_code: Mapped[str] = mapped_column(String(10))
    request_id: Mapped[str | None] = mapped_column(String(64))
    best_grade: Mapped[str | None] = mapped_column(String(16))
    spine_calls: Mapped[int] = mapped_column(SmallInteger)
    query: Mapped[dict[str, Any]] = mapped_column(JSONB)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    resolved_nhs_number: Mapped[str | None] = mapped_column(String(10))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_trace_reconciliation_org_status", "ods_code", "status"),)
