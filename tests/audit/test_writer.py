"""The audit writer: its connection string, and appends on its own connection, in groups."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit import writer as writer_module
from app.audit.chain import BrokenLink, Content
from app.audit.models import AuditEventRow
from app.audit.repository import APPEND_ONE, LARGE_APPEND, append_statement
from app.audit.service import AuditAction, audit_row, queue, verify_chain
from app.audit.writer import AuditWriter, WriterClosed, asyncpg_dsn
from app.auth.principal import EndUser, OdsCode, Principal
from app.auth.scopes import AgencyRole
from app.db import DriverStatement, create_sessionmaker

READER = Principal(
    client_id="client-1",
    ods_code=OdsCode("RDR01"),
    organisation_name="Reader Trust",
    role=AgencyRole.HEALTH_UNSCHEDULED,
    scopes=frozenset({"system/Patient.rs"}),
    end_user=EndUser("u1", "Sam Taylor", "Nurse"),
)


@pytest.mark.parametrize(
    ("url", "dsn"),
    [
        ("postgresql+asyncpg://u:p%40ss@db:5432/cci", "postgresql://u:p%40ss@db:5432/cci"),
        (
            "postgresql+asyncpg://u@db/cci?ssl=require",
            "postgresql://u@db/cci?sslmode=require",
        ),
        (
            "postgresql+asyncpg://postgres@/cci?host=/var/run/pg",
            "postgresql://postgres@/cci?host=%2Fvar%2Frun%2Fpg",
        ),
    ],
)
def test_the_dsn_keeps_credentials_and_speaks_asyncpg(url: str, dsn: str) -> None:
    assert asyncpg_dsn(url) == dsn


# The writer against the real database: grouping, isolation of a bad row, reconnection.


def _row(detail: str) -> Content:
    return audit_row(READER, action=AuditAction.READ, resource_type="Patient", detail=detail)


@pytest.fixture
async def writer(engine: AsyncEngine) -> AsyncIterator[AuditWriter]:
    opened = await AuditWriter.open(engine.url.render_as_string(hide_password=False))
    yield opened
    await opened.close()


async def _trail(engine: AsyncEngine) -> tuple[list[str | None], tuple[int, BrokenLink | None]]:
    async with create_sessionmaker(engine)() as session:
        details = (await session.scalars(select(AuditEventRow.detail).order_by("seq"))).all()
        return list(details), await verify_chain(session)


async def test_rows_waiting_together_share_one_statement(
    engine: AsyncEngine, writer: AuditWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[int] = []
    send = writer._send

    async def counted(rows: Sequence[Content]) -> None:
        statements.append(len(rows))
        await send(rows)

    monkeypatch.setattr(writer, "_send", counted)
    callers = [[_row(f"caller {c} row {r}") for r in range(1 + c % 3)] for c in range(40)]
    await asyncio.gather(*(writer.append(rows) for rows in callers))

    details, (checked, broken) = await _trail(engine)
    expected = [row["detail"] for rows in callers for row in rows]
    assert (checked, broken) == (len(expected), None)
    assert details == expected  # each caller's rows together, callers in arrival order
    assert sum(statements) == len(expected)
    assert len(statements) < len(callers) / 4


async def test_a_bad_row_fails_only_its_own_caller(
    engine: AsyncEngine, writer: AuditWriter
) -> None:
    bad = _row("bad") | {"recorded": "not a time"}
    outcomes = await asyncio.gather(
        writer.append([_row("first")]),  # all four queue before the first statement is sent
        writer.append([_row("before")]),
        writer.append([bad]),
        writer.append([_row("after")]),
        return_exceptions=True,
    )
    assert [o is None for o in outcomes] == [True, True, False, True]
    details, (checked, broken) = await _trail(engine)
    assert details == ["first", "before", "after"]
    assert (checked, broken) == (3, None)


async def test_a_lost_connection_is_replaced_without_failing_the_append(
    engine: AsyncEngine, writer: AuditWriter
) -> None:
    await writer.append([_row("before")])
    async with engine.connect() as connection:
        pid = await connection.scalar(
            text("SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query ~ :q"),
            {"q": "audit_chain_head"},
        )
        assert pid is not None
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await writer.append([_row("after")])
    details, (checked, broken) = await _trail(engine)
    assert details == ["before", "after"]
    assert (checked, broken) == (2, None)


async def test_an_unreachable_database_fails_the_append(engine: AsyncEngine) -> None:
    url = engine.url.set(database="cci_no_such_database").render_as_string(hide_password=False)
    unreachable = AuditWriter(asyncpg_dsn(url))
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        await unreachable.append([_row("lost")])
    await unreachable.close()


async def test_close_finishes_the_appends_already_asked_for(
    engine: AsyncEngine, writer: AuditWriter
) -> None:
    pending = [asyncio.ensure_future(writer.append([_row(f"row {n}")])) for n in range(5)]
    await asyncio.sleep(0)  # each has queued its rows
    await writer.close()
    await asyncio.gather(*pending)
    with pytest.raises(WriterClosed):
        await writer.append([_row("late")])
    details, _ = await _trail(engine)
    assert details == [f"row {n}" for n in range(5)]


def test_nul_characters_a_caller_sent_are_replaced_not_refused_by_the_database() -> None:
    row = audit_row(
        replace(READER, end_user=EndUser("u\x001", "Sam", "Nurse")),
        action=AuditAction.READ,
        resource_type="Patient",
        detail="path /Patient/\x00",
    )
    assert row["end_user_id"] == "u\ufffd1"
    assert row["detail"] == "path /Patient/\ufffd"


async def test_a_large_batch_is_chained_in_order_between_other_appends(
    engine: AsyncEngine, writer: AuditWriter
) -> None:
    # Past LARGE_APPEND rows the session computes the chain itself (see repository.append).
    rows = LARGE_APPEND * 2 + 7
    await writer.append([_row("before")])
    async with create_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))  # the rows share this transaction
        for index in range(rows):
            queue(session, _row(f"batch {index}"))
        await session.commit()
    await writer.append([_row("after")])
    details, (checked, broken) = await _trail(engine)
    assert details == ["before", *(f"batch {i}" for i in range(rows)), "after"]
    assert (checked, broken) == (rows + 2, None)


async def test_an_append_stuck_behind_the_chain_head_times_out_and_the_writer_recovers(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "APPEND_TIMEOUT_SECONDS", 0.5)
    stuck = await AuditWriter.open(engine.url.render_as_string(hide_password=False))
    try:
        async with engine.connect() as holder:
            await holder.execute(text("SELECT * FROM audit_chain_head FOR UPDATE"))
            with pytest.raises(asyncpg.QueryCanceledError):
                await stuck.append([_row("waited too long")])
            await holder.rollback()
        await stuck.append([_row("after")])
    finally:
        await stuck.close()
    details, (checked, broken) = await _trail(engine)
    assert details == ["after"]
    assert (checked, broken) == (1, None)


# Statements that carry their own audit row (`carry`): here the one-row append itself,
# which like every carrier returns the appended row's seq.

CARRIER = DriverStatement(APPEND_ONE)


def _run(content: Content) -> list[object]:
    _, params = append_statement([content])
    return CARRIER.args(params)


async def test_carried_runs_waiting_together_commit_in_one_round_trip(
    engine: AsyncEngine, writer: AuditWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_trips: list[int] = []
    pipelined = writer._pipelined

    async def counted(statement: DriverStatement, runs: Sequence[Sequence[object]]) -> object:
        round_trips.append(len(runs))
        return await pipelined(statement, runs)

    monkeypatch.setattr(writer, "_pipelined", counted)
    callers = [[_run(_row(f"carry {c} run {r}")) for r in range(1 + c % 2)] for c in range(12)]
    await asyncio.gather(*(writer.carry(CARRIER, runs) for runs in callers))

    details, (checked, broken) = await _trail(engine)
    assert (checked, broken) == (18, None)
    assert details == [f"carry {c} run {r}" for c in range(12) for r in range(1 + c % 2)]
    assert sum(round_trips) == 18
    assert len(round_trips) < 4  # the first goes alone; the others waited and went together


async def test_a_carry_lands_whole_or_not_at_all_and_fails_only_its_caller(
    engine: AsyncEngine, writer: AuditWriter
) -> None:
    bad = _row("bad") | {"recorded": "not a time"}
    outcomes = await asyncio.gather(
        writer.carry(CARRIER, [_run(_row("first"))]),
        writer.carry(CARRIER, [_run(_row("beside the bad run")), _run(bad)]),
        writer.carry(CARRIER, [_run(_row("after"))]),
        return_exceptions=True,
    )
    assert [o is None for o in outcomes] == [True, False, True]
    details, (checked, broken) = await _trail(engine)
    assert details == ["first", "after"]
    assert (checked, broken) == (2, None)


async def test_a_carried_run_whose_audit_row_did_not_land_fails_its_caller(
    writer: AuditWriter,
) -> None:
    nothing = DriverStatement(text("SELECT CAST(NULL AS bigint) WHERE :keep"))
    with pytest.raises(RuntimeError, match="not appended"):
        await writer.carry(nothing, [[True]])
    with pytest.raises(RuntimeError, match="not appended"):
        await writer.carry(nothing, [[False], [True]])  # no row at all from the first


async def test_plain_rows_and_carried_runs_waiting_together_all_land_each_kind_in_order(
    engine: AsyncEngine, writer: AuditWriter
) -> None:
    calls = []
    for n in range(10):
        if n % 3:
            calls.append(writer.append([_row(f"plain {n}")]))
        else:
            calls.append(writer.carry(CARRIER, [_run(_row(f"carried {n}"))]))
    await asyncio.gather(*calls)
    details, (checked, broken) = await _trail(engine)
    assert (checked, broken) == (10, None)
    plain = [d for d in details if d and d.startswith("plain")]
    carried = [d for d in details if d and d.startswith("carried")]
    assert plain == [f"plain {n}" for n in range(10) if n % 3]
    assert carried == [f"carried {n}" for n in range(10) if not n % 3]
