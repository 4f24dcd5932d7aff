"""OpenAPI shapes of what the CP-IS routes return, one per audience (minimal disclosure).

The routes build FHIR JSON with `render` and return it directly; these models
document it. A care setting's Flag has no LA case reference; the owner's has.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.fhir.schemas import CodeableConcept


class _FHIR(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Identifier(_FHIR):
    system: str | None = None
    value: str | None = None


class Reference(_FHIR):
    reference: str | None = None
    identifier: Identifier | None = None
    display: str | None = None


class Meta(_FHIR):
    version_id: str = Field(alias="versionId")
    last_updated: str = Field(alias="lastUpdated")
    profile: list[str] | None = None


class Period(_FHIR):
    start: str | None = None
    end: str | None = None


class ContactPoint(_FHIR):
    system: str
    value: str
    use: str | None = None


class OrganizationContact(_FHIR):
    purpose: CodeableConcept
    telecom: list[ContactPoint]


class LocalAuthority(_FHIR):
    """Contained Organization `#la`: the LA's name, ODS code and whom to ring, when."""

    resource_type: Literal["Organization"] = Field(alias="resourceType")
    id: str
    identifier: list[Identifier]
    name: str
    contact: list[OrganizationContact]


class FlagForCareSetting(_FHIR):
    """A child protection plan as a care setting, police or another LA sees it."""

    model_config = ConfigDict(title="Flag (care setting view)")

    resource_type: Literal["Flag"] = Field(alias="resourceType")
    id: str
    meta: Meta
    contained: list[LocalAuthority]
    status: Literal["active", "inactive", "entered-in-error"]
    category: list[CodeableConcept]
    code: CodeableConcept
    subject: Reference
    period: Period
    author: Reference


class CaseReference(Identifier):
    assigner: Reference | None = None


class FlagForOwner(FlagForCareSetting):
    """A plan as the LA that wrote it sees it: adds the LA's own case reference."""

    model_config = ConfigDict(title="Flag (owning LA view)")

    identifier: list[CaseReference]


class BundleLink(_FHIR):
    relation: str
    url: str


class SearchEntry(_FHIR):
    full_url: str | None = Field(default=None, alias="fullUrl")
    resource: dict[str, Any] = Field(
        description="Flag (mode match), AuditEvent access history (mode include), or the "
        "OperationOutcome stating that no flag is not evidence of safety (mode outcome)"
    )
    search: dict[str, Any]


class FlagSearchBundle(_FHIR):
    """searchset: current plans, optionally their access history, and the safety statement."""

    model_config = ConfigDict(title="Bundle (Flag searchset)")

    resource_type: Literal["Bundle"] = Field(alias="resourceType")
    type: Literal["searchset"]
    total: int
    timestamp: str | None = None
    link: list[BundleLink] | None = None
    entry: list[SearchEntry] | None = None


class BatchResponseEntry(_FHIR):
    response: dict[str, Any] = Field(
        description="status, location, etag, lastModified; or outcome (OperationOutcome)"
    )
    resource: dict[str, Any] | None = None


class BatchResponseBundle(_FHIR):
    """One entry per request entry, in the same order, each with its own status."""

    model_config = ConfigDict(title="Bundle (batch-response)")

    resource_type: Literal["Bundle"] = Field(alias="resourceType")
    type: Literal["batch-response"]
    entry: list[BatchResponseEntry]


class SubscriptionChannel(_FHIR):
    type: Literal["rest-hook"]
    endpoint: str | None = None
    payload: str | None = None
    header: list[str] | None = Field(
        default=None, description="Returned with values withheld: they hold your credentials"
    )


class SubscriptionModel(_FHIR):
    """A FHIR R4 Subscription for notifications about the LA's own plans."""

    model_config = ConfigDict(title="Subscription")

    resource_type: Literal["Subscription"] = Field(alias="resourceType")
    id: str
    meta: Meta
    status: str
    reason: str
    criteria: str
    error: str | None = None
    end: str | None = None
    channel: SubscriptionChannel


class SubscriptionBundle(_FHIR):
    model_config = ConfigDict(title="Bundle (Subscription searchset)")

    resource_type: Literal["Bundle"] = Field(alias="resourceType")
    type: Literal["searchset"]
    total: int
    entry: list[SearchEntry] | None = None


class NotificationFeed(_FHIR):
    """history Bundle of notification AuditEvents, oldest first; `next` carries the cursor."""

    model_config = ConfigDict(title="Bundle (notification feed)")

    resource_type: Literal["Bundle"] = Field(alias="resourceType")
    type: Literal["history"]
    total: int
    link: list[BundleLink]
    entry: list[SearchEntry] | None = None
