"""Patient routes: retrieve by NHS number, PDS-style search, and `Patient/$match`."""

from typing import Annotated

from fastapi import Body, Path, Request, Response

from app.audit.service import AuditWriterDep
from app.auth.dependencies import PatientReader
from app.db import SessionDep
from app.fhir.errors import InvalidResourceId
from app.fhir.responses import FHIRResponse
from app.fhir.routing import fhir_interaction, fhir_operation, fhir_router, search_param
from app.fhir.schemas import error_responses
from app.trace import service
from app.trace.dependencies import AppSettingsDep, SpineClientDep
from app.trace.match_input import MatchParameters, parse_match_request
from app.trace.schemas import PatientCareView, PatientIdentity, SearchsetBundle
from app.trace.search import parse_search

router = fhir_router(tags=["Trace"])

SUPERSEDED_HEADER = "X-Superseded-NHS-Number"
SPINE_CALLS_HEADER = "X-Trace-Spine-Calls"
MATCH_DEFINITION = "http://hl7.org/fhir/OperationDefinition/Patient-match"
SEARCH_PARAMS = [
    search_param("family", "string", "Family name; `*` after two characters"),
    search_param("given", "string", "Given name, repeatable in order"),
    search_param("gender", "token", "male | female | other | unknown"),
    search_param("birthdate", "date", "eq/ge/le yyyy-mm-dd; required"),
    search_param("death-date", "date", "eq/ge/le yyyy-mm-dd"),
    search_param("address-postalcode", "string", "Any known postcode"),
    search_param("general-practitioner", "token", "GP practice ODS code"),
    search_param("email", "token", "Exact email"),
    search_param("phone", "token", "Exact phone number"),
]


@router.get(
    "/Patient/{nhs_number}",
    response_model=PatientCareView | PatientIdentity,
    response_model_exclude_none=True,
    summary="Retrieve a patient by NHS number",
    responses={
        **error_responses(400, 401, 403, 404, 429, 503),
        200: {
            "description": (
                f"The patient as the caller's role may see it. If the number was superseded "
                f"(merged), `id` is the new number and `{SUPERSEDED_HEADER}` names the old one."
            )
        },
    },
    openapi_extra=fhir_interaction("Patient", "read"),
)
async def read_patient(
    nhs_number: Annotated[str, Path(max_length=20, description="The NHS number (10 digits)")],
    principal: PatientReader,
    writer: AuditWriterDep,
    spine: SpineClientDep,
) -> FHIRResponse:
    """Retrieve a child's demographics from the Spine, disclosed per the caller's role."""
    if not nhs_number.isdigit():
        raise InvalidResourceId(expression=["Patient.id"])
    read = await service.read_patient(writer, spine, principal, nhs_number)
    headers = {SUPERSEDED_HEADER: read.superseded_from} if read.superseded_from else None
    # Rendered by the service while the audit row was written; the response model above
    # documents it.
    return FHIRResponse(read.body, headers=headers)


@router.get(
    "/Patient",
    response_model=SearchsetBundle,
    response_model_exclude_none=True,
    summary="Search for patients (PDS search rules)",
    responses=error_responses(400, 401, 403, 429, 503),
    openapi_extra=fhir_interaction("Patient", "search-type", search_params=SEARCH_PARAMS),
)
async def search_patients(
    request: Request,
    principal: PatientReader,
    session: SessionDep,
    spine: SpineClientDep,
    settings: AppSettingsDep,
) -> SearchsetBundle:
    """Search the Spine by demographics, validated as PDS validates before it is sent."""
    params = parse_search(request.query_params)
    return await service.search_patients(session, spine, principal, params, settings)


@router.post(
    "/Patient/$match",
    response_model=SearchsetBundle,
    response_model_exclude_none=True,
    summary="Trace a child: certain, probable or possible matches",
    responses=error_responses(400, 401, 403, 415, 429, 503),
    openapi_extra=fhir_operation("match", MATCH_DEFINITION, resource="Patient"),
)
async def match_patient(
    body: Annotated[MatchParameters, Body(media_type="application/fhir+json")],
    principal: PatientReader,
    session: SessionDep,
    spine: SpineClientDep,
    settings: AppSettingsDep,
    response: Response,
) -> SearchsetBundle:
    """Cascading trace against the Spine; entries ordered by score with a match grade.

    `certain` is given only when one candidate agrees on given name, family name and
    birth date and is well clear of any other; twins are never `certain` on a
    missing or misspelt given name. Anything less is queued for reconciliation.
    """
    request = parse_match_request(body)
    outcome = await service.match_patient(session, spine, principal, request, settings)
    response.headers[SPINE_CALLS_HEADER] = str(outcome.spine_calls)
    return outcome.bundle
