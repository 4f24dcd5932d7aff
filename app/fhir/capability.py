"""CapabilityStatement (FHIR R4 capabilitystatement.html) generated from the routes that exist.

Each FHIR route declares its interaction or operation in `openapi_extra["x-fhir"]`
(see `app.fhir.routing`); nothing here is listed by hand, so the statement cannot
claim a capability the server lacks.
"""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from app import __version__
from app.fhir.routing import FHIR_EXTENSION_KEY, iter_api_routes

SECURITY_SERVICE_SYSTEM = "http://terminology.hl7.org/CodeSystem/restful-security-service"
_STARTED = datetime.now(UTC).replace(microsecond=0).isoformat()


def _declared(app: FastAPI) -> list[dict[str, Any]]:
    return [
        route.openapi_extra[FHIR_EXTENSION_KEY]
        for _path, route in iter_api_routes(app.routes)
        if route.openapi_extra and FHIR_EXTENSION_KEY in route.openapi_extra
    ]


def build_capability_statement(app: FastAPI, base_url: str) -> dict[str, Any]:
    interactions: dict[str, list[str]] = defaultdict(list)
    search_params: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    operations: dict[str | None, list[dict[str, str]]] = defaultdict(list)
    system_interactions: list[str] = []
    rev_includes: dict[str, list[str]] = defaultdict(list)
    for info in _declared(app):
        resource = info.get("resource")
        if "operation" in info:
            operations[resource].append(
                {"name": info["operation"], "definition": info["definition"]}
            )
            continue
        if resource is None:
            if info["interaction"] not in system_interactions:
                system_interactions.append(info["interaction"])
            continue
        if info["interaction"] not in interactions[resource]:
            interactions[resource].append(info["interaction"])
        for param in info.get("searchParam", []):
            search_params[resource][param["name"]] = param
        rev_includes[resource] += [
            r for r in info.get("searchRevInclude", []) if r not in rev_includes[resource]
        ]

    resource_types = sorted(set(interactions) | {r for r in operations if r is not None})
    resources = []
    for resource_type in resource_types:
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": [{"code": code} for code in interactions.get(resource_type, [])],
        }
        if search_params.get(resource_type):
            entry["searchParam"] = list(search_params[resource_type].values())
        if rev_includes.get(resource_type):
            entry["searchRevInclude"] = rev_includes[resource_type]
        if operations.get(resource_type):
            entry["operation"] = operations[resource_type]
        resources.append(entry)

    rest: dict[str, Any] = {
        "mode": "server",
        "documentation": (
            "The absence of a child-protection flag is not evidence that a child is safe."
        ),
        "security": {
            "cors": False,
            "service": [
                {"coding": [{"system": SECURITY_SERVICE_SYSTEM, "code": "OAuth"}]},
                {"coding": [{"system": SECURITY_SERVICE_SYSTEM, "code": "SMART-on-FHIR"}]},
            ],
            "description": (
                "OAuth2 client credentials with a signed JWT client assertion "
                f"(private_key_jwt); token endpoint {base_url}/oauth2/token"
            ),
        },
        "resource": resources,
    }
    if system_interactions:
        rest["interaction"] = [{"code": code} for code in system_interactions]
    if operations.get(None):
        rest["operation"] = operations[None]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": _STARTED,
        "publisher": "CCI Gateway",
        "kind": "instance",
        "software": {"name": "CCI Gateway", "version": __version__},
        "implementation": {"description": "CCI Gateway", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [rest],
    }
