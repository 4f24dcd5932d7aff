"""The hot paths made cheap keep their guarantees: the one-statement audit append
chains concurrent multi-row commits in commit order."""

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.models import AuditEventRow
from app.audit.service import AuditAction, record, verify_chain
from app.auth.principal import EndUser, OdsCode, Principal
from app.auth.scopes import AgencyRole
from app.db import create_sessionmaker

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
