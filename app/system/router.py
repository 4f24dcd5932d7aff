"""`/metadata`, `/_ping` and `/_status`."""

from typing import Any

from fastapi import APIRouter, Request

from app import __version__
from app.fhir.capability import build_capability_statement
from app.fhir.errors import ServiceUnavailable
from app.fhir.routing import fhir_router
from app.fhir.schemas import error_responses
from app.settings import Settings
from app.system.health import run_checks
from app.system.schemas import CapabilityStatementModel, PingResponse, StatusResponse

fhir = fhir_router(tags=["System"])
health = APIRouter(tags=["System"])


@fhir.get(
    "/metadata",
    response_model=CapabilityStatementModel,
    summary="CapabilityStatement",
    responses=error_responses(406),
)
async def metadata(request: Request) -> dict[str, Any]:
    """The server's FHIR R4 CapabilityStatement, generated from the routes it serves."""
    settings: Settings = request.app.state.settings
    return build_capability_statement(request.app, settings.base_url)


@health.get("/_ping", response_model=PingResponse, summary="Liveness")
async def ping() -> PingResponse:
    """Answers while the process is alive; touches no dependency."""
    return PingResponse(status="pass", version=__version__)


@health.get(
    "/_status",
    response_model=StatusResponse,
    summary="Readiness",
    responses=error_responses(503),
)
async def status(request: Request) -> StatusResponse:
    """Ready when every dependency (database, Spine) answers within two seconds."""
    results = await run_checks(request.app.state.readiness_probes)
    failed = [r for r in results if not r.ok]
    if failed:
        raise ServiceUnavailable(
            "Not ready: " + ", ".join(f"{r.name} ({r.detail})" for r in failed),
        )
    return StatusResponse(
        status="pass",
        version=__version__,
        checks={
            r.name: {"status": "pass", "responseTimeMs": round(r.elapsed_ms, 1)} for r in results
        },
    )
