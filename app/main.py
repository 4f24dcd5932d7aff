"""create_app(): the gateway's lifespan, middleware, exception handlers and routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app import __version__
from app.audit.router import router as audit_router
from app.audit.service import session_info
from app.audit.writer import AuditWriter
from app.auth.openapi import document_end_user_headers
from app.auth.router import router as auth_router
from app.auth.state import start_auth
from app.cpis.router import router as cpis_router
from app.db import create_engine, create_sessionmaker
from app.fhir.handlers import install_exception_handlers
from app.fhir.request_context import RequestContextMiddleware
from app.identifiers.router import router as identifiers_router
from app.settings import Settings, get_settings
from app.system.health import database_probe
from app.system.router import fhir as metadata_router
from app.system.router import health as health_router
from app.trace.router import router as trace_router
from app.trace.spine_client import SpineClient
from cci_common.logging import configure_logging

DESCRIPTION = """
FHIR R4 API for England's children's social care, health, education and police
systems to agree who a child is (NHS number, traced against the NHS Spine) and
whether the child is protected (CP-IS style child-protection flags).

**The absence of a child-protection flag is not evidence that a child is safe.**
Most children in serious case reviews never had a plan.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if not settings.database_url:
        raise RuntimeError("CCI_DATABASE_URL is not set; `cci serve` starts an embedded database")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
        )
        app.state.engine = engine
        audit_writer = await AuditWriter.open(database_url)
        app.state.audit_writer = audit_writer
        app.state.sessionmaker = create_sessionmaker(engine, info=session_info(audit_writer))
        spine_client = SpineClient.from_settings(settings)
        app.state.spine_client = spine_client
        app.state.readiness_probes = {
            "database": database_probe(engine),
            # Looked up per call: tests and operators may swap the client at run time.
            "spine": lambda: app.state.spine_client.ping(),
        }
        app.state.auth = await start_auth(settings, app.state.sessionmaker)
        try:
            yield
        finally:
            await spine_client.aclose()
            await audit_writer.close()
            await engine.dispose()

    configure_logging(settings.log_level, json=settings.log_json)
    app = FastAPI(
        title="CCI Gateway",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    _document_end_user_headers(app)
    app.add_middleware(RequestContextMiddleware)
    install_exception_handlers(app)
    app.include_router(health_router)
    app.include_router(metadata_router)
    app.include_router(identifiers_router)
    app.include_router(trace_router)
    app.include_router(cpis_router)
    app.include_router(auth_router)
    app.include_router(audit_router)
    return app


def _document_end_user_headers(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_end_user_headers(generate())  # FastAPI caches the generated dict
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
