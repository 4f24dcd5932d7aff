"""Helpers for mock Spine tests: direct database look-ups to find seeded hard cases."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mock_spine.db import connect
from mock_spine.main import create_app
from tests.fixtures.spine import spine_settings


@pytest.fixture
async def spine_db(spine_database_url: str) -> AsyncIterator[Any]:
    connection = await connect(spine_database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def admin_client(spine_database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Its own app instance, so fault settings never leak into other tests."""
    app: FastAPI = create_app(spine_settings(spine_database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://spine.test") as client:
            yield client
