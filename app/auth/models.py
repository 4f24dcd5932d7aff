"""Client registry, client-assertion replay store and the gateway's signing keys."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.scopes import AgencyRole, grant
from app.db import Base


class ClientStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


def _enum(enum: type[StrEnum]) -> Enum:
    return Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class OAuthClient(Base):
    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ods_code: Mapped[str] = mapped_column(String(10), index=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[AgencyRole] = mapped_column(_enum(AgencyRole))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[ClientStatus] = mapped_column(_enum(ClientStatus), default=ClientStatus.ACTIVE)
    # Public keys only ({"keys": [...]}, each with a kid); several during a rotation.
    jwks: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    # authlib's client protocol, used by the RFC 7523 authenticator and RFC 9068 generator.
    def get_client_id(self) -> str:
        return self.id

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_assertion_jwt" and endpoint == "token"

    def get_allowed_scope(self, scope: str | None) -> str:
        """RFC 6749 §3.3: requested ∩ allowed (SMART v2 narrowing); all allowed if none asked."""
        return " ".join(sorted(grant(scope, frozenset(self.scopes))))


class UsedAssertion(Base):
    """`jti`s of accepted client assertions, kept until the assertion expires (RFC 7523 §3)."""

    __tablename__ = "used_client_assertions"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SigningKey(Base):
    """The gateway's access-token signing keys; the newest signs, all verify (rotation)."""

    __tablename__ = "gateway_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
