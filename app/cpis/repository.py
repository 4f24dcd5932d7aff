"""All SQL for flags and access events, filtered by the caller (`readable_by`).

What each role may see is decided here once:
- care settings (health) and police: current plans only;
- social care: current plans of any LA (a child may move between LAs) and every
  plan of its own, whatever its status;
- anyone else: nothing.
"""

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scopes import AgencyRole
from app.cpis.models import AccessEvent, Delivery, Flag, NotificationWindow, Subscription
from app.cpis.profile import FlagStatus

ACCESS_HISTORY_SIZE = 25  # CP-IS shows the 25 most recent accesses (facts B2)
READER_ROLES = frozenset(
    {AgencyRole.HEALTH_UNSCHEDULED, AgencyRole.HEALTH_SCHEDULED, AgencyRole.POLICE}
)
# Who may see the access history (names of the clinicians who looked): the care
# settings themselves, as in CP-IS, and the owning LA. Police and other LAs may not.
ACCESS_HISTORY_ROLES = frozenset({AgencyRole.HEALTH_UNSCHEDULED, AgencyRole.HEALTH_SCHEDULED})


def current(today: date) -> ColumnElement[bool]:
    """Active, not past its end date, and the child not yet 18 (see `rules.is_current`)."""
    return and_(
        Flag.status == FlagStatus.ACTIVE.value,
        or_(Flag.period_end.is_(None), Flag.period_end >= today),
        or_(Flag.adult_on.is_(None), Flag.adult_on > today),
    )


def readable_by(principal: Principal, today: date) -> ColumnElement[bool]:
    if principal.role in READER_ROLES:
        return current(today)
    if principal.role is AgencyRole.SOCIAL_CARE:
        return or_(Flag.owner_ods == principal.ods_code, current(today))
    return false()


def access_history_visible(principal: Principal, flag: Flag) -> bool:
    return principal.role in ACCESS_HISTORY_ROLES or (
        principal.role is AgencyRole.SOCIAL_CARE and flag.owner_ods == principal.ods_code
    )


async def find_for_subject(
    session: AsyncSession, number: str, principal: Principal, today: date
) -> Sequence[Flag]:
    """Plans on this NHS number, or uploaded under it before a merge re-pointed them."""
    query = (
        select(Flag)
        .where(
            or_(Flag.nhs_number == number, Flag.uploaded_nhs_number == number),
            readable_by(principal, today),
        )
        .order_by(Flag.period_start.desc(), Flag.id)
    )
    return (await session.scalars(query)).all()


async def get_owned(
    session: AsyncSession, flag_id: uuid.UUID, owner_ods: str, *, for_update: bool = False
) -> Flag | None:
    query = select(Flag).where(Flag.id == flag_id, Flag.owner_ods == owner_ods)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def get_by_case_reference(
    session: AsyncSession, owner_ods: str, case_reference: str, *, for_update: bool = False
) -> Flag | None:
    query = select(Flag).where(Flag.owner_ods == owner_ods, Flag.case_reference == case_reference)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def exists_elsewhere(session: AsyncSession, flag_id: uuid.UUID) -> bool:
    """Whether a flag with this id exists at all (to tell 403 from 404 for its owner only)."""
    return (await session.scalar(select(func.count()).where(Flag.id == flag_id))) == 1


async def insert_flag(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(Flag).values(values))


async def record_access(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(AccessEvent), rows)


async def latest_access(
    session: AsyncSession, flag_ids: Sequence[uuid.UUID]
) -> Sequence[AccessEvent]:
    """The most recent accesses per flag, newest first (at most ACCESS_HISTORY_SIZE each)."""
    if not flag_ids:
        return []
    ranked = (
        select(
            AccessEvent.id,
            func.row_number()
            .over(partition_by=AccessEvent.flag_id, order_by=AccessEvent.recorded_at.desc())
            .label("rank"),
        )
        .where(AccessEvent.flag_id.in_(flag_ids))
        .subquery()
    )
    query = (
        select(AccessEvent)
        .join(ranked, ranked.c.id == AccessEvent.id)
        .where(ranked.c.rank <= ACCESS_HISTORY_SIZE)
        .order_by(AccessEvent.flag_id, AccessEvent.recorded_at.desc())
    )
    return (await session.scalars(query)).all()


async def claim_notification_window(
    session: AsyncSession,
    *,
    nhs_number: str,
    owner_ods: str,
    reader_ods: str,
    now: datetime,
    window: timedelta,
) -> bool:
    """True when this read opens a new window (so notify); false inside an open one.

    One upsert: concurrent reads of the same child by the same organisation queue on
    the row, and only the first sees the window closed.
    """
    statement = (
        pg_insert(NotificationWindow)
        .values(
            nhs_number=nhs_number, owner_ods=owner_ods, reader_ods=reader_ods, last_notified_at=now
        )
        .on_conflict_do_update(
            index_elements=["nhs_number", "owner_ods", "reader_ods"],
            set_={"last_notified_at": now},
            where=NotificationWindow.last_notified_at <= now - window,
        )
        .returning(NotificationWindow.last_notified_at)
    )
    return (await session.execute(statement)).first() is not None


async def flags_to_recheck(
    session: AsyncSession,
    today: date,
    after: uuid.UUID | None,
    limit: int,
    *,
    for_update: bool = False,
) -> Sequence[Flag]:
    """Current plans in id order (keyset paging) for the scheduled Spine re-check."""
    query = select(Flag).where(current(today)).order_by(Flag.id).limit(limit)
    if after is not None:
        query = query.where(Flag.id > after)
    if for_update:
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def reaching_eighteen(session: AsyncSession, today: date) -> Sequence[Flag]:
    """Active plans whose child has turned 18, not yet ended; locked for the update."""
    query = (
        select(Flag)
        .where(
            Flag.status == FlagStatus.ACTIVE.value,
            Flag.adult_on.is_not(None),
            Flag.adult_on <= today,
        )
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def owned_subscription(
    session: AsyncSession, subscription_id: uuid.UUID, owner_ods: str, *, for_update: bool = False
) -> Subscription | None:
    query = select(Subscription).where(
        Subscription.id == subscription_id, Subscription.owner_ods == owner_ods
    )
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def subscriptions_of(session: AsyncSession, owner_ods: str) -> Sequence[Subscription]:
    query = (
        select(Subscription)
        .where(Subscription.owner_ods == owner_ods)
        .order_by(Subscription.last_updated.desc())
    )
    return (await session.scalars(query)).all()


async def delete_subscription(session: AsyncSession, subscription: Subscription) -> None:
    # Pending deliveries go with it: the LA asked us to stop calling that endpoint.
    await session.execute(delete(Delivery).where(Delivery.subscription_id == subscription.id))
    await session.delete(subscription)
