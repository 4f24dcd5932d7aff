"""CP-IS persistence: flags, access events, notification windows, subscriptions, the outbox.

`cpis_notification` is both the pollable feed and the source of the outbox:
each notification gets one `cpis_delivery` row per active rest-hook subscription
of the owning LA, inserted in the same transaction as the event that caused it.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Flag(Base):
    __tablename__ = "cpis_flag"
    __table_args__ = (UniqueConstraint("owner_ods", "case_reference"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)
    owner_ods: Mapped[str] = mapped_column(String(10), nullable=False)
    owner_name: Mapped[str] = mapped_column(Text, nullable=False)
    office_hours_phone: Mapped[str] = mapped_column(String(40), nullable=False)
    out_of_hours_phone: Mapped[str] = mapped_column(String(40), nullable=False)
    case_reference: Mapped[str] = mapped_column(String(64), nullable=False)
    # The subject's current number; `uploaded_nhs_number` is what the LA sent, kept so a
    # read by the old number still finds the plan after a merge re-points it.
    nhs_number: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    uploaded_nhs_number: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    plan_type: Mapped[str] = mapped_column(String(20), nullable=False)
    abuse_category: Mapped[str | None] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    end_reason: Mapped[str | None] = mapped_column(String(30))
    # The day the plan stops being current because the child turns 18 (None for unborn plans).
    adult_on: Mapped[date | None] = mapped_column(Date)
    subject_state: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AccessEvent(Base):
    """One unscheduled read of one plan (CP-IS access history; the 25 latest are shown)."""

    __tablename__ = "cpis_access_event"
    __table_args__ = (Index("ix_cpis_access_event_flag_recorded", "flag_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    flag_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("cpis_flag.id"), nullable=False
    )
    owner_ods: Mapped[str] = mapped_column(String(10), nullable=False)
    nhs_number: Mapped[str] = mapped_column(String(10), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reader_client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    reader_ods: Mapped[str] = mapped_column(String(10), nullable=False)
    reader_org_name: Mapped[str] = mapped_column(Text, nullable=False)
    reader_role: Mapped[str] = mapped_column(String(30), nullable=False)
    user_id: Mapped[str | None] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(Text)
    job_title: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))


class NotificationWindow(Base):
    """When each LA was last told that an organisation looked at a child (one per window)."""

    __tablename__ = "cpis_notification_window"

    nhs_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    owner_ods: Mapped[str] = mapped_column(String(10), primary_key=True)
    reader_ods: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_notified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Subscription(Base):
    __tablename__ = "cpis_subscription"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)
    owner_ods: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    criteria: Mapped[str] = mapped_column(Text, nullable=False)
    endpoint: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[str | None] = mapped_column(String(60))
    headers: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    last_updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Notification(Base):
    """An event the owning LA must learn about; `id` is the idempotency key receivers see."""

    __tablename__ = "cpis_notification"
    __table_args__ = (Index("ix_cpis_notification_owner_seq", "owner_ods", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, unique=True)
    owner_ods: Mapped[str] = mapped_column(String(10), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    flag_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("cpis_flag.id")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    resource: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)


class Delivery(Base):
    """The outbox: one rest-hook delivery of one notification to one subscription."""

    __tablename__ = "cpis_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "subscription_id"),
        Index(
            "ix_cpis_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("cpis_notification.id"), nullable=False
    )
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("cpis_subscription.id"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    # A claim moves `next_attempt_at` one lease ahead and sets a fresh token: a worker
    # killed mid-delivery leaves the row due again once the lease runs out.
    lease_token: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
