"""Recording who did what to which child's record, and why.

How to use (in a service, with the request's session)::

    from app.audit.service import AuditAction, AuditOutcome, record

    await record(
        session, principal,
        action=AuditAction.READ, resource_type="Flag", resource_id=nhs_number,
        owner_ods=flag.owner_ods,   # the LA that owns the record, so it can read the event
        detail="unscheduled",       # short, no personal data beyond the NHS number
    )

The row is written in the same transaction as the action (appended just before
commit, so it lands with the action or not at all). For a refusal that must be
recorded even though the request fails (the request's session rolls back), use
`record_refusal(request.app.state.sessionmaker, principal, ...)`, which commits
on a short transaction of its own. `authenticate` already records refused
authorisations (missing scope, suspended client, missing end-user context).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

from app.audit import repository
from app.audit.chain import BrokenLink, Content, verify
from app.audit.repository import AuditPage, AuditQuery
from app.audit.writer import AuditWriter
from app.auth.principal import Principal
from app.db import autocommits, commit_needed, database_begun

_PENDING = "cci.audit.pending"
_WRITER = "cci.audit.writer"
_SAVEPOINTS = "cci.audit.savepoints"  # open savepoint -> rows queued before it began


async def get_audit_writer(request: Request) -> AuditWriter:
    """The application's writer (`AuditWriterDep`), for a route whose audit rows have no
    transaction to share: a Spine read, a flag search on `app.db.driver_connection`."""
    writer: AuditWriter = request.app.state.audit_writer
    return writer


AuditWriterDep = Annotated[AuditWriter, Depends(get_audit_writer)]


def session_info(writer: AuditWriter) -> dict[str, Any]:
    """`Session.info` for a sessionmaker whose sessions send rows that have no transaction
    to share (nothing else to commit) through `writer` instead of a session connection."""
    return {_WRITER: writer}


class AuditAction(StrEnum):
    """What was done; mapped to FHIR AuditEvent.action (C/R/U/D/E) and subtype."""

    CREATE = "create"
    READ = "read"
    SEARCH = "search"
    UPDATE = "update"
    DELETE = "delete"
    EXECUTE = "execute"  # an operation: $match, batch
    LOGIN = "login"  # an access token issued or refused


class AuditOutcome(StrEnum):
    """FHIR R4 AuditEventOutcome codes."""

    SUCCESS = "0"
    MINOR_FAILURE = "4"  # refused or invalid request (a 4xx)
    SERIOUS_FAILURE = "8"  # the action failed (a 5xx)
    MAJOR_FAILURE = "12"


# Fields that may carry what a caller sent (headers, search values).
_FREE_TEXT = (
    "end_user_id", "end_user_name", "end_user_role", "purpose_text", "resource_id", "detail",
)  # fmt: skip


def audit_row(
    principal: Principal | None,
    *,
    action: AuditAction,
    resource_type: str,
    resource_id: str | None = None,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    owner_ods: str | None = None,
    detail: str | None = None,
    client_id: str | None = None,
) -> Content:
    """The content of one audit row; `record` queues it, `recording` writes it while a
    response renders, a statement that carries its own audit row
    (`repository.riding_append`) takes it directly."""
    user = principal.end_user if principal else None
    purpose = principal.purpose if principal else None
    content: Content = {
        "recorded": datetime.now(UTC),
        "request_id": principal.request_id if principal else None,
        "client_id": principal.client_id if principal else client_id,
        "ods_code": principal.ods_code if principal else None,
        "organisation_name": principal.organisation_name if principal else None,
        "role": principal.role.value if principal else None,
        "end_user_id": user.id if user else None,
        "end_user_name": user.name if user else None,
        "end_user_role": user.role if user else None,
        "purpose_code": purpose.code.value if purpose else None,
        "purpose_text": purpose.justification if purpose else None,
        "action": action.value,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "owner_ods": owner_ods,
        "outcome": outcome.value,
        "detail": detail[:1000] if detail else None,
    }
    for name in _FREE_TEXT:
        value = content[name]
        if isinstance(value, str) and "\x00" in value:
            # PostgreSQL text cannot hold NUL; a refused row would fail the access with it.
            content[name] = value.replace("\x00", "\ufffd")
    return content


async def record(
    session: AsyncSession,
    principal: Principal | None,
    *,
    action: AuditAction,
    resource_type: str,
    resource_id: str | None = None,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    owner_ods: str | None = None,
    detail: str | None = None,
    client_id: str | None = None,
) -> None:
    """Queue an audit row on `session`; it is chained and inserted when the session commits.

    `principal` is None only for token requests from a client not yet identified
    (then pass `client_id`).
    """
    content = audit_row(
        principal,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        outcome=outcome,
        owner_ods=owner_ods,
        detail=detail,
        client_id=client_id,
    )
    queue(session, content)


@asynccontextmanager
async def recording(writer: AuditWriter, content: Content) -> AsyncIterator[None]:
    """Audit an access that writes nothing else (a read from the Spine) while the block
    works: the row (`audit_row`) is written by `writer`, a transaction of its own, and
    leaving the block waits until it is durable (raising if it failed), so nothing the
    block made may leave before its audit row."""
    written = asyncio.ensure_future(writer.append([content]))
    try:
        # One turn of the event loop sends the statement; the block's work then runs
        # while the database executes and syncs it.
        await asyncio.sleep(0)
        yield
    finally:
        await written


def queue(session: AsyncSession, content: Content) -> None:
    """Queue an audit row (`audit_row`) on `session`, to be appended when it commits."""
    session.sync_session.info.setdefault(_PENDING, []).append(content)
    commit_needed(session)


def _writer_if_alone(session: Session) -> AuditWriter | None:
    """The writer, when the session's rows have no transaction to share: nothing left to
    flush, and no statement run or each one autocommits. Then the one-statement append is
    a transaction of its own, sent by the writer without the ORM's overhead."""
    writer: AuditWriter | None = session.info.get(_WRITER)
    untouched = not (session.new or session.dirty or session.deleted)
    alone = not database_begun(session) or autocommits(session)
    return writer if untouched and alone else None


async def record_refusal(
    sessionmaker: async_sessionmaker[AsyncSession],
    principal: Principal | None,
    *,
    action: AuditAction,
    resource_type: str,
    resource_id: str | None = None,
    owner_ods: str | None = None,
    detail: str | None = None,
    client_id: str | None = None,
) -> None:
    """Record a refusal on a transaction of its own, so it survives the request's rollback."""
    async with sessionmaker() as session:
        await record(
            session,
            principal,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            outcome=AuditOutcome.MINOR_FAILURE,
            owner_ods=owner_ods,
            detail=detail,
            client_id=client_id,
        )
        await session.commit()


async def search(session: AsyncSession, principal: Principal, query: AuditQuery) -> AuditPage:
    """A page of the events this principal may read; the search itself is audited."""
    page = await repository.search(session, principal, query)
    await record(
        session,
        principal,
        action=AuditAction.SEARCH,
        resource_type="AuditEvent",
        resource_id=query.patient,
        detail=f"{page.total} events",
    )
    return page


async def verify_chain(session: AsyncSession) -> tuple[int, BrokenLink | None]:
    """(rows checked, first broken link). Run it in a REPEATABLE READ transaction."""
    head = await repository.chain_head(session)
    links = [link async for link in repository.iter_links(session)]
    return verify(links, head)


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint's release: its rows wait for the outermost commit, appended there in
        # one statement with the rest (a head moved per savepoint leaves a chain of row
        # versions that every later head lookup in the transaction walks).
        return
    pending: list[Content] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    writer = _writer_if_alone(session)
    if writer is not None:
        # before_commit runs inside AsyncSession's greenlet, so it may await.
        await_only(writer.append(pending))
    else:
        repository.append(session, pending)


@event.listens_for(Session, "after_transaction_end")
def _forget_savepoints(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SAVEPOINTS, None)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        queued = len(session.info.get(_PENDING, ()))
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = queued


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_SAVEPOINTS, None)
        return
    # Rows queued since the savepoint began were about work that has just been undone.
    queued = session.info.get(_SAVEPOINTS, {}).pop(previous_transaction, None)
    if queued is not None:
        del session.info.get(_PENDING, [])[queued:]
