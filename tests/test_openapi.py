"""The committed OpenAPI document matches the app, and the app honours it under fuzzing."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.openapi import OPENAPI_PATH, REGENERATE_COMMAND, render_openapi
from tests.fixtures.app import gateway_settings
from tests.fixtures.live_server import live_server


def test_committed_openapi_is_current() -> None:
    assert OPENAPI_PATH.read_text() == render_openapi(), (
        f"openapi/gateway.json is out of date; regenerate it with `{REGENERATE_COMMAND}`"
    )


@pytest.fixture(scope="module")
def gateway_url(database_url: str, spine_base_url: str) -> Iterator[str]:
    settings = gateway_settings(database_url, spine_base_url=spine_base_url)
    with live_server(create_app(settings)) as url:
        yield url


schema = schemathesis.openapi.from_path(OPENAPI_PATH)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_honours_its_schema(case: schemathesis.Case[Any], gateway_url: str) -> None:
    case.call_and_validate(
        base_url=gateway_url,
        checks=[
            schemathesis.checks.not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
