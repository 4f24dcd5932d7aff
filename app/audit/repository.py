"""All SQL of the audit trail: appending links under the chain-head lock, search, verify.

Appending is serialised by the row lock on `audit_chain_head` (taken by an
upsert, which in READ COMMITTED always sees the latest committed head), and the
lock is held only from the append to the commit: `service.record` queues rows
and they are appended in the session's `before_commit`.
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.audit.chain import CHAINED_FIELDS, GENESIS, Content, Head, Link, link_hash
from app.audit.models import AuditChainHead, AuditEventRow
from app.auth.principal import Principal
from app.auth.scopes import AgencyRole

HEAD_ID = 1
_ROW_COLUMNS = (*CHAINED_FIELDS, "prev_hash", "hash")

# Built once with bind parameters, so SQLAlchemy compiles them once (the hot path).
_LOCK_HEAD = (
    pg_insert(AuditChainHead)
    .values(id=HEAD_ID, last_seq=0, last_hash=GENESIS)
    .on_conflict_do_update(index_elements=["id"], set_={"id": AuditChainHead.id})
    .returning(AuditChainHead.last_seq, AuditChainHead.last_hash)
)
_EVENTS = cast(Table, AuditEventRow.__table__)
_HEAD = cast(Table, AuditChainHead.__table__)
_APPEND_ONE = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(last_seq=bindparam("seq"), last_hash=bindparam("hash"))
    .add_cte(
        insert(_EVENTS).values({name: bindparam(name) for name in _ROW_COLUMNS}).cte("appended")
    )
)


def append(session: Session, contents: Sequence[Content]) -> None:
    """Chain and insert `contents` (without `seq`): the head lock, then one statement a row
    that inserts it and moves the head together."""
    last_seq, prev = session.execute(_LOCK_HEAD).one()
    for content in contents:
        last_seq += 1
        row: dict[str, Any] = {**content, "seq": last_seq, "prev_hash": prev}
        row["hash"] = prev = link_hash(prev, row)
        session.execute(_APPEND_ONE, row)


def readable_by(principal: Principal) -> ColumnElement[bool]:
    """Admin reads every event; social care reads events about its own organisation's
    records (`owner_ods`, set by whoever audits access to a flag); nobody else reads any."""
    if principal.role is AgencyRole.ADMIN:
        return true()
    if principal.role is AgencyRole.SOCIAL_CARE:
        return AuditEventRow.owner_ods == principal.ods_code
    return false()


@dataclass(frozen=True, slots=True)
class AuditQuery:
    patient: str | None = None
    dates: tuple[tuple[str, datetime], ...] = ()  # (comparison prefix, instant)
    agent: str | None = None
    agent_type: str | None = None  # Device (client), Organization (ODS), Practitioner
    count: int = 50
    before_seq: int | None = None  # keyset paging, newest first


_COMPARE = {
    "eq": lambda col, v: col == v,
    "gt": lambda col, v: col > v,
    "lt": lambda col, v: col < v,
    "ge": lambda col, v: col >= v,
    "le": lambda col, v: col <= v,
    "sa": lambda col, v: col > v,
    "eb": lambda col, v: col < v,
}


def _filtered(principal: Principal, query: AuditQuery) -> Select[AuditEventRow]:
    stmt = select(AuditEventRow).where(readable_by(principal))
    if query.patient is not None:
        stmt = stmt.where(AuditEventRow.resource_id == query.patient)
    for prefix, instant in query.dates:
        stmt = stmt.where(_COMPARE[prefix](AuditEventRow.recorded, instant))
    if query.agent is not None:
        by_type = {
            "Device": [AuditEventRow.client_id == query.agent],
            "Organization": [AuditEventRow.ods_code == query.agent],
            "Practitioner": [AuditEventRow.end_user_id == query.agent],
        }
        if query.agent_type is not None:
            stmt = stmt.where(*by_type.get(query.agent_type, [false()]))
        else:
            stmt = stmt.where(or_(*(c for cs in by_type.values() for c in cs)))
    return stmt


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditEventRow]
    total: int  # matches across all pages
    more: bool


async def search(session: AsyncSession, principal: Principal, query: AuditQuery) -> AuditPage:
    """One page, newest first; one row beyond the page tells whether another follows."""
    base = _filtered(principal, query)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    page = base.order_by(AuditEventRow.seq.desc()).limit(query.count + 1)
    if query.before_seq is not None:
        page = page.where(AuditEventRow.seq < query.before_seq)
    rows = list((await session.scalars(page)).all())
    return AuditPage(rows[: query.count], int(total or 0), more=len(rows) > query.count)


async def iter_links(session: AsyncSession, batch: int = 1000) -> AsyncIterator[Link]:
    """Every link in `seq` order, read in keyset batches to bound memory."""
    after = 0
    while True:
        stmt = (
            select(AuditEventRow)
            .where(AuditEventRow.seq > after)
            .order_by(AuditEventRow.seq)
            .limit(batch)
        )
        rows = (await session.scalars(stmt)).all()
        if not rows:
            return
        for row in rows:
            content = {name: getattr(row, name) for name in CHAINED_FIELDS}
            yield Link(row.seq, content, row.prev_hash, row.hash)
        after = rows[-1].seq


async def chain_head(session: AsyncSession) -> Head | None:
    row = await session.get(AuditChainHead, HEAD_ID)
    return None if row is None else Head(row.last_seq, row.last_hash)
