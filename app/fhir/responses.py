"""FHIR JSON responses (`application/fhir+json; charset=utf-8`), serialised with orjson."""

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi.responses import JSONResponse

FHIR_JSON = "application/fhir+json"
FHIR_JSON_UTF8 = f"{FHIR_JSON}; charset=utf-8"


class FHIRResponse(JSONResponse):
    # A JSONResponse subclass so FastAPI documents the response model's schema;
    # `media_type` is what OpenAPI lists, the header adds the charset FHIR asks for.
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        super().init_headers(headers)
        self.raw_headers = [
            (name, FHIR_JSON_UTF8.encode()) if name == b"content-type" else (name, value)
            for name, value in self.raw_headers
        ]
