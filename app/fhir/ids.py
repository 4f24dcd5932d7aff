"""Logical ids of the resources we store: UUIDs; anything else names nothing we hold."""

import uuid

from app.fhir.errors import NotFound


def parse_logical_id(resource_type: str, value: str) -> uuid.UUID:
    """The id as a UUID, or 404: a malformed id cannot name a stored resource."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{resource_type}/{value[:64]} is not known") from None
