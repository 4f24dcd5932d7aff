import httpx

from app.fhir.resources import CapabilityStatement
from app.fhir.routing import FHIR_EXTENSION_KEY, iter_api_routes
from app.main import create_app
from tests.fixtures.app import gateway_settings


async def test_metadata_is_a_valid_r4_capability_statement(client: httpx.AsyncClient) -> None:
    response = await client.get("/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+json; charset=utf-8"
    body = response.json()
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.0.1"
    assert body["kind"] == "instance"
    services = {c["code"] for s in body["rest"][0]["security"]["service"] for c in s["coding"]}
    assert "OAuth" in services


async def test_every_declared_route_is_in_the_statement(client: httpx.AsyncClient) -> None:
    body = (await client.get("/metadata")).json()
    rest = body["rest"][0]
    listed_operations = {op["name"] for op in rest.get("operation", [])}
    listed_interactions = {(None, i["code"]) for i in rest.get("interaction", [])}
    for resource in rest["resource"]:
        listed_operations |= {op["name"] for op in resource.get("operation", [])}
        listed_interactions |= {(resource["type"], i["code"]) for i in resource["interaction"]}

    app = create_app(gateway_settings("postgresql+asyncpg://unused/unused"))
    declared = [
        route.openapi_extra[FHIR_EXTENSION_KEY]
        for _, route in iter_api_routes(app.routes)
        if route.openapi_extra and FHIR_EXTENSION_KEY in route.openapi_extra
    ]
    assert "validate-identifier" in listed_operations
    for info in declared:
        if "operation" in info:
            assert info["operation"] in listed_operations
        else:
            assert (info["resource"], info["interaction"]) in listed_interactions
