"""The audit table in PostgreSQL: append-only, written with the action or not at all,
sound under concurrency, and tampering found by `cci audit verify`."""

import asyncio

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from app.audit.models import AuditEventRow
from app.audit.service import AuditAction, record, verify_chain
from app.auth.principal import EndUser, OdsCode, Principal
from app.auth.scopes import AgencyRole
from app.db import create_engine, create_sessionmaker
from app.settings import get_settings
from cci.main import app as cli
from tests.fixtures.auth import AuthHeaders

PRINCIPAL = Principal(
    client_id="client-1",
    ods_code=OdsCode("A1B2C"),
    organisation_name="Exampleshire Council",
    role=AgencyRole.SOCIAL_CARE,
    scopes=frozenset({"system/Flag.cruds"}),
    end_user=EndUser("u1", "Sam Taylor", "Social worker"),
    request_id="00000000-0000-4000-8000-000000000001",
)


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


async def append_events(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    for index in range(count):
        async with sessions() as session:
            await record(
                session,
                PRINCIPAL,
                action=AuditAction.READ,
                resource_type="Flag",
                resource_id=f"900000000{index % 10}",
                owner_ods="A1B2C",
            )
            await session.commit()


async def test_update_and_delete_are_refused(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await append_events(sessions, 2)
    for statement in (
        "UPDATE audit_events SET detail = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "DELETE FROM audit_chain_head",
    ):
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(text(statement))


async def test_concurrent_appends_form_one_chain(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await asyncio.gather(*(append_events(sessions, 3) for _ in range(8)))
    async with sessions() as session:
        checked, broken = await verify_chain(session)
        seqs = (await session.scalars(select(AuditEventRow.seq).order_by(AuditEventRow.seq))).all()
    assert broken is None
    assert checked == 24
    assert list(seqs) == list(range(1, 25))


async def test_rolled_back_action_leaves_no_row_but_refusals_stay(
    client: httpx.AsyncClient, auth_headers: AuthHeaders, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    assert (await client.get("/_test/failing/9000000009", headers=headers)).status_code == 400
    denied = await auth_headers(AgencyRole.EDUCATION, scopes=None)
    assert (await client.get("/_test/Subscription", headers=denied)).status_code == 403
    async with sessions() as session:
        rows = (await session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq))).all()
    # Two token issues, the refusal; the failed read rolled back with its request.
    assert [(row.action, row.outcome) for row in rows] == [
        ("login", "0"),
        ("login", "0"),
        ("execute", "4"),
    ]
    assert not [row for row in rows if row.resource_id == "9000000009"]


@pytest.fixture
async def chain(sessions: async_sessionmaker[AsyncSession]) -> int:
    await append_events(sessions, 6)
    return 6


TAMPERINGS = st.one_of(
    st.tuples(
        st.just("update"),
        st.integers(1, 6),
        st.sampled_from(["detail", "resource_id", "end_user_name", "purpose_code", "outcome"]),
    ),
    st.tuples(st.just("delete"), st.integers(1, 6), st.just("")),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tampering=TAMPERINGS)
async def test_superuser_tampering_is_detected(
    engine: AsyncEngine, chain: int, tampering: tuple[str, int, str]
) -> None:
    kind, seq, field = tampering
    async with engine.connect() as connection:
        transaction = await connection.begin()
        # As a superuser would: switch the trigger off, then edit the table directly.
        await connection.execute(
            text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        )
        if kind == "update":
            await connection.execute(
                # `field` comes from a fixed list of column names.
                text(f"UPDATE audit_events SET {field} = 'X' WHERE seq = :seq"),  # noqa: S608
                {"seq": seq},
            )
        else:
            await connection.execute(
                text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": seq}
            )
        session = AsyncSession(bind=connection)
        checked, broken = await verify_chain(session)
        await transaction.rollback()
    assert broken is not None
    assert broken.seq == seq
    assert checked == seq - 1


async def _append_then_tamper(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        await append_events(create_sessionmaker(engine), 3)
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER ALL"))
            await connection.execute(
                text("UPDATE audit_events SET resource_id = '9' WHERE seq = 2")
            )
            await connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER ALL"))
    finally:
        await engine.dispose()


def test_cli_verify_names_the_first_broken_link(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCI_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        intact = CliRunner().invoke(cli, ["audit", "verify"])
        assert intact.exit_code == 0, intact.output
        assert "audit chain intact: 0 rows" in intact.stdout
        asyncio.run(_append_then_tamper(database_url))
        broken = CliRunner().invoke(cli, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert broken.exit_code == 1
    assert "audit chain broken at row 2: content does not match its hash" in broken.output
