"""Wire shapes of the token endpoint (RFC 6749 §5.1/§5.2) and discovery documents."""

from typing import Any

from pydantic import BaseModel, Field


class TokenResponse(BaseModel):
    access_token: str = Field(description="RFC 9068 JWT; send as `Authorization: Bearer ...`")
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 type name
    expires_in: int = Field(description="Seconds until the token expires (600)")
    scope: str = Field(description="The scopes granted: requested ∩ allowed for the client")


class TokenError(BaseModel):
    error: str = Field(description="invalid_request, invalid_client, invalid_scope, ...")
    error_description: str | None = None


class JWKS(BaseModel):
    keys: list[dict[str, Any]]


class ServerMetadata(BaseModel):
    issuer: str
    token_endpoint: str
    jwks_uri: str
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    token_endpoint_auth_signing_alg_values_supported: list[str]
    scopes_supported: list[str]
    capabilities: list[str] | None = None
