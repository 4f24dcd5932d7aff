"""Every route of the real application is protected unless it is deliberately public,
and every route on a child's data demands a scope on a patient-data resource."""

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.auth.dependencies import authenticate
from app.auth.scopes import PATIENT_DATA_RESOURCES, touches_patient_data
from app.fhir.routing import iter_api_routes
from app.main import create_app
from app.settings import Settings

# Adding a route here is a decision to serve it to anyone: say why beside it.
PUBLIC = {
    ("GET", "/metadata"),  # FHIR CapabilityStatement
    ("GET", "/_ping"),  # liveness
    ("GET", "/_status"),  # readiness
    ("GET", "/$validate-identifier"),  # check-digit arithmetic; looks nobody up
    ("POST", "/oauth2/token"),  # where tokens come from
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/.well-known/smart-configuration"),
    ("GET", "/.well-known/oauth-authorization-server"),
}


def required_scopes(dependant: Dependant) -> set[str]:
    """Scopes `authenticate` enforces for this route (declared with Security)."""
    found: set[str] = set()
    for sub in dependant.dependencies:
        if sub.call is authenticate:
            found |= set(sub.own_oauth_scopes or [])
        found |= required_scopes(sub)
    return found


def is_authenticated(dependant: Dependant) -> bool:
    return any(sub.call is authenticate or is_authenticated(sub) for sub in dependant.dependencies)


ROUTES = [
    (method, path, route)
    for path, route in iter_api_routes(
        create_app(Settings(database_url="postgresql+asyncpg://unused/unused")).routes
    )
    for method in sorted(route.methods or ())
]


def test_the_walk_finds_the_protected_routes() -> None:
    assert ("GET", "/AuditEvent") in {(method, path) for method, path, _ in ROUTES}


@pytest.mark.parametrize(
    ("method", "path", "route"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_route_is_public_or_scoped(method: str, path: str, route: APIRoute) -> None:
    if (method, path) in PUBLIC:
        assert not is_authenticated(route.dependant)
        return
    scopes = required_scopes(route.dependant)
    assert scopes, (
        f"{method} {path} has no scope requirement: use an alias from app.auth.dependencies"
    )
    resource = path.strip("/").split("/")[0]
    if resource in PATIENT_DATA_RESOURCES or "/Patient" in path:
        assert any(touches_patient_data(scope) for scope in scopes), (
            f"{method} {path} touches a child's data but needs no scope on it: {scopes}"
        )
