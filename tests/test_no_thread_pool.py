"""No route of the real application runs code in FastAPI's thread pool: a plain `def`
endpoint or dependency costs a thread hand-off on every request, for work that never
blocks (attribute lookups, header checks)."""

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant

from app.fhir.routing import iter_api_routes
from app.main import create_app
from app.settings import Settings


def _runs_on_the_loop(call: Any) -> bool:
    if inspect.isroutine(call):
        return inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
    return inspect.iscoroutinefunction(call.__call__)  # a callable object (security schemes)


def _calls(dependant: Dependant, where: str) -> Iterator[tuple[str, Any]]:
    if dependant.call is not None:
        yield where, dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub, where)


def test_every_endpoint_and_dependency_is_async() -> None:
    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused"))
    routes = list(iter_api_routes(app.routes))
    calls = [found for path, route in routes for found in _calls(route.dependant, path)]
    assert len(routes) > 20
    assert len(calls) > 3 * len(routes)  # the walk reached the dependencies
    pooled = sorted({f"{path}: {getattr(call, '__qualname__', call)}"
                     for path, call in calls if not _runs_on_the_loop(call)})  # fmt: skip
    assert not pooled, f"these would run in the thread pool: {pooled}"
