"""Trace rules: retrieve, search and `$match`, each audited before its answer leaves
(a retrieve's row is written while the Spine answers; the others' rows commit with
the request).

Every NHS number a caller is shown gets an audit row (who, organisation, purpose,
number, grade), so "who saw this child" can be answered from the audit table.
A `$match` without one certain answer also goes to the reconciliation queue.
"""

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, AuditOutcome, audit_row, record, recording
from app.audit.writer import AuditWriter
from app.auth.principal import Principal
from app.fhir.errors import FHIRError, InvalidResourceId, NotFound
from app.settings import Settings
from app.trace import repository
from app.trace.bundles import match_bundle, search_bundle
from app.trace.cascade import TraceResult, run_trace
from app.trace.disclosure import disclose
from app.trace.grading import Grade
from app.trace.match_input import MatchRequest
from app.trace.schemas import DisclosedPatient, SearchsetBundle
from app.trace.spine_client import RetrieveStatus, SearchParams, SpineClient
from app.trace.spine_errors import InvalidatedResource
from cci_common.identifiers import nhs_number

# The row a retrieve writes as it is sent; a failure or a merged record adds another.
RETRIEVE_REQUESTED = "retrieve requested"


@dataclass(frozen=True)
class PatientRead:
    patient: DisclosedPatient
    body: dict[str, Any]  # `patient` rendered, ready to send
    superseded_from: str | None = None


@dataclass(frozen=True)
class MatchOutcome:
    bundle: SearchsetBundle
    spine_calls: int
    grade: Grade | None


async def _audit_failure(
    writer: AuditWriter, principal: Principal, number: str, detail: str, *, status: int = 404
) -> None:
    failed = audit_row(
        principal,
        action=AuditAction.READ,
        resource_type="Patient",
        resource_id=number,
        outcome=AuditOutcome.SERIOUS_FAILURE if status >= 500 else AuditOutcome.MINOR_FAILURE,
        detail=detail,
    )
    await writer.append([failed])


async def read_patient(
    writer: AuditWriter, spine: SpineClient, principal: Principal, number: str
) -> PatientRead:
    requested = nhs_number.parse(number)
    if requested is None:
        raise InvalidResourceId(expression=["Patient.id"])
    # Who asked for which child, and why, is known before the Spine answers, so that row
    # is written while the Spine answers (and the view renders); leaving the block waits
    # until it is durable, so nothing leaves unrecorded. An answer the row does not
    # describe gets a row of its own: the new number of a merged record, or a failure.
    asked = audit_row(
        principal,
        action=AuditAction.READ,
        resource_type="Patient",
        resource_id=requested,
        detail=RETRIEVE_REQUESTED,
    )
    async with recording(writer, asked):
        try:
            result = await spine.retrieve(requested)
        except FHIRError as exc:
            detail = f"retrieve failed: {exc.status_code}"
            await _audit_failure(writer, principal, requested, detail, status=exc.status_code)
            raise
        if result.patient is None:
            await _audit_failure(writer, principal, requested, f"retrieve {result.status.value}")
            if result.status is RetrieveStatus.INVALIDATED:
                raise InvalidatedResource()
            raise NotFound()
        if result.superseded:
            merged = audit_row(
                principal,
                action=AuditAction.READ,
                resource_type="Patient",
                resource_id=result.patient.nhs_number,
                detail=f"retrieve (superseded number {requested})",
            )
            await writer.append([merged])
        patient = disclose(result.patient, principal.role)
        body = patient.model_dump(mode="json", by_alias=True, exclude_none=True)
    return PatientRead(patient, body, superseded_from=requested if result.superseded else None)


async def search_patients(
    session: AsyncSession,
    spine: SpineClient,
    principal: Principal,
    params: SearchParams,
    settings: Settings,
) -> SearchsetBundle:
    result = await spine.search(params)
    warnings = ["Too many matches: narrow the search"] if result.too_many_matches else []
    for patient in result.matches:
        await record(
            session,
            principal,
            action=AuditAction.SEARCH,
            resource_type="Patient",
            resource_id=patient.nhs_number,
            detail="search",
        )
    if not result.matches:
        await record(
            session, principal, action=AuditAction.SEARCH, resource_type="Patient", detail="none"
        )
    return search_bundle(list(result.matches), principal.role, settings.base_url, warnings)


async def match_patient(
    session: AsyncSession,
    spine: SpineClient,
    principal: Principal,
    request: MatchRequest,
    settings: Settings,
) -> MatchOutcome:
    deadline = time.monotonic() + settings.trace_deadline_seconds
    result = await run_trace(
        spine, request.query, max_calls=settings.trace_max_spine_calls, deadline=deadline
    )
    warnings = list(result.warnings)
    if request.query.claimed_number_invalid:
        warnings.append("The NHS number supplied is not valid (check digit); it was ignored")
    matches = result.matches[: request.count]
    if request.only_certain:
        matches = [m for m in matches[:1] if m.grade is Grade.CERTAIN]
    await _audit_match(session, principal, result, [m.candidate.nhs_number for m in matches])
    if result.grade is not Grade.CERTAIN:
        await _enqueue(session, principal, request, result)
    bundle = match_bundle(matches, principal.role, settings.base_url, warnings)
    return MatchOutcome(bundle, result.spine_calls, result.grade)


async def _audit_match(
    session: AsyncSession, principal: Principal, result: TraceResult, shown: list[str]
) -> None:
    grades = {m.candidate.nhs_number: m for m in result.matches}
    for number in shown:
        match = grades[number]
        await record(
            session,
            principal,
            action=AuditAction.EXECUTE,
            resource_type="Patient",
            resource_id=number,
            detail=f"$match grade={match.grade.value} score={match.probability:.4f} "
            f"spine_calls={result.spine_calls}",
        )
    if not shown:
        await record(
            session,
            principal,
            action=AuditAction.EXECUTE,
            resource_type="Patient",
            detail=f"$match no match shown spine_calls={result.spine_calls}",
        )


async def _enqueue(
    session: AsyncSession, principal: Principal, request: MatchRequest, result: TraceResult
) -> None:
    await repository.enqueue(
        session,
        principal,
        best_grade=result.grade.value if result.grade else None,
        spine_calls=result.spine_calls,
        query=dataclasses.asdict(request.query.demographics),
        candidates=[
            {
                "nhsNumber": m.candidate.nhs_number,
                "grade": m.grade.value,
                "score": round(m.probability, 4),
                "bits": m.candidate.total,
                "notCertainBecause": list(m.not_certain_because),
            }
            for m in result.matches
        ],
    )
