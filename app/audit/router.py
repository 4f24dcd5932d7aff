"""`GET /AuditEvent`: who accessed which child's record, when and why (R4 AuditEvent)."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request

from app.audit import service
from app.audit.schemas import AuditEventBundle, audit_event, entry
from app.audit.search import MAX_COUNT, audit_query
from app.auth.dependencies import AuditReader
from app.auth.scopes import AgencyRole
from app.db import SessionDep
from app.fhir.bundles import searchset
from app.fhir.routing import fhir_interaction, fhir_router, search_param
from app.fhir.schemas import error_responses
from app.settings import Settings

router = fhir_router(tags=["Audit"])

SEARCH_PARAMS = [
    search_param("patient", "reference", "The child: Patient/<NHS number>"),
    search_param("entity-identifier", "token", "https://fhir.nhs.uk/Id/nhs-number|<NHS number>"),
    search_param("date", "date", "When recorded; prefixes eq, gt, lt, ge, le, sa, eb"),
    search_param("agent", "reference", "Device/<client id>, Organization/<ODS>, Practitioner/<id>"),
]


@router.get(
    "/AuditEvent",
    response_model=AuditEventBundle,
    response_model_exclude_none=True,
    summary="Search the audit trail",
    responses=error_responses(400, 401, 403, 406, 429),
    openapi_extra=fhir_interaction("AuditEvent", "search-type", search_params=SEARCH_PARAMS),
)
async def search_audit_events(
    request: Request,
    principal: AuditReader,
    session: SessionDep,
    patient: Annotated[str | None, Query(max_length=100)] = None,
    entity_identifier: Annotated[
        str | None, Query(alias="entity-identifier", max_length=200)
    ] = None,
    date: Annotated[list[str] | None, Query(max_length=40)] = None,
    agent: Annotated[str | None, Query(max_length=200)] = None,
    count: Annotated[int | None, Query(alias="_count", ge=1, le=MAX_COUNT)] = None,
    cursor: Annotated[int | None, Query(alias="_cursor", ge=1, description="Paging")] = None,
) -> dict[str, Any]:
    """Newest first. Admin reads every event; social care reads events about its own records."""
    query = audit_query(
        patient=patient,
        entity_identifier=entity_identifier,
        dates=date or [],
        agent=agent,
        count=count,
        cursor=cursor,
    )
    page = await service.search(session, principal, query)
    settings: Settings = request.app.state.settings
    admin = principal.role is AgencyRole.ADMIN
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "_cursor"]
    self_link = f"{settings.base_url}/AuditEvent?{urlencode(request.query_params.multi_items())}"
    next_link = None
    if page.more:
        next_params = urlencode([*params, ("_cursor", str(page.rows[-1].seq))])
        next_link = f"{settings.base_url}/AuditEvent?{next_params}"
    entries = [entry(settings.base_url, audit_event(row, admin=admin)) for row in page.rows]
    return searchset(entries, total=page.total, self_link=self_link, next_link=next_link)
