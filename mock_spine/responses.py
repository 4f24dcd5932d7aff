"""FHIR JSON responses (`application/fhir+json; charset=utf-8`), serialised with orjson."""

from typing import Any

import orjson
from starlette.responses import Response

FHIR_JSON_UTF8 = "application/fhir+json; charset=utf-8"


def fhir_response(
    content: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content), status_code=status, headers=headers, media_type=FHIR_JSON_UTF8
    )
