"""The scheduled re-check (`cci flags recheck`): end plans at the 18th birthday and find
flagged NHS numbers that have become inactive in the Spine (facts B3, B4).

- A child's plan still active on or after the 18th birthday is ended (status
  inactive, end the day before) and the LA is notified.
- Each current plan's number is retrieved from the Spine. A change of state is
  recorded once and the LA notified once (CP-IS message 06): superseded (the plan
  then follows the surviving record, so care settings tracing the child find it),
  invalidated, deceased, or no longer known.
Each page of plans is its own transaction, so a long run makes steady progress.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.service import AuditAction, record
from app.cpis import repository
from app.cpis.models import Flag
from app.cpis.notifications import notify_ended_at_eighteen, notify_inactive_number
from app.cpis.profile import EndReason, FlagStatus, SubjectState
from app.cpis.rules import england_today
from app.cpis.verification import SubjectLookup
from app.fhir.errors import FHIRError
from app.trace.spine_client import RetrieveResult, RetrieveStatus

log = structlog.get_logger("app.cpis.recheck")
JOB_CLIENT = "cci-flags-recheck"


@dataclass(slots=True)
class RecheckReport:
    checked: int = 0
    ended_at_eighteen: int = 0
    superseded: int = 0
    invalidated: int = 0
    deceased: int = 0
    not_found: int = 0
    spine_errors: int = 0


def subject_state(result: RetrieveResult) -> tuple[SubjectState, str | None]:
    if result.status is RetrieveStatus.NOT_FOUND:
        return SubjectState.NOT_FOUND, None
    if result.status is RetrieveStatus.INVALIDATED or result.patient is None:
        return SubjectState.INVALIDATED, None
    if result.superseded:
        return SubjectState.SUPERSEDED, result.patient.nhs_number
    if result.patient.deceased:
        return SubjectState.DECEASED, None
    return SubjectState.ACTIVE, None


async def _audit(session: AsyncSession, flag: Flag, detail: str) -> None:
    await record(
        session,
        None,
        action=AuditAction.UPDATE,
        resource_type="Flag",
        resource_id=flag.nhs_number,
        owner_ods=flag.owner_ods,
        detail=detail,
        client_id=JOB_CLIENT,
    )


async def end_at_eighteen(session: AsyncSession, now: datetime) -> int:
    today = england_today(now)
    ended = 0
    for flag in await repository.reaching_eighteen(session, today):
        assert flag.adult_on is not None  # noqa: S101 - selected on adult_on <= today
        last_day = flag.adult_on - timedelta(days=1)
        if flag.period_end is not None and flag.period_end <= last_day:
            continue  # the LA's own end date came first: an ordinary end, no notice
        flag.status = FlagStatus.INACTIVE.value
        flag.period_end = last_day
        flag.end_reason = EndReason.EIGHTEENTH_BIRTHDAY.value
        flag.version_id += 1
        flag.last_updated = now
        await notify_ended_at_eighteen(session, flag, now=now)
        await _audit(session, flag, f"Flag/{flag.id} ended at 18th birthday")
        ended += 1
    await session.flush()
    return ended


async def _apply_state(
    session: AsyncSession, flag: Flag, result: RetrieveResult, now: datetime, report: RecheckReport
) -> None:
    state, surviving = subject_state(result)
    if state.value == flag.subject_state:
        return
    flag.subject_state = state.value
    if surviving is not None:
        flag.nhs_number = surviving
    flag.version_id += 1
    flag.last_updated = now
    if state is SubjectState.ACTIVE:
        return
    counter = state.value.replace("-", "_")
    setattr(report, counter, getattr(report, counter) + 1)
    await notify_inactive_number(session, flag, state=state, surviving_number=surviving, now=now)
    await _audit(session, flag, f"Flag/{flag.id} subject {state.value}")


async def recheck(
    sessionmaker: async_sessionmaker[AsyncSession],
    spine: SubjectLookup,
    *,
    now: datetime,
    page_size: int = 200,
    concurrency: int = 8,
) -> RecheckReport:
    report = RecheckReport()
    async with sessionmaker() as session, session.begin():
        report.ended_at_eighteen = await end_at_eighteen(session, now)
    after: uuid.UUID | None = None
    limit = asyncio.Semaphore(concurrency)

    async def lookup(number: str) -> RetrieveResult | None:
        async with limit:
            try:
                return await spine.retrieve(number)
            except FHIRError:
                report.spine_errors += 1
                return None

    while True:
        async with sessionmaker() as session, session.begin():
            page = await repository.flags_to_recheck(
                session, england_today(now), after, page_size, for_update=True
            )
            if not page:
                break
            after = page[-1].id
            numbers = sorted({flag.uploaded_nhs_number for flag in page})
            results = dict(zip(numbers, await asyncio.gather(*map(lookup, numbers)), strict=True))
            for flag in page:
                result = results[flag.uploaded_nhs_number]
                if result is not None:
                    await _apply_state(session, flag, result, now, report)
            report.checked += len(page)
    log.info("cpis.recheck_finished", checked=report.checked, ended=report.ended_at_eighteen)
    return report
