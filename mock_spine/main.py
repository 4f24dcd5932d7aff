"""create_app(): the mock Spine's lifespan (asyncpg pool), middleware, handlers and routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cci_common.logging import configure_logging
from mock_spine import __version__
from mock_spine.admin.router import router as admin_router
from mock_spine.db import create_pool
from mock_spine.errors import install_exception_handlers
from mock_spine.middleware import Faults, SpineRequestMiddleware
from mock_spine.router import router
from mock_spine.settings import SpineSettings, get_settings


def create_app(settings: SpineSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if not settings.database_url:
        raise RuntimeError("CCI_SPINE_DATABASE_URL is not set; `cci spine serve` starts one")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(database_url, size=settings.db_pool_size)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    configure_logging(settings.log_level, json=settings.log_json)
    app = FastAPI(
        title="Mock Spine (PDS FHIR API)",
        version=__version__,
        description="A PDS FHIR API-compatible service over a synthetic population.",
        lifespan=lifespan,
    )
    faults = Faults(
        latency_ms=settings.fault_latency_ms,
        error_rate=settings.fault_error_rate,
        rate_limit_tps=settings.rate_limit_tps,
    )
    app.state.settings = settings
    app.state.faults = faults
    app.add_middleware(SpineRequestMiddleware, fhir_prefix=settings.base_path, faults=faults)
    install_exception_handlers(app, settings.base_path)
    app.include_router(router, prefix=settings.base_path)
    if settings.admin_enabled:
        app.include_router(admin_router, prefix="/_admin")
    return app
