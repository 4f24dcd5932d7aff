"""Content negotiation for FHIR JSON (FHIR R4 http.html#mime-type).

`_format` overrides `Accept`; both accept `json`, `application/json` and
`application/fhir+json`. Request bodies must be one of the two JSON types.
"""

from starlette.requests import Request

from app.fhir.errors import NotAcceptable, UnsupportedMediaType

ACCEPTED_FORMATS = frozenset({"json", "application/json", "application/fhir+json", "fhir+json"})
PRODUCIBLE = frozenset({"application/fhir+json", "application/json", "application/*", "*/*"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _media_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def check_accept(request: Request) -> None:
    requested_format = request.query_params.get("_format")
    if requested_format is not None:
        if requested_format.strip().lower() not in ACCEPTED_FORMATS:
            raise NotAcceptable(
                f"_format '{requested_format}' is not supported; use json or application/fhir+json",
                expression=["_format"],
            )
        return
    accept = request.headers.get("accept")
    if not accept:
        return
    if not any(media in PRODUCIBLE and q > 0 for media, q in _media_ranges(accept)):
        raise NotAcceptable(
            "This server produces application/fhir+json (or application/json) only",
        )


def check_content_type(request: Request) -> None:
    if request.method not in BODY_METHODS:
        return
    content_type = request.headers.get("content-type")
    has_body = content_type is not None or request.headers.get("content-length", "0") != "0"
    if not has_body:
        return
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in {"application/fhir+json", "application/json"}:
        raise UnsupportedMediaType(
            f"Content-Type '{media or 'none'}' is not supported; send application/fhir+json",
        )
