"""Helpers for mock Spine tests: direct database look-ups to find seeded hard cases."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from mock_spine.db import connect


@pytest.fixture
async def spine_db(spine_database_url: str) -> AsyncIterator[Any]:
    connection = await connect(spine_database_url)
    try:
        yield connection
    finally:
        await connection.close()
