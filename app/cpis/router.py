"""CP-IS routes: `Flag` search, read, create, update and conditional update, and the batch
`POST /` (Subscription routes: `subscription_router`). Thin: parse, call one service
function, render."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Body, Header, Query, Request, Response

from app.audit.service import AuditWriterDep
from app.auth.dependencies import FlagReader, FlagWriter
from app.cpis import batch, reads, service
from app.cpis.bundles import flag_searchset, flag_view
from app.cpis.parsing import parse_flag
from app.cpis.profile import CASE_REFERENCE_SYSTEM, NO_FLAG_IS_NOT_SAFETY
from app.cpis.render import flag_for_owner
from app.cpis.rules import england_today
from app.cpis.schemas import (
    BatchResponseBundle,
    FlagForOwner,
    FlagSearchBundle,
)
from app.cpis.search import access_flag, search_number
from app.cpis.service import WriteResult
from app.cpis.subscription_router import router as subscription_router
from app.cpis.verification import SubjectLookup
from app.db import SessionDep, driver_connection
from app.fhir.errors import InvalidValue
from app.fhir.responses import FHIRResponse
from app.fhir.routing import fhir_interaction, fhir_router, search_param
from app.fhir.schemas import error_responses
from app.settings import Settings

router = fhir_router()
flag_routes = fhir_router(tags=["CP-IS flags"])
FlagBody = Annotated[dict[str, Any], Body(description="A FHIR R4 Flag in our CP-IS profile")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _spine(request: Request) -> SubjectLookup:
    spine: SubjectLookup = request.app.state.spine_client
    return spine


def _written(request: Request, result: WriteResult) -> FHIRResponse:
    flag = result.flag
    base = _settings(request).base_url
    headers = {
        "ETag": f'W/"{flag.version_id}"',
        "Last-Modified": flag.last_updated.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Location": f"{base}/Flag/{flag.id}/_history/{flag.version_id}",
    }
    body = flag_for_owner(flag, england_today(datetime.now(UTC)))
    return FHIRResponse(body, status_code=201 if result.created else 200, headers=headers)


@flag_routes.get(
    "/Flag",
    response_model=FlagSearchBundle,
    summary="Search a child's child-protection plans",
    description=f"**{NO_FLAG_IS_NOT_SAFETY}**",
    responses=error_responses(400, 401, 403, 406, 429),
    openapi_extra=fhir_interaction(
        "Flag",
        "search-type",
        search_params=[
            search_param("patient", "reference", "The subject's NHS number"),
            search_param(
                "subject",
                "reference",
                "With :identifier, https://fhir.nhs.uk/Id/nhs-number|<NHS number>",
            ),
        ],
        rev_includes=["AuditEvent:entity"],
    ),
)
async def search_flags(
    request: Request,
    principal: FlagReader,
    writer: AuditWriterDep,
    patient: Annotated[str | None, Query(max_length=80)] = None,
    subject_identifier: Annotated[
        str | None, Query(alias="subject:identifier", max_length=120)
    ] = None,
    revinclude: Annotated[str | None, Query(alias="_revinclude", max_length=40)] = None,
    unscheduled: Annotated[
        str | None,
        Header(
            alias="IsUnscheduledAccessEvent",
            description="true|false; see the README for how it combines with the role",
        ),
    ] = None,
) -> Response:
    """Current plans with the LA's contacts; an empty searchset when there are none.

    The absence of a flag is not evidence that a child is safe.
    """
    number = search_number(patient, subject_identifier)
    declared = access_flag(unscheduled)
    now = datetime.now(UTC)
    settings = _settings(request)
    # The connection is taken after the token check, which may look up the client's
    # status on a session of its own: never two pooled connections held at once.
    async with driver_connection(request.app.state.engine) as connection:
        result = await reads.search_flags(
            connection,
            writer,
            principal,
            number,
            declared_unscheduled=declared,
            include_access=revinclude == "AuditEvent:entity",
            settings=settings,
            now=now,
        )
    body = flag_searchset(
        principal,
        result,
        base_url=settings.base_url,
        self_link=str(request.url),
        today=england_today(now),
    )
    return FHIRResponse(body)


@flag_routes.get(
    "/Flag/{flag_id}",
    response_model=FlagForOwner,
    summary="Read one of your own plans",
    responses=error_responses(401, 403, 404, 406, 429),
    openapi_extra=fhir_interaction("Flag", "read"),
)
async def read_flag(
    request: Request, flag_id: str, session: SessionDep, principal: FlagReader
) -> Response:
    """A plan the caller's organisation wrote, with its version (for If-Match)."""
    flag = await service.read_owned(session, principal, flag_id)
    now = datetime.now(UTC)
    return FHIRResponse(
        flag_view(principal, flag, england_today(now)),
        headers={"ETag": f'W/"{flag.version_id}"'},
    )


@flag_routes.post(
    "/Flag",
    response_model=FlagForOwner,
    status_code=201,
    summary="Create a plan",
    responses=error_responses(400, 401, 403, 409, 415, 422, 429, 503),
    openapi_extra=fhir_interaction("Flag", "create"),
)
async def create_flag(
    request: Request, resource: FlagBody, session: SessionDep, principal: FlagWriter
) -> Response:
    """Create a plan after verifying the subject against the Spine; idempotent by case
    reference (re-sending the same plan answers 200 with the existing one)."""
    data = parse_flag(resource)
    now = datetime.now(UTC)
    return _written(request, await service.create(session, principal, data, _spine(request), now))


@flag_routes.put(
    "/Flag/{flag_id}",
    response_model=FlagForOwner,
    summary="Update, end or withdraw a plan",
    responses=error_responses(400, 401, 403, 404, 409, 412, 415, 422, 429, 503),
    openapi_extra=fhir_interaction("Flag", "update"),
)
async def update_flag(
    request: Request,
    flag_id: str,
    resource: FlagBody,
    session: SessionDep,
    principal: FlagWriter,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Update one of your plans; `If-Match: W/"<version>"` is required (409 when stale)."""
    data = parse_flag(resource)
    now = datetime.now(UTC)
    result = await service.update_by_id(
        session, principal, flag_id, data, _spine(request), now, if_match=if_match
    )
    return _written(request, result)


@flag_routes.put(
    "/Flag",
    response_model=FlagForOwner,
    summary="Create or update a plan by your case reference",
    responses=error_responses(400, 401, 403, 409, 412, 415, 422, 429, 503),
    openapi_extra=fhir_interaction("Flag", "update"),
)
async def upsert_flag(
    request: Request,
    resource: FlagBody,
    session: SessionDep,
    principal: FlagWriter,
    identifier: Annotated[str, Query(max_length=200, description="<case ref system>|<value>")],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Conditional update: your case reference identifies the plan (If-Match optional)."""
    data = parse_flag(resource)
    if identifier != f"{CASE_REFERENCE_SYSTEM}|{data.case_reference}":
        raise InvalidValue(
            "identifier must be the Flag's own case reference", expression=["identifier"]
        )
    now = datetime.now(UTC)
    result = await service.upsert_by_case_reference(
        session, principal, data, _spine(request), now, if_match=if_match
    )
    return _written(request, result)


@flag_routes.post(
    "/",
    response_model=BatchResponseBundle,
    summary="Batch upload of plans",
    responses=error_responses(400, 401, 403, 415, 429),
    openapi_extra=fhir_interaction(None, "batch"),
)
async def batch_upload(
    request: Request,
    bundle: Annotated[dict[str, Any], Body(description="A FHIR R4 batch Bundle")],
    session: SessionDep,
    principal: FlagWriter,
) -> Response:
    """Apply each entry on its own; the batch-response has one result per entry, in order."""
    settings = _settings(request)
    body = await batch.process_batch(
        session,
        principal,
        bundle,
        _spine(request),
        now=datetime.now(UTC),
        max_entries=settings.cpis_batch_max_entries,
        spine_concurrency=settings.cpis_batch_spine_concurrency,
        commit_every=settings.cpis_batch_commit_every,
    )
    return FHIRResponse(body)


router.include_router(flag_routes)
router.include_router(subscription_router)
