"""The hot paths made cheap keep their guarantees: the one-statement audit append
chains concurrent multi-row commits in commit order; the one-statement read record
writes every access event and notifies each LA once per window under concurrency."""

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.models import AuditEventRow
from app.audit.service import AuditAction, record, verify_chain
from app.auth.principal import EndUser, OdsCode, Principal
from app.auth.scopes import AgencyRole
from app.cpis.models import (
    AccessEvent,
    Delivery,
    Flag,
    Notification,
    NotificationWindow,
    Subscription,
)
from app.cpis.profile import FlagStatus, PlanType
from app.cpis.reads import search_flags
from app.db import create_sessionmaker
from app.settings import Settings

PRINCIPAL = Principal(
    client_id="client-1",
    ods_code=OdsCode("A1B2C"),
    organisation_name='Zoë\'s Council \u2014 "quoted"',  # non-ASCII and escapes in the payload
    role=AgencyRole.SOCIAL_CARE,
    scopes=frozenset({"system/Flag.cruds"}),
    end_user=EndUser("u1", "Sam Taylor", "Social worker"),
)


async def test_concurrent_multi_row_appends_form_one_chain(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)

    async def commit_batches(writer: int) -> None:
        for batch in range(5):
            async with sessions() as session:
                for row in range(1 + (writer + batch) % 3):
                    await record(
                        session,
                        PRINCIPAL,
                        action=AuditAction.READ,
                        resource_type="Flag",
                        resource_id=f"90000000{writer:02d}",
                        detail=f"batch {batch} row {row}",
                    )
                await session.commit()

    await asyncio.gather(*(commit_batches(writer) for writer in range(10)))
    async with sessions() as session:
        checked, broken = await verify_chain(session)
        rows = (await session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq))).all()
    expected = sum(1 + (w + b) % 3 for w in range(10) for b in range(5))
    assert broken is None
    assert checked == len(rows) == expected
    assert [row.seq for row in rows] == list(range(1, expected + 1))
    # Rows of one commit are contiguous and in the order they were recorded.
    by_commit = [(row.resource_id, row.detail.split(" row ")[0]) for row in rows if row.detail]
    runs = [key for index, key in enumerate(by_commit) if index == 0 or by_commit[index - 1] != key]
    assert len(runs) == len(set(runs)) == 50
    assert rows[0].organisation_name == PRINCIPAL.organisation_name


LA_ONE, LA_TWO, READER = "LA001", "LA002", "RDR01"
CHILD, SURVIVOR = "9000000009", "9000000017"


def _plan(owner: str, reference: str, *, number: str = CHILD, uploaded: str = CHILD) -> Flag:
    now = datetime.now(UTC)
    return Flag(
        id=uuid.uuid4(), version_id=1, owner_ods=owner, owner_name=f"{owner} council",
        office_hours_phone="0300", out_of_hours_phone="0301", case_reference=reference,
        nhs_number=number, uploaded_nhs_number=uploaded,
        plan_type=PlanType.CHILD_PROTECTION_PLAN.value, abuse_category=None,
        period_start=date(2024, 1, 1), period_end=None, status=FlagStatus.ACTIVE.value,
        end_reason=None, adult_on=None, subject_state="active", created_at=now, last_updated=now,
    )  # fmt: skip


def _subscription(owner: str, *, end: datetime | None = None) -> Subscription:
    return Subscription(
        id=uuid.uuid4(), version_id=1, owner_ods=owner, client_id="c", status="active",
        reason="r", criteria="AuditEvent", endpoint="https://la.example/hook", payload=None,
        headers=[], end=end, error=None, last_updated=datetime.now(UTC),
    )  # fmt: skip


async def test_concurrent_unscheduled_reads_notify_each_la_once(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        # LA one: a plan on the number and one uploaded under it before a merge re-pointed it.
        session.add_all([_plan(LA_ONE, "A"), _plan(LA_ONE, "B", number=SURVIVOR)])
        session.add(_plan(LA_TWO, "C"))
        expired = datetime.now(UTC) - timedelta(days=1)
        session.add_all([_subscription(LA_ONE), _subscription(LA_ONE, end=expired)])
        await session.commit()
    reader = replace(PRINCIPAL, ods_code=OdsCode(READER), role=AgencyRole.HEALTH_UNSCHEDULED)
    settings = Settings(cpis_notification_window_hours=24)

    async def read() -> int:
        async with sessions() as session:
            found = await search_flags(
                session, reader, CHILD, declared_unscheduled=None, include_access=False,
                settings=settings, now=datetime.now(UTC),
            )  # fmt: skip
            await session.commit()
            return len(found.flags)

    assert await asyncio.gather(*(read() for _ in range(10))) == [3] * 10
    async with sessions() as session:
        notified = (await session.scalars(select(Notification))).all()
        accesses = (await session.scalars(select(AccessEvent))).all()
        deliveries = (await session.scalars(select(Delivery))).all()
        audited = (await session.scalars(select(AuditEventRow.owner_ods))).all()
        windows = (await session.scalars(select(NotificationWindow))).all()
    assert sorted(n.owner_ods for n in notified) == [LA_ONE, LA_TWO]
    assert len(accesses) == 30
    assert {(a.owner_ods, a.nhs_number, a.reader_ods) for a in accesses} == {
        (LA_ONE, CHILD, READER),
        (LA_ONE, SURVIVOR, READER),
        (LA_TWO, CHILD, READER),
    }
    [delivery] = deliveries  # LA one's active subscription only
    assert delivery.notification_id == next(n.id for n in notified if n.owner_ods == LA_ONE)
    assert sorted(str(owner) for owner in audited) == [LA_ONE] * 10 + [LA_TWO] * 10
    assert sorted(w.owner_ods for w in windows) == [LA_ONE, LA_TWO]
