"""/_admin: developer controls and fault injection (mounted only when CCI_SPINE_ADMIN_ENABLED)."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from mock_spine.admin import schemas, service
from mock_spine.middleware import Faults

router = APIRouter(tags=["Developer controls"])
State = schemas.PatientState


async def connection(request: Request) -> AsyncIterator[Any]:
    async with request.app.state.pool.acquire() as acquired:
        yield acquired


Db = Annotated[Any, Depends(connection)]


@router.post("/patients", response_model=State, status_code=201, summary="Create a patient")
async def create_patient(body: schemas.NewPatient, db: Db) -> State:
    """Create a patient (an NHS number from the 999 test range unless one is given)."""
    return await service.create_patient(db, body)


@router.post("/patients/{nhs_number}/merge", response_model=State, summary="Merge two records")
async def merge(nhs_number: str, body: schemas.Merge, db: Db) -> State:
    """Supersede this NHS number by `into`: a retrieve of it then returns the survivor."""
    return await service.merge(db, nhs_number, body.into)


@router.post("/patients/{nhs_number}/invalidate", response_model=State, summary="Invalidate")
async def invalidate(nhs_number: str, db: Db) -> State:
    """Invalidate a record: retrieve answers 404 INVALIDATED_RESOURCE, search never finds it."""
    return await service.invalidate(db, nhs_number)


@router.post("/patients/{nhs_number}/restrict", response_model=State, summary="Restrict")
async def restrict(nhs_number: str, body: schemas.Restrict, db: Db) -> State:
    """Set the confidentiality code: U, R (restricted) or V (very restricted)."""
    return await service.restrict(db, nhs_number, body.security)


@router.post("/patients/{nhs_number}/deceased", response_model=State, summary="Mark deceased")
async def deceased(nhs_number: str, body: schemas.Deceased, db: Db) -> State:
    """Record a death (notification 1 informal, 2 formal)."""
    return await service.mark_deceased(db, nhs_number, body)


@router.post("/patients/{nhs_number}/name", response_model=State, summary="Change name")
async def change_name(nhs_number: str, body: schemas.NameChange, db: Db) -> State:
    """Give a new usual name; the old one is kept as history (use `old`)."""
    return await service.change_name(db, nhs_number, body)


@router.post("/patients/{nhs_number}/address", response_model=State, summary="Move house")
async def change_address(nhs_number: str, body: schemas.AddressChange, db: Db) -> State:
    """Give a new home address; the old one is kept as history."""
    return await service.change_address(db, nhs_number, body)


def _faults(request: Request) -> Faults:
    faults: Faults = request.app.state.faults
    return faults


@router.get("/faults", response_model=schemas.FaultSettings, summary="Fault settings")
async def get_faults(request: Request) -> schemas.FaultSettings:
    """The fault injection in force."""
    faults = _faults(request)
    return schemas.FaultSettings(
        latency_ms=faults.latency_ms, error_rate=faults.error_rate,
        error_status=faults.error_status,  # type: ignore[arg-type]
        rate_limit_tps=faults.rate_limit_tps,
    )  # fmt: skip


@router.put("/faults", response_model=schemas.FaultSettings, summary="Inject faults")
async def put_faults(body: schemas.FaultSettings, request: Request) -> schemas.FaultSettings:
    """Set added latency, a random error rate and a TPS limit (429 with Retry-After) at once."""
    faults = _faults(request)
    faults.latency_ms, faults.error_rate = body.latency_ms, body.error_rate
    faults.error_status, faults.rate_limit_tps = body.error_status, body.rate_limit_tps
    faults.recent.clear()
    return body
