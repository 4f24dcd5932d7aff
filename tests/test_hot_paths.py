"""The hot paths made cheap keep their guarantees: the one-statement audit append
chains concurrent multi-row commits in commit order; the one-statement read record
writes every access event and notifies each LA once per window under concurrency;
an audit-only commit goes through the asyncpg writer but never splits from unflushed
work; a cached
access token is still refused once expired, or once its client is suspended and the
status cache window has passed."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI
from joserfc import jwt
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.chain import Content
from app.audit.models import AuditEventRow
from app.audit.service import (
    AuditAction,
    audit_row,
    record,
    recording,
    session_info,
    verify_chain,
)
from app.audit.writer import AuditWriter, asyncpg_dsn
from app.auth import clients
from app.auth import state as auth_state
from app.auth.models import ClientStatus
from app.auth.principal import EndUser, OdsCode, Principal
from app.auth.scopes import AgencyRole
from app.auth.tokens import (
    ACCESS_TOKEN_ALG,
    ACCESS_TOKEN_TYPE,
    InvalidAccessToken,
    SigningKeys,
    generate_signing_key,
    verify_access_token,
)
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
from app.cpis.repository import find_for_subject, get_owned
from app.db import create_sessionmaker, driver_connection
from app.settings import Settings
from tests.fixtures.auth import RegisterClient, end_user_headers, fetch_token

PRINCIPAL = Principal(
    client_id="client-1",
    ods_code=OdsCode("A1B2C"),
    organisation_name='Zoë\'s Council \u2014 "quoted"',  # non-ASCII and escapes in the payload
    role=AgencyRole.SOCIAL_CARE,
    scopes=frozenset({"system/Flag.cruds"}),
    end_user=EndUser("u1", "Sam Taylor", "Social worker"),
)


@pytest.fixture
async def audit_writer(engine: AsyncEngine) -> AsyncIterator[AuditWriter]:
    writer = await AuditWriter.open(engine.url.render_as_string(hide_password=False))
    yield writer
    await writer.close()


async def test_concurrent_multi_row_appends_form_one_chain(
    engine: AsyncEngine, audit_writer: AuditWriter
) -> None:
    sessions = create_sessionmaker(engine, info=session_info(audit_writer))

    async def commit_batches(writer: int) -> None:
        for batch in range(5):
            async with sessions() as session:
                if writer % 2:  # in a transaction of its own work; else alone, via the writer
                    await session.execute(text("SELECT 1"))
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


@pytest.mark.parametrize("with_writer", [True, False], ids=["writer", "session"])
async def test_an_audit_only_commit_lands_and_unflushed_work_still_shares_its_fate(
    engine: AsyncEngine, audit_writer: AuditWriter, with_writer: bool
) -> None:
    info = session_info(audit_writer) if with_writer else None
    sessions = create_sessionmaker(engine, info=info)
    async with sessions() as session:  # nothing but the audit row: it commits on its own
        await record(session, PRINCIPAL, action=AuditAction.READ, resource_type="Flag")
        await session.commit()
    async with sessions() as session:  # a pending object is flushed after the append
        session.add(_plan("X" * 20, "too-long-owner"))  # fails at flush: varchar(10)
        await record(session, PRINCIPAL, action=AuditAction.CREATE, resource_type="Flag")
        with pytest.raises(DBAPIError):
            await session.commit()
    async with sessions() as session:
        actions = (await session.scalars(select(AuditEventRow.action))).all()
        checked, broken = await verify_chain(session)
    assert list(actions) == [AuditAction.READ.value]
    assert (checked, broken) == (1, None)


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


async def test_concurrent_unscheduled_reads_notify_each_la_once(
    engine: AsyncEngine, audit_writer: AuditWriter
) -> None:
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
        async with driver_connection(engine) as connection:
            found = await search_flags(
                connection, audit_writer, reader, CHILD, declared_unscheduled=None,
                include_access=False, settings=settings, now=datetime.now(UTC),
            )  # fmt: skip
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


async def test_a_read_of_two_las_plans_records_for_both_or_for_neither(
    engine: AsyncEngine, audit_writer: AuditWriter
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        session.add_all([_plan(LA_ONE, "A"), _plan(LA_TWO, "C")])
        await session.commit()
    reader = replace(PRINCIPAL, ods_code=OdsCode(READER), role=AgencyRole.HEALTH_UNSCHEDULED)
    # Whichever LA's record goes second is refused, once the first one's is in.
    refuse_second_la = """
        CREATE FUNCTION refuse_second_la() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM cpis_access_event e WHERE e.recorded_at = NEW.recorded_at
                       AND e.owner_ods <> NEW.owner_ods) THEN
                RAISE EXCEPTION 'refused';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_second_la BEFORE INSERT ON cpis_access_event
            FOR EACH ROW EXECUTE FUNCTION refuse_second_la();
    """
    async with driver_connection(engine) as connection:
        await connection.execute(refuse_second_la)
        try:
            with pytest.raises(asyncpg.RaiseError, match="refused"):
                await search_flags(
                    connection, audit_writer, reader, CHILD, declared_unscheduled=None,
                    include_access=False, settings=Settings(), now=datetime.now(UTC),
                )  # fmt: skip
        finally:
            await connection.execute(
                "DROP TRIGGER refuse_second_la ON cpis_access_event;"
                " DROP FUNCTION refuse_second_la()"
            )
    async with sessions() as session:
        for model in (AccessEvent, Notification, NotificationWindow, AuditEventRow):
            assert (await session.scalar(select(func.count()).select_from(model))) == 0, model


ISSUER = "http://gateway.test"


def _access_token(keys: SigningKeys, expires_at: int) -> str:
    claims = {
        "iss": ISSUER, "aud": ISSUER, "exp": expires_at, "iat": expires_at - 600,
        "client_id": "client-1", "ods": "RDR01", "role": AgencyRole.HEALTH_UNSCHEDULED.value,
        "scope": "system/Flag.rs",
    }  # fmt: skip
    header = {"alg": ACCESS_TOKEN_ALG, "typ": ACCESS_TOKEN_TYPE, "kid": keys.active_kid}
    return jwt.encode(header, claims, keys.signing, algorithms=[ACCESS_TOKEN_ALG])


def test_a_verified_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = SigningKeys([generate_signing_key().as_dict(private=True)])
    now = int(time.time())
    token = _access_token(keys, expires_at=now + 60)
    claims = verify_access_token(token, keys, issuer=ISSUER, audience=ISSUER)
    assert keys.verified.get(token, ISSUER, ISSUER) == claims  # served from the cache now
    with pytest.raises(InvalidAccessToken):  # the cache is per issuer and audience
        verify_access_token(token, keys, issuer=ISSUER, audience="http://elsewhere.test")
    monkeypatch.setattr(time, "time", lambda: now + 60)
    with pytest.raises(InvalidAccessToken, match="expired"):
        verify_access_token(token, keys, issuer=ISSUER, audience=ISSUER)


def test_the_token_cache_is_bounded() -> None:
    keys = SigningKeys([generate_signing_key().as_dict(private=True)])
    keys.verified.size = 2
    tokens = [_access_token(keys, int(time.time()) + 60 + index) for index in range(3)]
    for token in tokens:
        verify_access_token(token, keys, issuer=ISSUER, audience=ISSUER)
    assert keys.verified.get(tokens[0], ISSUER, ISSUER) is None
    assert keys.verified.get(tokens[2], ISSUER, ISSUER) is not None


async def test_a_verified_token_of_a_suspended_client_is_refused_after_the_status_window(
    client: httpx.AsyncClient,
    register_client: RegisterClient,
    gateway_app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = await register_client(AgencyRole.HEALTH_UNSCHEDULED)
    headers = {"Authorization": f"Bearer {await fetch_token(client, reader)}"}
    headers |= end_user_headers()
    search = f"/Flag?patient={CHILD}"
    assert (await client.get(search, headers=headers)).status_code == 200
    async with gateway_app.state.sessionmaker() as session:
        await clients.set_status(session, reader.client_id, ClientStatus.SUSPENDED)
        await session.commit()
    # The documented window: client_status_cache_seconds (settings), here moved past.
    ttl = gateway_app.state.auth.statuses.ttl
    later = SimpleNamespace(monotonic=lambda: time.monotonic() + ttl)
    monkeypatch.setattr(auth_state, "time", later)
    assert (await client.get(search, headers=headers)).status_code == 403


def _patient_read() -> Content:
    return audit_row(PRINCIPAL, action=AuditAction.READ, resource_type="Patient")


async def test_a_row_recorded_meanwhile_is_durable_when_the_block_ends(
    engine: AsyncEngine, audit_writer: AuditWriter
) -> None:
    async with recording(audit_writer, _patient_read()):
        pass
    async with create_sessionmaker(engine)() as other:
        assert (await other.scalars(select(AuditEventRow.action))).all() == ["read"]


async def test_a_failed_write_meanwhile_fails_the_block(engine: AsyncEngine) -> None:
    missing = engine.url.set(database="cci_no_such_database")
    failing = AuditWriter(asyncpg_dsn(missing.render_as_string(hide_password=False)))
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        async with recording(failing, _patient_read()):
            pass


async def test_savepoint_rows_wait_for_the_outer_commit_and_vanish_with_a_rollback(
    engine: AsyncEngine,
) -> None:
    sessions = create_sessionmaker(engine)

    async def queued_in_savepoint(session: AsyncSession, detail: str, *, undo: bool) -> None:
        async with session.begin_nested():
            await record(
                session, PRINCIPAL, action=AuditAction.READ, resource_type="Flag", detail=detail
            )
            if undo:
                raise RuntimeError(f"undo {detail}")

    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        await record(session, PRINCIPAL, action=AuditAction.READ, resource_type="Flag", detail="a")
        with pytest.raises(RuntimeError):
            await queued_in_savepoint(session, "b", undo=True)
        await queued_in_savepoint(session, "c", undo=False)
        # Released, yet nothing appended: the rows wait for the one append at commit.
        assert await session.scalar(select(func.count()).select_from(AuditEventRow)) == 0
        await session.commit()
    async with sessions() as session:
        details = (await session.scalars(select(AuditEventRow.detail))).all()
        checked, broken = await verify_chain(session)
    assert list(details) == ["a", "c"]
    assert (checked, broken) == (2, None)


async def test_plans_read_on_the_driver_connection_hold_plain_uuids(engine: AsyncEngine) -> None:
    # asyncpg decodes uuid to a type of its own, which orjson refuses: loaded() converts.
    plan = _plan(LA_ONE, "A")
    async with create_sessionmaker(engine)() as session:
        session.add(plan)
        await session.commit()
    reader = replace(PRINCIPAL, ods_code=OdsCode(READER), role=AgencyRole.HEALTH_UNSCHEDULED)
    async with driver_connection(engine) as connection:
        [found] = await find_for_subject(connection, CHILD, reader, date.today())
    assert type(found.id) is uuid.UUID
    assert found.id == plan.id
    assert orjson.loads(orjson.dumps({"id": found.id})) == {"id": str(plan.id)}


async def test_an_unscheduled_read_is_not_held_up_by_an_update_in_progress(
    engine: AsyncEngine, audit_writer: AuditWriter
) -> None:
    sessions = create_sessionmaker(engine)
    plan = _plan(LA_ONE, "A")
    async with sessions() as session:
        session.add(plan)
        await session.commit()
    reader = replace(PRINCIPAL, ods_code=OdsCode(READER), role=AgencyRole.HEALTH_UNSCHEDULED)
    async with sessions() as updating:
        # An LA's update holds its plan, e.g. while it waits for the Spine's verification.
        assert await get_owned(updating, plan.id, LA_ONE, for_update=True) is not None
        async with driver_connection(engine) as reading:
            read = search_flags(
                reading, audit_writer, reader, CHILD, declared_unscheduled=None,
                include_access=False, settings=Settings(), now=datetime.now(UTC),
            )  # fmt: skip
            found = await asyncio.wait_for(read, timeout=3)
        await updating.rollback()
    assert [flag.id for flag in found.flags] == [plan.id]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AccessEvent)) == 1
