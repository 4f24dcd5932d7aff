"""`POST /` with a FHIR `batch` Bundle of flag writes: one result per entry, never all-or-nothing.

Each entry runs in its own savepoint, so a refused entry rolls back alone (FHIR R4
http.html#brules: batch entries are independent). Applied entries commit with their
audit rows every `commit_every` entries: a commit holds the audit chain head, which
every audited read waits for, so a 20,000-entry upload must not hold it for the
second its rows take at once. Should a commit fail, its entries and all not yet
applied are reported failed (503 when the database is unavailable); entries in
earlier commits stand. Spine verification, the slow part, is fetched up front with
bounded concurrency, one lookup per distinct NHS number. Supported entries:
`POST Flag`, `PUT Flag/{id}` (with `request.ifMatch`) and the conditional update
`PUT Flag?identifier=<case reference system>|<value>`.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cpis import service
from app.cpis.errors import Reason, reject
from app.cpis.parsing import FlagInput, parse_flag
from app.cpis.profile import CASE_REFERENCE_SYSTEM, FlagStatus
from app.cpis.service import WriteResult
from app.cpis.verification import SubjectLookup
from app.db import database_unavailable
from app.fhir.errors import FHIRError, InternalError, InvalidValue, ServiceUnavailable
from app.trace.spine_client import RetrieveResult

log = structlog.get_logger("app.cpis.batch")
Apply = Callable[[SubjectLookup], Awaitable[WriteResult]]


class Prefetched:
    """A SubjectLookup answering from lookups made up front (errors replayed per entry),
    falling back to the Spine for a number it was not asked to prepare."""

    def __init__(
        self, results: dict[str, RetrieveResult | FHIRError], fallback: SubjectLookup
    ) -> None:
        self._results = results
        self._fallback = fallback

    async def retrieve(self, number: str, *, deadline: float | None = None) -> RetrieveResult:
        result = self._results.get(number)
        if result is None:
            return await self._fallback.retrieve(number, deadline=deadline)
        if isinstance(result, FHIRError):
            raise result
        return result


@dataclass(slots=True)
class _Entry:
    data: FlagInput | None = None
    apply: Apply | None = None
    error: FHIRError | None = None
    needs_lookup: bool = True


def _status(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


def _parse_entry(raw: Any, session: AsyncSession, principal: Principal, now: datetime) -> _Entry:
    request = raw.get("request") if isinstance(raw, dict) else None
    if not isinstance(request, dict):
        return _Entry(error=InvalidValue("Each entry needs a request (method and url)"))
    method, url = request.get("method"), str(request.get("url") or "").lstrip("/")
    try:
        data = parse_flag(raw.get("resource"))
    except FHIRError as exc:
        return _Entry(error=exc)
    if method == "POST" and url == "Flag":

        async def create(spine: SubjectLookup) -> WriteResult:
            return await service.create(session, principal, data, spine, now)

        return _Entry(data, create)
    prefix = f"Flag?identifier={CASE_REFERENCE_SYSTEM}|"
    path, _, query = url.partition("?")
    # A conforming client percent-encodes the search value (`%7C` for `|`).
    identifier = parse_qs(query).get("identifier", [""])[0]
    if method == "PUT" and path == "Flag" and identifier.startswith(f"{CASE_REFERENCE_SYSTEM}|"):
        if identifier.partition("|")[2] != data.case_reference:
            return _Entry(error=InvalidValue("The URL's case reference differs from the Flag's"))
        if_match = request.get("ifMatch")

        async def upsert(spine: SubjectLookup) -> WriteResult:
            return await service.upsert_by_case_reference(
                session, principal, data, spine, now, if_match=if_match
            )

        return _Entry(data, upsert)
    if method == "PUT" and url.startswith("Flag/") and "?" not in url:
        flag_id, if_match = url[len("Flag/") :], request.get("ifMatch")

        async def update(spine: SubjectLookup) -> WriteResult:
            return await service.update_by_id(
                session, principal, flag_id, data, spine, now, if_match=if_match
            )

        return _Entry(data, update, needs_lookup=data.status is FlagStatus.ACTIVE)
    return _Entry(
        error=InvalidValue(
            "Unsupported batch entry: use POST Flag, PUT Flag/{id} or "
            f"PUT {prefix}<case reference>"
        )
    )


async def _prefetch(spine: SubjectLookup, entries: list[_Entry], concurrency: int) -> Prefetched:
    # Ending a plan by id needs no lookup; creates (even of ended plans) and upserts may.
    numbers = {e.data.nhs_number for e in entries if e.data is not None and e.needs_lookup}
    results: dict[str, RetrieveResult | FHIRError] = {}
    limit = asyncio.Semaphore(concurrency)

    async def lookup(number: str) -> None:
        async with limit:
            try:
                results[number] = await spine.retrieve(number)
            except FHIRError as exc:
                results[number] = exc

    await asyncio.gather(*(lookup(n) for n in numbers))
    return Prefetched(results, spine)


def _success(result: WriteResult) -> dict[str, Any]:
    flag = result.flag
    status = 201 if result.created else 200
    return {
        "response": {
            "status": _status(status),
            "location": f"Flag/{flag.id}/_history/{flag.version_id}",
            "etag": f'W/"{flag.version_id}"',
            "lastModified": flag.last_updated.isoformat(timespec="milliseconds"),
        }
    }


def _failure(error: FHIRError) -> dict[str, Any]:
    return {
        "response": {
            "status": _status(error.status_code),
            "outcome": error.to_operation_outcome(),
        }
    }


async def process_batch(
    session: AsyncSession,
    principal: Principal,
    bundle: Any,
    spine: SubjectLookup,
    *,
    now: datetime,
    max_entries: int,
    spine_concurrency: int,
    commit_every: int,
) -> dict[str, Any]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidValue("The body must be a FHIR R4 Bundle")
    if bundle.get("type") != "batch":
        raise InvalidValue("Bundle.type must be batch", expression=["Bundle.type"])
    raw_entries = bundle.get("entry") or []
    if not isinstance(raw_entries, list) or len(raw_entries) > max_entries:
        raise InvalidValue(f"A batch holds at most {max_entries} entries", expression=["entry"])
    entries = [_parse_entry(raw, session, principal, now) for raw in raw_entries]
    prefetched = await _prefetch(spine, entries, spine_concurrency)
    responses: list[dict[str, Any]] = []
    uncommitted: list[int] = []  # responses of entries applied since the last commit
    applied = 0
    for entry in entries:
        if entry.apply is None:
            responses.append(_failure(entry.error or reject(Reason.INVALID_FLAG, "Invalid entry")))
            continue
        try:
            async with session.begin_nested():
                result = await entry.apply(prefetched)
        except FHIRError as exc:
            responses.append(_failure(exc))
            continue
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            # The database went away mid-batch: what this commit held is lost with it.
            await _lost(session, responses, uncommitted, exc)
            break
        uncommitted.append(len(responses))
        responses.append(_success(result))
        # Written and flushed: keep the session small, or every later flush rescans it.
        if result.flag in session:  # a create is written by one statement, never added
            session.expunge(result.flag)
        if len(uncommitted) >= commit_every:
            committed = await _commit(session, responses, uncommitted)
            if not committed:
                break
            applied += committed
    else:
        applied += await _commit(session, responses, uncommitted)
    stopped = _failure(
        ServiceUnavailable("Not applied: the batch stopped when the database failed")
    )
    responses += [stopped] * (len(entries) - len(responses))
    log.info("cpis.batch_applied", entries=len(entries), applied=applied)
    return {"resourceType": "Bundle", "type": "batch-response", "entry": responses}


async def _commit(session: AsyncSession, responses: list[dict[str, Any]], done: list[int]) -> int:
    """Commit the entries applied since the last commit (their response indexes, `done`,
    emptied); how many committed. If the commit fails they are reported failed: 0."""
    count = len(done)
    try:
        await session.commit()
    except Exception as exc:
        await _lost(session, responses, done, exc)
        return 0
    done.clear()
    return count


async def _lost(
    session: AsyncSession, responses: list[dict[str, Any]], done: list[int], exc: Exception
) -> None:
    """Roll back, and report the entries applied since the last commit as not applied."""
    log.error("cpis.batch_commit_failed", error=type(exc).__name__, entries=len(done))
    try:
        await session.rollback()
    except Exception as rollback_error:  # a lost connection may refuse even that
        if not database_unavailable(rollback_error):
            raise
    error: FHIRError = InternalError("Not applied: the commit failed")
    if database_unavailable(exc):
        error = ServiceUnavailable("Not applied: the database is unavailable; retry")
    for index in done:
        responses[index] = _failure(error)
    done.clear()
