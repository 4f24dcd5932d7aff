"""Response schemas for the service endpoints."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class PingResponse(BaseModel):
    status: str
    version: str


class StatusResponse(BaseModel):
    status: str
    version: str
    checks: dict[str, dict[str, Any]]


class CapabilityStatementModel(BaseModel):
    """OpenAPI shape of the CapabilityStatement; tests validate it with fhir.resources."""

    model_config = ConfigDict(extra="allow")

    resourceType: str  # noqa: N815 - FHIR element name
    status: str
    kind: str
    fhirVersion: str  # noqa: N815
    date: str
    format: list[str]
    rest: list[dict[str, Any]]
