"""R4 AuditEvent as this gateway emits it, per audience.

Social care (reading events about its own records) sees who looked, from which
organisation, when, why and what they did. Admin sees the same plus the
client system, the request id and the outcome detail (for investigations).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.audit.models import AuditEventRow
from app.auth.principal import PURPOSE_OF_USE_SYSTEM
from app.fhir.schemas import CodeableConcept, Coding

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
CLIENT_ID_SYSTEM = "https://cci-gateway.example.org/Id/client-id"
END_USER_SYSTEM = "https://cci-gateway.example.org/Id/end-user"
REQUEST_ID_SYSTEM = "https://cci-gateway.example.org/Id/request-id"
EVENT_TYPE = Coding(
    system="http://terminology.hl7.org/CodeSystem/audit-event-type",
    code="rest",
    display="RESTful Operation",
)
LOGIN_TYPE = Coding(system="http://dicom.nema.org/resources/ontology/DCM", code="110114")
INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction"
# FHIR's mapping of RESTful interactions to AuditEvent.action (search is Execute).
ACTION_CODES = {
    "create": "C", "read": "R", "search": "E", "update": "U",
    "delete": "D", "execute": "E", "login": "E",
}  # fmt: skip
SUBTYPES = {"read": "read", "search": "search-type", "create": "create", "update": "update"}


class Identifier(BaseModel):
    system: str | None = None
    value: str


class Reference(BaseModel):
    type: str | None = None
    identifier: Identifier | None = None
    display: str | None = None


class Agent(BaseModel):
    type: CodeableConcept | None = None
    role: list[CodeableConcept] | None = None
    who: Reference
    requestor: bool


class Source(BaseModel):
    observer: Reference
    type: list[Coding] | None = None


class Entity(BaseModel):
    what: Reference
    type: Coding | None = None
    role: Coding | None = None
    description: str | None = None


class AuditEvent(BaseModel):
    model_config = ConfigDict(title="AuditEvent")

    resourceType: str = "AuditEvent"  # noqa: N815 - FHIR element names
    id: str
    type: Coding
    subtype: list[Coding] | None = None
    action: str
    recorded: str
    outcome: str
    outcomeDesc: str | None = None  # noqa: N815
    purposeOfEvent: list[CodeableConcept] | None = None  # noqa: N815
    agent: list[Agent] = Field(min_length=1)
    source: Source
    entity: list[Entity] | None = None


class BundleLink(BaseModel):
    relation: str
    url: str


class AuditEventEntry(BaseModel):
    fullUrl: str  # noqa: N815
    resource: AuditEvent
    search: dict[str, str]


class AuditEventBundle(BaseModel):
    model_config = ConfigDict(title="Bundle")

    resourceType: str = "Bundle"  # noqa: N815
    id: str
    type: str
    timestamp: str
    total: int
    link: list[BundleLink] | None = None
    entry: list[AuditEventEntry] | None = None


def _agents(row: AuditEventRow, *, admin: bool) -> list[Agent]:
    agents = []
    if row.end_user_id:
        agents.append(
            Agent(
                role=[CodeableConcept(text=row.end_user_role)] if row.end_user_role else None,
                who=Reference(
                    type="Practitioner",
                    identifier=Identifier(system=END_USER_SYSTEM, value=row.end_user_id),
                    display=row.end_user_name,
                ),
                requestor=True,
            )
        )
    if row.ods_code:
        agents.append(
            Agent(
                who=Reference(
                    type="Organization",
                    identifier=Identifier(system=ODS_SYSTEM, value=row.ods_code),
                    display=row.organisation_name,
                ),
                requestor=not row.end_user_id,
            )
        )
    if admin or not agents:
        agents.append(
            Agent(
                who=Reference(
                    type="Device",
                    identifier=Identifier(
                        system=CLIENT_ID_SYSTEM, value=row.client_id or "unknown"
                    ),
                ),
                requestor=not agents,
            )
        )
    return agents


def _entities(row: AuditEventRow, *, admin: bool) -> list[Entity] | None:
    entities = []
    if row.resource_id:
        entities.append(
            Entity(
                what=Reference(
                    type="Patient",
                    identifier=Identifier(system=NHS_NUMBER_SYSTEM, value=row.resource_id),
                ),
                type=Coding(
                    system="http://terminology.hl7.org/CodeSystem/audit-entity-type", code="1"
                ),
                role=Coding(system="http://terminology.hl7.org/CodeSystem/object-role", code="1"),
                description=row.resource_type,
            )
        )
    if admin and row.request_id:
        entities.append(
            Entity(
                what=Reference(
                    identifier=Identifier(system=REQUEST_ID_SYSTEM, value=row.request_id)
                ),
                description="request",
            )
        )
    return entities or None


def audit_event(row: AuditEventRow, *, admin: bool) -> AuditEvent:
    purpose = None
    if row.purpose_code:
        coding = Coding(system=PURPOSE_OF_USE_SYSTEM, code=row.purpose_code)
        purpose = [CodeableConcept(coding=[coding], text=row.purpose_text)]
    subtype = SUBTYPES.get(row.action)
    return AuditEvent(
        id=str(row.seq),
        type=LOGIN_TYPE if row.action == "login" else EVENT_TYPE,
        subtype=[Coding(system=INTERACTION_SYSTEM, code=subtype)] if subtype else None,
        action=ACTION_CODES.get(row.action, "E"),
        recorded=row.recorded.isoformat(),
        outcome=row.outcome,
        outcomeDesc=row.detail if admin else None,
        purposeOfEvent=purpose,
        agent=_agents(row, admin=admin),
        source=Source(
            observer=Reference(type="Device", display="CCI Gateway"),
            type=[
                Coding(
                    system="http://terminology.hl7.org/CodeSystem/security-source-type", code="4"
                )
            ],
        ),
        entity=_entities(row, admin=admin),
    )


def entry(base_url: str, event: AuditEvent) -> dict[str, Any]:
    return {
        "fullUrl": f"{base_url}/AuditEvent/{event.id}",
        "resource": event.model_dump(exclude_none=True),
        "search": {"mode": "match"},
    }
