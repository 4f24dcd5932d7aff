"""The transactional outbox: notifications, their rest-hook deliveries, and the claim protocol.

A notification and one `pending` delivery per active rest-hook subscription of the
owning LA are inserted in the transaction that caused them, so they exist if and
only if that transaction commits. Workers claim due deliveries with
`FOR UPDATE SKIP LOCKED` (two workers never claim the same row), pushing
`next_attempt_at` one lease ahead with a fresh token, and commit the claim before
sending: no transaction stays open across an HTTP call. A worker killed
mid-delivery loses nothing (the row is due again when the lease runs out); a
delivery marked `delivered` is never claimed again. Receivers see the
notification id as `Idempotency-Key` to drop a redelivery whose ack we never got.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.cpis.models import Delivery, Notification, Subscription


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the configured attempts; still in the pollable feed


def delivery_targets(
    notification_id: ColumnElement[uuid.UUID],
    owner_ods: ColumnElement[str],
    now: ColumnElement[datetime],
    *,
    source: FromClause | None = None,
) -> Select[uuid.UUID, uuid.UUID, str, datetime]:
    """One pending delivery per active, unexpired rest-hook subscription of the owning LA:
    the rows `insert(Delivery).from_select(DELIVERY_COLUMNS, ...)` takes. `source` is
    where `notification_id` comes from when it is a column (one row per notification)."""
    active = and_(
        Subscription.owner_ods == owner_ods,
        Subscription.status == "active",
        or_(Subscription.end.is_(None), Subscription.end > now),
    )
    rows = select(notification_id, Subscription.id, literal(DeliveryStatus.PENDING.value), now)
    if source is None:
        return rows.where(active)
    return rows.select_from(source.join(Subscription, active))


DELIVERY_COLUMNS = ["notification_id", "subscription_id", "status", "next_attempt_at"]


async def enqueue(
    session: AsyncSession,
    *,
    notification_id: uuid.UUID,
    owner_ods: str,
    kind: str,
    flag_id: uuid.UUID | None,
    resource: dict[str, Any],
    now: datetime,
) -> None:
    await session.execute(
        insert(Notification).values(
            id=notification_id,
            owner_ods=owner_ods,
            kind=kind,
            flag_id=flag_id,
            created_at=now,
            resource=resource,
        )
    )
    targets = delivery_targets(literal(notification_id), literal(owner_ods), literal(now))
    await session.execute(insert(Delivery).from_select(DELIVERY_COLUMNS, targets))


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: int
    token: uuid.UUID
    attempts: int
    notification_id: uuid.UUID
    resource: dict[str, Any]
    subscription_id: uuid.UUID
    endpoint: str
    headers: list[str]
    payload: str | None


_CLAIM = text(
    """
    WITH due AS (
        SELECT d.id FROM cpis_delivery d
        JOIN cpis_subscription s ON s.id = d.subscription_id AND s.status = 'active'
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at
        LIMIT :limit
        FOR UPDATE OF d SKIP LOCKED
    ), claimed AS (
        UPDATE cpis_delivery d
        SET attempts = d.attempts + 1, lease_token = :token,
            next_attempt_at = now() + make_interval(secs => :lease)
        FROM due WHERE d.id = due.id
        RETURNING d.id, d.attempts, d.notification_id, d.subscription_id
    )
    SELECT c.id, c.attempts, c.notification_id, n.resource, c.subscription_id,
           s.endpoint, s.headers, s.payload
    FROM claimed c
    JOIN cpis_notification n ON n.id = c.notification_id
    JOIN cpis_subscription s ON s.id = c.subscription_id
    ORDER BY c.id
    """
)


async def claim_due(session: AsyncSession, *, limit: int, lease_seconds: float) -> list[Claimed]:
    token = uuid.uuid4()
    rows = await session.execute(_CLAIM, {"limit": limit, "token": token, "lease": lease_seconds})
    return [
        Claimed(
            delivery_id=row[0],
            token=token,
            attempts=row[1],
            notification_id=row[2],
            resource=row[3],
            subscription_id=row[4],
            endpoint=row[5],
            headers=list(row[6] or []),
            payload=row[7],
        )
        for row in rows
    ]


async def mark_delivered(session: AsyncSession, claim: Claimed, status_code: int) -> bool:
    # Success is recorded whoever holds the lease now: the receiver has acknowledged it.
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == claim.delivery_id, Delivery.status == DeliveryStatus.PENDING)
        .values(
            status=DeliveryStatus.DELIVERED,
            delivered_at=func.now(),
            last_status_code=status_code,
            last_error=None,
        )
        .returning(Delivery.id)
    )
    return result.first() is not None


async def mark_failed(
    session: AsyncSession,
    claim: Claimed,
    *,
    status_code: int | None,
    error: str,
    retry_in_seconds: float | None,
) -> None:
    """Schedule the next attempt, or dead-letter it when `retry_in_seconds` is None."""
    values: dict[str, Any] = {"last_status_code": status_code, "last_error": error[:200]}
    if retry_in_seconds is None:
        values["status"] = DeliveryStatus.DEAD
    else:
        values["next_attempt_at"] = func.now() + func.make_interval(
            0, 0, 0, 0, 0, 0, retry_in_seconds
        )
    await session.execute(
        update(Delivery)
        .where(
            Delivery.id == claim.delivery_id,
            Delivery.lease_token == claim.token,
            Delivery.status == DeliveryStatus.PENDING,
        )
        .values(**values)
    )
    if retry_in_seconds is None:
        await session.execute(
            update(Subscription)
            .where(Subscription.id == claim.subscription_id)
            .values(error=f"Delivery dead-lettered after {claim.attempts} attempts: {error[:100]}")
        )


async def feed(
    session: AsyncSession, owner_ods: str, *, after: int, count: int
) -> list[Notification]:
    """The LA's notifications in order, for polling with a cursor (`after` = last seq seen)."""
    query = (
        select(Notification)
        .where(Notification.owner_ods == owner_ods, Notification.seq > after)
        .order_by(Notification.seq)
        .limit(count)
    )
    return list((await session.scalars(query)).all())
