"""All SQL of the audit trail: appending links under the chain-head lock, search, verify.

Appending is serialised by the row lock on `audit_chain_head` (taken with FOR
UPDATE, which in READ COMMITTED returns the latest committed head), and the lock
is held only from the append to the commit: `service.record` queues rows and they
are appended, in one statement, in the session's `before_commit`; a statement that
must carry its own audit row (one round trip, no transaction) uses `riding_append`.
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    TextClause,
    column,
    false,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.audit.chain import CHAINED_FIELDS, Content, Head, Link, canonical, link_hash
from app.audit.models import AuditChainHead, AuditEventRow
from app.auth.principal import Principal
from app.auth.scopes import AgencyRole

HEAD_ID = 1
# Every chained field but `seq`, which the statement assigns under the head lock.
_CONTENT_FIELDS = CHAINED_FIELDS[1:]
if CHAINED_FIELDS[0] != "seq":
    raise RuntimeError("the chained payload must start with seq (see the append statements)")
_TYPES = {"recorded": "timestamptz"}  # every other content field is text
_COLUMNS = ", ".join(_CONTENT_FIELDS)
# The content fields as array parameters, one element per row, in `_COLUMNS` order.
_ARRAYS = ", ".join(f"CAST(:{name} AS {_TYPES.get(name, 'text')}[])" for name in _CONTENT_FIELDS)
# The hash PostgreSQL computes for the row after `prev`: SHA-256(prev hash || payload), the
# payload being the bytes `chain.link_hash` hashes: `[<seq>,` then the rest, which Python
# serialises (`_payload_after_seq`), so writer and verifier still share one definition.
_LINK_HASH = (
    "sha256({prev}.{hash} || convert_to('[' || ({prev}.{seq} + 1) || ',', 'UTF8') || {payload})"
)


# FOR UPDATE in READ COMMITTED waits for a concurrent append to commit and then returns
# its head, so hash-chain order is commit order. The head is created by migration 0005;
# without it the LEFT JOIN gives a NULL seq, which the primary key refuses: fail closed.
_HEAD = f"SELECT last_seq, last_hash FROM audit_chain_head WHERE id = {HEAD_ID} FOR UPDATE"  # noqa: S608


def _one_row_parts(prefix: str, head: str = _HEAD, only_if: str = "true") -> tuple[str, str, str]:
    """The (head, appended, moved) statements of a one-row append, as CTE bodies named
    `{prefix}head`, `{prefix}appended`; binds are `:{prefix}<field>` and `:{prefix}payload`."""
    values = ", ".join(
        f"CAST(:{prefix}{name} AS {_TYPES.get(name, 'text')})" for name in _CONTENT_FIELDS
    )
    link_hash = _LINK_HASH.format(
        prev="head", hash="last_hash", seq="last_seq", payload=f"CAST(:{prefix}payload AS bytea)"
    )
    appended = (
        f"INSERT INTO audit_events (seq, {_COLUMNS}, prev_hash, hash) "  # noqa: S608 - constants
        f"SELECT head.last_seq + 1, {values}, head.last_hash, {link_hash} "
        f"FROM (SELECT WHERE {only_if}) AS one LEFT JOIN {prefix}head AS head ON true "
        "RETURNING seq, hash"
    )
    moved = (
        "UPDATE audit_chain_head SET (last_seq, last_hash) = "  # noqa: S608 - constants
        f"(SELECT seq, hash FROM {prefix}appended) "
        f"WHERE id = {HEAD_ID} AND EXISTS (SELECT FROM {prefix}appended) RETURNING last_seq"
    )
    return head, appended, moved


def _append_one_statement() -> TextClause:
    """One row, one round trip: lock the head, insert the next link, move the head."""
    head, appended, moved = _one_row_parts("")
    return text(f"WITH head AS ({head}), appended AS ({appended}) {moved}")


_RIDING = "audit_"


def riding_append(*, after: Sequence[str], only_if: str = "true") -> list[CTE]:
    """A one-row append as data-modifying CTEs for another statement to carry (parameters:
    `riding_params`), so the row commits with that statement's writes in one round trip;
    select `last_seq` from the last CTE to see it landed. PostgreSQL runs data-modifying
    CTEs in no set order: the head lock waits until the carrier's CTEs named in `after`
    have run, so like every other append it is the statement's last lock (no deadlock
    with transactions that lock those rows and then append). `only_if`: an SQL condition
    on those CTEs; when false no row is appended (e.g. an insert that did nothing)."""
    # `after` and `only_if` come from our own statements, never from input.
    ran = " AND ".join(f"(SELECT count(*) FROM {name}) >= 0" for name in after)  # noqa: S608
    head = _HEAD.replace(" FOR UPDATE", f" AND {ran} FOR UPDATE") if after else _HEAD
    head, appended, moved = _one_row_parts(_RIDING, head, only_if)
    return [
        text(head).columns(column("last_seq"), column("last_hash")).cte(f"{_RIDING}head"),
        text(appended).columns(column("seq"), column("hash")).cte(f"{_RIDING}appended"),
        text(moved).columns(column("last_seq")).cte(f"{_RIDING}moved"),
    ]


def riding_params(content: Content) -> dict[str, Any]:
    params = {f"{_RIDING}{name}": content.get(name) for name in _CONTENT_FIELDS}
    params[f"{_RIDING}payload"] = _payload_after_seq(content)
    return params


def _append_many_statement() -> TextClause:
    """Several rows, one round trip: the same link, chained row after row (a recursive CTE).

    The recursion carries only the chain (position, seq, hashes) and takes each payload by
    position from one array; joining the unnested rows in the recursive step instead
    rescans them at every step, which took 23 s for 10,000 rows, all under the head lock.
    """
    picked = ", ".join(f"r.{name}" for name in _CONTENT_FIELDS)
    link_hash = _LINK_HASH.format(prev="c", hash="hash", seq="seq", payload="p.payloads[c.n + 1]")
    return text(
        f"""
        WITH RECURSIVE head AS ({_HEAD}), p AS (
            SELECT CAST(:payload AS bytea[]) AS payloads
        ), chain (n, seq, prev_hash, hash) AS (
            SELECT 0::bigint, head.last_seq, NULL::bytea, head.last_hash
            FROM (SELECT) AS one LEFT JOIN head ON true
            UNION ALL
            SELECT c.n + 1, c.seq + 1, c.hash, {link_hash}
            FROM chain c CROSS JOIN p WHERE c.n < cardinality(p.payloads)
        ), incoming AS (
            SELECT * FROM unnest({_ARRAYS}) WITH ORDINALITY AS r({_COLUMNS}, n)
        ), appended AS (
            INSERT INTO audit_events (seq, {_COLUMNS}, prev_hash, hash)
            SELECT c.seq, {picked}, c.prev_hash, c.hash FROM chain c JOIN incoming r USING (n)
            RETURNING seq, hash
        )
        UPDATE audit_chain_head
        SET (last_seq, last_hash) = (SELECT seq, hash FROM appended ORDER BY seq DESC LIMIT 1)
        WHERE id = {HEAD_ID}
        RETURNING last_seq
        """  # noqa: S608 - no input reaches the text
    )


APPEND_ONE = _append_one_statement()
APPEND_MANY = _append_many_statement()


def _payload_after_seq(content: Content) -> bytes:
    # orjson writes `[seq,rest...]` with no spaces: drop the "[" and prepend the seq in SQL.
    return orjson.dumps([canonical(content.get(name)) for name in _CONTENT_FIELDS])[1:]


def append_statement(contents: Sequence[Content]) -> tuple[TextClause, dict[str, Any]]:
    """The statement appending `contents` (without `seq`) and its parameters; it returns
    the new head's seq."""
    if len(contents) == 1:
        (content,) = contents
        params = {name: content.get(name) for name in _CONTENT_FIELDS}
        params["payload"] = _payload_after_seq(content)
        return APPEND_ONE, params
    params = {name: [content.get(name) for content in contents] for name in _CONTENT_FIELDS}
    params["payload"] = [_payload_after_seq(content) for content in contents]
    return APPEND_MANY, params


# Beyond this many rows the chain is computed here, not in SQL: the recursive statement
# seeks each payload from the start of its array, so its time grows with the square of
# the rows (0.45 s for 10,000, 1.4 s for 20,000), all of it under the head lock that every
# other append in the system waits on.
LARGE_APPEND = 500


def _insert_chained_statement() -> TextClause:
    """Rows whose seq and hashes are already computed, and the head moved past them."""
    return text(
        f"""
        WITH appended AS (
            INSERT INTO audit_events (seq, {_COLUMNS}, prev_hash, hash)
            SELECT * FROM unnest(
                CAST(:seq AS bigint[]), {_ARRAYS},
                CAST(:prev_hash AS bytea[]), CAST(:hash AS bytea[])
            )
            RETURNING seq
        )
        UPDATE audit_chain_head SET (last_seq, last_hash) = (:last_seq, :last_hash)
        WHERE id = {HEAD_ID} AND (SELECT count(*) FROM appended) = :rows
        RETURNING last_seq
        """  # noqa: S608 - no input reaches the text
    )


_LOCK_HEAD = text(_HEAD)
_INSERT_CHAINED = _insert_chained_statement()


def append(session: Session, contents: Sequence[Content]) -> None:
    """Chain and insert `contents` in the session's transaction under the head lock (held
    from here to the commit): one statement, or for a large batch the head read, the
    chain computed here (`chain.link_hash`, as `cci audit verify` checks it) and one insert."""
    if len(contents) <= LARGE_APPEND:
        statement, params = append_statement(contents)
        session.execute(statement, params).one()
        return
    head = session.execute(_LOCK_HEAD).one()  # no head: NoResultFound, the append fails
    seq, prev = head.last_seq, head.last_hash
    columns: dict[str, list[Any]] = {name: [] for name in (*CHAINED_FIELDS, "prev_hash", "hash")}
    for content in contents:
        seq += 1
        link = {**content, "seq": seq}
        digest = link_hash(prev, link)
        for name in CHAINED_FIELDS:
            columns[name].append(link.get(name))
        columns["prev_hash"].append(prev)
        columns["hash"].append(digest)
        prev = digest
    moved = {"last_seq": seq, "last_hash": prev, "rows": len(contents)}
    session.execute(_INSERT_CHAINED, {**columns, **moved}).one()


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
