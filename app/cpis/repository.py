"""All SQL for flags and access events, filtered by the caller (`readable_by`).

What each role may see is decided here once:
- care settings (health) and police: current plans only;
- social care: current plans of any LA (a child may move between LAs) and every
  plan of its own, whatever its status;
- anyone else: nothing.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import asyncpg
import orjson
from sqlalchemy import (
    ARRAY,
    CTE,
    ColumnElement,
    Date,
    DateTime,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository as audit_repository
from app.audit.chain import Content
from app.auth.principal import Principal
from app.auth.scopes import AgencyRole
from app.cpis import outbox
from app.cpis.models import (
    AccessEvent,
    Delivery,
    Flag,
    Notification,
    NotificationWindow,
    Subscription,
)
from app.cpis.profile import FlagStatus, NotificationKind
from app.db import Base, DriverStatement, loaded

ACCESS_HISTORY_SIZE = 25  # CP-IS shows the 25 most recent accesses (facts B2)
READER_ROLES = frozenset(
    {AgencyRole.HEALTH_UNSCHEDULED, AgencyRole.HEALTH_SCHEDULED, AgencyRole.POLICE}
)
# Who may see the access history (names of the clinicians who looked): the care
# settings themselves, as in CP-IS, and the owning LA. Police and other LAs may not.
ACCESS_HISTORY_ROLES = frozenset({AgencyRole.HEALTH_UNSCHEDULED, AgencyRole.HEALTH_SCHEDULED})


def current(today: date | ColumnElement[date]) -> ColumnElement[bool]:
    """Active, not past its end date, and the child not yet 18 (see `rules.is_current`)."""
    return and_(
        Flag.status == FlagStatus.ACTIVE.value,
        or_(Flag.period_end.is_(None), Flag.period_end >= today),
        or_(Flag.adult_on.is_(None), Flag.adult_on > today),
    )


_TODAY = bindparam("today", type_=Date())
_ODS = bindparam("ods", type_=String())
_NUMBER = bindparam("number", type_=String())


def readable_by(role: AgencyRole) -> ColumnElement[bool]:
    """What `role` may see, with `:today` (and for social care `:ods`) bound per query."""
    if role in READER_ROLES:
        return current(_TODAY)
    if role is AgencyRole.SOCIAL_CARE:
        return or_(Flag.owner_ods == _ODS, current(_TODAY))
    return false()


# Built and compiled once per role (the read hot path): only parameters change per request.
_FIND_FOR_SUBJECT = {
    role: DriverStatement(
        select(Flag)
        .where(
            or_(Flag.nhs_number == _NUMBER, Flag.uploaded_nhs_number == _NUMBER),
            readable_by(role),
        )
        .order_by(Flag.period_start.desc(), Flag.id)
    )
    for role in AgencyRole
}


def access_history_visible(principal: Principal, flag: Flag) -> bool:
    return principal.role in ACCESS_HISTORY_ROLES or (
        principal.role is AgencyRole.SOCIAL_CARE and flag.owner_ods == principal.ods_code
    )


async def find_for_subject(
    connection: asyncpg.Connection, number: str, principal: Principal, today: date
) -> list[Flag]:
    """Plans on this NHS number, or uploaded under it before a merge re-pointed them."""
    query = _FIND_FOR_SUBJECT[principal.role]
    parameters = {"number": number, "today": today, "ods": principal.ods_code}
    return loaded(Flag, await connection.fetch(query.sql, *query.args(parameters)))


_OWNED = select(Flag).where(Flag.id == bindparam("id"), Flag.owner_ods == _ODS)
_BY_CASE_REFERENCE = select(Flag).where(
    Flag.owner_ods == _ODS, Flag.case_reference == bindparam("case_reference")
)
# FOR NO KEY UPDATE: writes never change a plan's id, and this lock, unlike FOR UPDATE,
# lets a read's access events (whose foreign key takes FOR KEY SHARE on the plan) go on
# while an LA's update of that plan waits for the Spine.
_OWNED_LOCKED = _OWNED.with_for_update(key_share=True)
_BY_CASE_REFERENCE_LOCKED = _BY_CASE_REFERENCE.with_for_update(key_share=True)


async def get_owned(
    session: AsyncSession, flag_id: uuid.UUID, owner_ods: str, *, for_update: bool = False
) -> Flag | None:
    query = _OWNED_LOCKED if for_update else _OWNED
    return (await session.scalars(query, {"id": flag_id, "ods": owner_ods})).one_or_none()


async def get_by_case_reference(
    session: AsyncSession, owner_ods: str, case_reference: str, *, for_update: bool = False
) -> Flag | None:
    query = _BY_CASE_REFERENCE_LOCKED if for_update else _BY_CASE_REFERENCE
    parameters = {"ods": owner_ods, "case_reference": case_reference}
    return (await session.scalars(query, parameters)).one_or_none()


async def exists_elsewhere(session: AsyncSession, flag_id: uuid.UUID) -> bool:
    """Whether a flag with this id exists at all (to tell 403 from 404 for its owner only)."""
    return (await session.scalar(select(func.count()).where(Flag.id == flag_id))) == 1


def _latest_access_statement() -> Select[AccessEvent]:
    ids = bindparam("flag_ids", type_=ARRAY(UUID(as_uuid=True)))
    ranked = (
        select(
            AccessEvent.id,
            func.row_number()
            .over(partition_by=AccessEvent.flag_id, order_by=AccessEvent.recorded_at.desc())
            .label("rank"),
        )
        .where(AccessEvent.flag_id == any_(ids))
        .subquery()
    )
    return (
        select(AccessEvent)
        .join(ranked, ranked.c.id == AccessEvent.id)
        .where(ranked.c.rank <= ACCESS_HISTORY_SIZE)
        .order_by(AccessEvent.flag_id, AccessEvent.recorded_at.desc())
    )


_LATEST_ACCESS = DriverStatement(_latest_access_statement())


async def latest_access(
    connection: asyncpg.Connection, flag_ids: Sequence[uuid.UUID]
) -> list[AccessEvent]:
    """The most recent accesses per flag, newest first (at most ACCESS_HISTORY_SIZE each)."""
    if not flag_ids:
        return []
    rows = await connection.fetch(_LATEST_ACCESS.sql, *_LATEST_ACCESS.args({"flag_ids": flag_ids}))
    return loaded(AccessEvent, rows)


def _table(model: type[Base]) -> Table:
    # Core tables, not entities: an ORM-enabled INSERT would go through bulk persistence.
    return cast(Table, model.__table__)


def _flag_insert() -> CTE:
    table = _table(Flag)
    return (
        pg_insert(table)
        .values({column.name: bindparam(column.name, type_=column.type) for column in table.c})
        .on_conflict_do_nothing(index_elements=["owner_ods", "case_reference"])
        .returning(table.c.id)
        .cte("flag_inserted")
    )


_FlagInserts = tuple[Select[uuid.UUID | None], Select[uuid.UUID | None, int | None]]


def _insert_flag_statements() -> _FlagInserts:
    """A new plan alone, and a new plan with its audit row riding in the same statement;
    a plan already under the same case reference (a concurrent create) makes either
    insert, and audit, nothing."""
    inserted = _flag_insert()
    alone = select(select(inserted.c.id).scalar_subquery()).add_cte(inserted)
    audit = audit_repository.riding_append(
        after=("flag_inserted",), only_if="EXISTS (SELECT FROM flag_inserted)"
    )
    audited = select(
        select(inserted.c.id).scalar_subquery(), select(audit[-1].c.last_seq).scalar_subquery()
    ).add_cte(inserted, *audit)
    return alone, audited


_INSERT_FLAG, _INSERT_FLAG_AUDITED = _insert_flag_statements()


async def insert_flag(session: AsyncSession, flag: Flag, audit: Content | None = None) -> bool:
    """Insert `flag` (transient, every column set), with `audit` riding on the same
    statement if given; False when its case reference was taken meanwhile (then nothing
    was written). In a transaction of many writes pass no `audit` and queue the row:
    each riding append moves the chain head, and one transaction moving it thousands of
    times makes every later head lookup walk all those row versions."""
    values = {column.name: getattr(flag, column.key) for column in _table(Flag).c}
    if audit is None:
        return (await session.execute(_INSERT_FLAG, values)).scalar_one() is not None
    values |= audit_repository.riding_params(audit)
    flag_id, _ = (await session.execute(_INSERT_FLAG_AUDITED, values)).one()
    return flag_id is not None


def _unscheduled_read_statement() -> Select[int]:
    """Access events for one LA's plans, its notification-window claim, when the claim
    opens a window the notification and its deliveries, and the read's audit row: one
    statement, so one round trip and no transaction needed to keep them together.

    The claim is an upsert, so concurrent reads of the same child by the same
    organisation queue on the window row and only the first sees it closed; the
    notification is inserted from the claim's RETURNING, so at most once per window.
    """
    now = bindparam("now", type_=DateTime(timezone=True))
    owner = bindparam("owner_ods", type_=String())
    reader_ods = bindparam("reader_ods", type_=String())
    plans = (
        func.unnest(
            bindparam("flag_ids", type_=ARRAY(UUID(as_uuid=True))),
            bindparam("numbers", type_=ARRAY(String())),
        )
        .table_valued("flag_id", "nhs_number")
        .render_derived(name="plan")
    )
    reader = {name: bindparam(name, type_=String()) for name in _READER_COLUMNS}
    accessed = (
        insert(_table(AccessEvent))
        .from_select(
            ["flag_id", "nhs_number", "owner_ods", "recorded_at", "reader_ods", *reader],
            select(plans.c.flag_id, plans.c.nhs_number, owner, now, reader_ods, *reader.values()),
        )
        .returning(AccessEvent.flag_id)
    )
    claim = pg_insert(_table(NotificationWindow)).values(
        nhs_number=bindparam("child", type_=String()),
        owner_ods=owner,
        reader_ods=reader_ods,
        last_notified_at=now,
    )
    opened = claim.on_conflict_do_update(
        index_elements=["nhs_number", "owner_ods", "reader_ods"],
        set_={"last_notified_at": claim.excluded.last_notified_at},
        where=NotificationWindow.last_notified_at
        <= bindparam("window_opens_before", type_=DateTime(timezone=True)),
    ).returning(NotificationWindow.nhs_number)
    notification_id = bindparam("notification_id", type_=UUID(as_uuid=True))
    opened_cte = opened.cte("opened")
    notified = (
        insert(_table(Notification))
        .from_select(
            ["id", "owner_ods", "kind", "flag_id", "created_at", "resource"],
            select(
                notification_id,
                owner,
                literal(NotificationKind.ACCESS.value),
                bindparam("first_flag_id", type_=UUID(as_uuid=True)),
                now,
                bindparam("resource", type_=JSONB()),
            ).select_from(opened_cte),
        )
        .returning(Notification.id)
        .cte("notified")
    )
    targets = outbox.delivery_targets(notified.c.id, owner, now, source=notified)
    delivered = (
        insert(_table(Delivery))
        .from_select(outbox.DELIVERY_COLUMNS, targets)
        .returning(Delivery.id)
        .cte("delivered")
    )
    # The read's audit row rides on the same statement: it lands with what it records.
    audit = audit_repository.riding_append(after=("accessed", "delivered"))
    return select(audit[-1].c.last_seq).add_cte(
        accessed.cte("accessed"), opened_cte, delivered, *audit
    )


_READER_COLUMNS = (
    "reader_client_id",
    "reader_org_name",
    "reader_role",
    "user_id",
    "user_name",
    "job_title",
    "request_id",
)
# Sent by the audit writer on its asyncpg connection (`AuditWriter.carry`), not through
# SQLAlchemy, whose per-execution work on this large statement (cache key, ~40 binds)
# took more CPU than every other part of the read.
UNSCHEDULED_READ = DriverStatement(_unscheduled_read_statement())


@dataclass(frozen=True, slots=True)
class UnscheduledRead:
    """One LA's plans returned by an unscheduled read, and what its window claim inserts."""

    flags: Sequence[Flag]
    child: str  # the NHS number the notification window is kept for
    notification_id: uuid.UUID
    notification: dict[str, Any]


def unscheduled_read_run(
    principal: Principal,
    read: UnscheduledRead,
    *,
    now: datetime,
    window: timedelta,
    audit: Content,
) -> list[Any]:
    """The arguments of `UNSCHEDULED_READ` recording `read`: its access events, the
    notification unless the window is still closed, and `audit` riding with them."""
    user = principal.end_user
    parameters = {
        "flag_ids": [flag.id for flag in read.flags],
        "numbers": [flag.nhs_number for flag in read.flags],
        "owner_ods": read.flags[0].owner_ods,
        "now": now,
        "reader_ods": principal.ods_code,
        "reader_client_id": principal.client_id,
        "reader_org_name": principal.organisation_name,
        "reader_role": principal.role.value,
        "user_id": user.id if user else None,
        "user_name": user.name if user else None,
        "job_title": user.role if user else None,
        "request_id": principal.request_id,
        "child": read.child,
        "window_opens_before": now - window,
        "notification_id": read.notification_id,
        "first_flag_id": read.flags[0].id,
        "resource": orjson.dumps(read.notification).decode(),
    }
    parameters |= audit_repository.riding_params(audit)
    return UNSCHEDULED_READ.args(parameters)


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
        query = query.with_for_update(skip_locked=True, key_share=True)
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
        .with_for_update(skip_locked=True, key_share=True)
    )
    return (await session.scalars(query)).all()


async def owned_subscription(
    session: AsyncSession, subscription_id: uuid.UUID, owner_ods: str, *, for_update: bool = False
) -> Subscription | None:
    query = select(Subscription).where(
        Subscription.id == subscription_id, Subscription.owner_ods == owner_ods
    )
    if for_update:
        query = query.with_for_update(key_share=True)  # deliveries' keys may still share it
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
