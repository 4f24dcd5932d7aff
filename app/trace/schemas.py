"""Response schemas per audience: what each agency role may see of a Patient.

Minimal disclosure by type (STYLE.md): education sees identity only (NHS number,
current name, birth date); health, police and social care see the fuller care
view. No schema inherits from another, so a field added for one audience cannot
leak to another. Restricted (R/V) patients' location and contact data never leave,
whoever asks: `disclosure.py` blanks it before these models are built.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", populate_by_name=True)


class Identifier(BaseModel):
    model_config = _STRICT
    system: str
    value: str


class Period(BaseModel):
    model_config = _STRICT
    start: str | None = None
    end: str | None = None


class HumanName(BaseModel):
    model_config = _STRICT
    use: str | None = None
    family: str | None = None
    given: list[str] | None = None
    prefix: list[str] | None = None
    suffix: list[str] | None = None


class Address(BaseModel):
    model_config = _STRICT
    use: str | None = None
    line: list[str] | None = None
    city: str | None = None
    district: str | None = None
    postalCode: str | None = None  # noqa: N815 - FHIR element name
    period: Period | None = None


class ContactPoint(BaseModel):
    model_config = _STRICT
    system: str | None = None
    value: str | None = None
    use: str | None = None


class OrganizationReference(BaseModel):
    model_config = _STRICT
    type: str | None = None
    identifier: Identifier | None = None


class Coding(BaseModel):
    model_config = _STRICT
    system: str | None = None
    code: str | None = None
    display: str | None = None


class Meta(BaseModel):
    model_config = _STRICT
    versionId: str | None = None  # noqa: N815 - FHIR element name
    security: list[Coding] | None = None


class PatientIdentity(BaseModel):
    """Education's view: who the child is, nothing about where they are or who cares for them."""

    model_config = ConfigDict(extra="forbid", title="Patient (identity only)")
    resourceType: Literal["Patient"] = "Patient"  # noqa: N815 - FHIR element name
    id: str
    identifier: list[Identifier]
    name: list[HumanName] | None = None
    birthDate: str | None = None  # noqa: N815 - FHIR element name


class PatientCareView(BaseModel):
    """Health, police and social care: identity plus contact, location and registered GP."""

    model_config = ConfigDict(extra="forbid", title="Patient (care view)")
    resourceType: Literal["Patient"] = "Patient"  # noqa: N815 - FHIR element name
    id: str
    meta: Meta | None = None
    identifier: list[Identifier]
    name: list[HumanName] | None = None
    gender: str | None = None
    birthDate: str | None = None  # noqa: N815 - FHIR element name
    deceasedDateTime: str | None = None  # noqa: N815 - FHIR element name
    multipleBirthInteger: int | None = None  # noqa: N815 - FHIR element name
    address: list[Address] | None = None
    telecom: list[ContactPoint] | None = None
    generalPractitioner: list[OrganizationReference] | None = None  # noqa: N815


DisclosedPatient = PatientIdentity | PatientCareView


class Extension(BaseModel):
    model_config = _STRICT
    url: str
    valueCode: str  # noqa: N815 - FHIR element name


class BundleSearch(BaseModel):
    model_config = _STRICT
    mode: Literal["match", "include", "outcome"]
    score: float | None = None
    extension: list[Extension] | None = None


class BundleLink(BaseModel):
    model_config = _STRICT
    relation: str
    url: str


class OutcomeIssue(BaseModel):
    model_config = ConfigDict(extra="allow")
    severity: str
    code: str
    diagnostics: str | None = None


class OutcomeResource(BaseModel):
    model_config = ConfigDict(extra="allow", title="OperationOutcome (warnings)")
    resourceType: Literal["OperationOutcome"] = "OperationOutcome"  # noqa: N815
    issue: list[OutcomeIssue]


class BundleEntry(BaseModel):
    model_config = _STRICT
    fullUrl: str | None = None  # noqa: N815 - FHIR element name
    resource: PatientCareView | PatientIdentity | OutcomeResource
    search: BundleSearch


class SearchsetBundle(BaseModel):
    """A FHIR searchset Bundle; `$match` entries carry the match-grade extension."""

    model_config = ConfigDict(extra="forbid", title="Bundle (searchset)")
    resourceType: Literal["Bundle"] = "Bundle"  # noqa: N815 - FHIR element name
    id: str
    type: Literal["searchset"] = "searchset"
    timestamp: str
    total: int
    link: list[BundleLink] | None = None
    entry: list[BundleEntry] | None = Field(default=None)
