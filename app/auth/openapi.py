"""The end-user context headers in the OpenAPI document.

`authenticate` reads these headers from the request itself: declared as FastAPI
parameters they were solved and validated one by one on every call, a cost on
the hot path of every read of a child's record. They are documented here
instead, on every operation that takes an access token.
"""

from typing import Any

from app.auth import context

_DESCRIPTIONS = {
    context.END_USER_ID: "Id of the person using the client system (e.g. staff or SDS user id)",
    context.END_USER_NAME: "Full name of that person (percent-encode non-ASCII)",
    context.END_USER_ROLE: "That person's job title or role",
    context.PURPOSE_OF_USE: "HL7 v3 PurposeOfUse code (e.g. PATSFTY); required for police",
    context.PURPOSE_JUSTIFICATION: "Free-text justification; required for police",
}


def _parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string", "title": name, "description": description},
    }


def document_end_user_headers(schema: dict[str, Any]) -> None:
    """Add the headers to each operation secured by a scope (in place)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not operation.get("security"):
                continue
            parameters = operation.setdefault("parameters", [])
            present = {(p.get("in"), p.get("name")) for p in parameters}
            parameters.extend(
                _parameter(name, description)
                for name, description in _DESCRIPTIONS.items()
                if ("header", name) not in present
            )
