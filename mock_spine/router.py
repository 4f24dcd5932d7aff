"""The PDS read API: retrieve, search and related people (thin; rules live in service.py)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from mock_spine.errors import unsupported_service
from mock_spine.render import render_patient
from mock_spine.responses import fhir_response
from mock_spine.service import related_people, retrieve, search_patients

router = APIRouter(tags=["PDS FHIR API"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "OperationOutcome: INVALID_RESOURCE_ID, MISSING_VALUE, INVALID_VALUE"},
    404: {"description": "OperationOutcome: RESOURCE_NOT_FOUND or INVALIDATED_RESOURCE"},
}


async def database(request: Request) -> Any:
    # Async, so FastAPI calls it in the loop, not a thread. The pool itself: asyncpg pool methods
    # borrow a connection per statement more cheaply than a yield dependency per request.
    return request.app.state.pool


ConnectionDep = Annotated[Any, Depends(database)]
NHSNumberPath = Annotated[str, Path(description="NHS number (10 digits)")]


def _full_url_base(request: Request) -> str:
    base: str = request.app.state.settings.full_url_base
    return base


@router.get("/Patient/{nhs_number}", summary="Retrieve a patient", responses=ERRORS)
async def get_patient(request: Request) -> Response:
    """Retrieve a patient by NHS number; a superseded number returns the surviving record."""
    # The hot path: no declared dependencies, so FastAPI has nothing to solve per request.
    row = await retrieve(request.app.state.pool, request.path_params["nhs_number"])
    return fhir_response(render_patient(row), headers={"ETag": f'W/"{row.version_id}"'})


@router.get("/Patient", summary="Search for a patient", responses=ERRORS)
async def search(request: Request, db: ConnectionDep) -> Response:
    """Search by demographics, with PDS's parameters, wildcard, fuzzy and scoring rules."""
    items = request.query_params.multi_items()
    return fhir_response(await search_patients(db, items, _full_url_base(request)))


@router.get(
    "/Patient/{nhs_number}/RelatedPerson",
    summary="Get a patient's related people",
    responses=ERRORS,
)
async def get_related_people(
    nhs_number: NHSNumberPath, request: Request, db: ConnectionDep
) -> Response:
    """A patient's related people (parents and guardians); empty for restricted patients."""
    return fhir_response(await related_people(db, nhs_number, _full_url_base(request)))


@router.api_route(
    "/Patient/{nhs_number}",
    methods=["PUT", "PATCH", "POST", "DELETE"],
    summary="Unsupported updates",
    include_in_schema=False,
)
async def unsupported_update() -> Response:
    """The mock Spine is read-only over the FHIR API; use /_admin to change records."""
    raise unsupported_service()


@router.get("/_ping", summary="Liveness")
async def ping() -> dict[str, str]:
    """Answers while the service is up, as the PDS proxy's /_ping does."""
    return {"status": "pass"}
