"""FHIR routes: one route class that negotiates media types before any body is parsed,
and the metadata each route declares so the CapabilityStatement is built from what exists."""

from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from app.fhir.media import check_accept, check_content_type
from app.fhir.responses import FHIRResponse

FHIR_EXTENSION_KEY = "x-fhir"


class FHIRRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def negotiated(request: Request) -> Response:
            check_accept(request)
            check_content_type(request)
            return await handler(request)

        return negotiated


def fhir_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=FHIRRoute, default_response_class=FHIRResponse, **kwargs)


def search_param(name: str, type_: str, documentation: str) -> dict[str, str]:
    return {"name": name, "type": type_, "documentation": documentation}


def fhir_interaction(
    resource: str | None,
    interaction: str,
    *,
    search_params: Sequence[dict[str, str]] = (),
    rev_includes: Sequence[str] = (),
) -> dict[str, Any]:
    """`openapi_extra` for a RESTful interaction (read, search-type, create, update, ...);
    `resource=None` means a system-level interaction (batch, transaction, ...)."""
    info: dict[str, Any] = {"resource": resource, "interaction": interaction}
    if search_params:
        info["searchParam"] = list(search_params)
    if rev_includes:
        info["searchRevInclude"] = list(rev_includes)
    return {FHIR_EXTENSION_KEY: info}


def fhir_operation(name: str, definition: str, *, resource: str | None = None) -> dict[str, Any]:
    """`openapi_extra` for a FHIR operation; `resource=None` means a system-level operation."""
    return {FHIR_EXTENSION_KEY: {"resource": resource, "operation": name, "definition": definition}}


def iter_api_routes(routes: Sequence[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, including those of included routers.

    Recent FastAPI keeps included routers nested rather than copying their routes.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
            continue
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            child_prefix = prefix + (getattr(context, "prefix", "") or "")
            yield from iter_api_routes(original.routes, child_prefix)
