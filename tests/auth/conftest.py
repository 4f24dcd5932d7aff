"""The gateway with test-only protected routes, for auth and audit tests.

Overrides `gateway_app` (and so `client`, `auth_headers`) for tests in this folder.
"""

from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter, FastAPI

from app.audit.service import AuditAction, record
from app.auth.dependencies import PatientReader, SubscriptionWriter
from app.db import SessionDep
from app.fhir.errors import InvalidValue
from app.main import create_app
from tests.fixtures.app import gateway_settings

PROTECTED_PATH = "/_test/Patient/{nhs_number}"
SYSTEM_PATH = "/_test/Subscription"
FAILING_PATH = "/_test/failing/{nhs_number}"

test_routes = APIRouter()


@test_routes.get(PROTECTED_PATH)
async def protected(
    nhs_number: str, principal: PatientReader, session: SessionDep
) -> dict[str, str]:
    await record(
        session, principal, action=AuditAction.READ, resource_type="Patient", resource_id=nhs_number
    )
    return {"client": principal.client_id, "role": principal.role.value}


@test_routes.get(SYSTEM_PATH)
async def system_route(principal: SubscriptionWriter) -> dict[str, str | None]:
    return {"end_user": principal.end_user.id if principal.end_user else None}


@test_routes.get(FAILING_PATH)
async def failing(nhs_number: str, principal: PatientReader, session: SessionDep) -> None:
    await record(
        session, principal, action=AuditAction.READ, resource_type="Patient", resource_id=nhs_number
    )
    raise InvalidValue("the action failed after it was audited")


def app_with_test_routes(database_url: str, **overrides: object) -> FastAPI:
    # No status cache here, so a suspension is seen by the very next request.
    app = create_app(
        gateway_settings(database_url, **{"client_status_cache_seconds": 0.0, **overrides})
    )
    app.include_router(test_routes)
    return app


@pytest.fixture(scope="session")
async def gateway_app(database_url: str) -> AsyncIterator[FastAPI]:
    app = app_with_test_routes(database_url)
    async with app.router.lifespan_context(app):
        yield app
