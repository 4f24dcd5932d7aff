"""What each agency role is shown of a Spine Patient (issue 5, item 5).

Fields are copied in by name into the audience's schema, never filtered out of
the Spine's record, so anything the Spine adds later stays behind by default.
"""

from typing import Any

from app.auth.scopes import AgencyRole
from app.trace.schemas import (
    Address,
    Coding,
    ContactPoint,
    DisclosedPatient,
    HumanName,
    Identifier,
    Meta,
    OrganizationReference,
    PatientCareView,
    PatientIdentity,
    Period,
)
from app.trace.spine_models import SpinePatient
from cci_common.identifiers import nhs_number

CARE_ROLES = frozenset(
    {
        AgencyRole.HEALTH_UNSCHEDULED,
        AgencyRole.HEALTH_SCHEDULED,
        AgencyRole.SOCIAL_CARE,
        AgencyRole.POLICE,
    }
)
# Previous surnames are left out for everyone: they can reveal an adoption.
CURRENT_NAME_USES = frozenset({"usual", "nickname", None})


def _pick(source: Any, *keys: str) -> dict[str, Any]:
    if not isinstance(source, dict):
        return {}
    return {key: source[key] for key in keys if source.get(key) not in (None, [], "")}


def _list(resource: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [item for item in resource.get(key) or [] if isinstance(item, dict)]


def _names(resource: dict[str, Any], uses: frozenset[str | None]) -> list[HumanName] | None:
    names = [
        HumanName(**_pick(n, "use", "family", "given", "prefix", "suffix"))
        for n in _list(resource, "name")
        if n.get("use") in uses
    ]
    return names or None


def _identifiers(patient: SpinePatient) -> list[Identifier]:
    return [Identifier(system=nhs_number.SYSTEM, value=patient.nhs_number)]


def identity_view(patient: SpinePatient) -> PatientIdentity:
    resource = patient.resource
    return PatientIdentity(
        id=patient.nhs_number,
        identifier=_identifiers(patient),
        name=_names(resource, frozenset({"usual", None})),
        birthDate=resource.get("birthDate"),
    )


def care_view(patient: SpinePatient) -> PatientCareView:
    resource = patient.resource
    meta: dict[str, Any] = resource["meta"] if isinstance(resource.get("meta"), dict) else {}
    security = [Coding(**_pick(c, "system", "code", "display")) for c in _list(meta, "security")]
    view = PatientCareView(
        id=patient.nhs_number,
        meta=Meta(versionId=patient.version, security=security or None),
        identifier=_identifiers(patient),
        name=_names(resource, CURRENT_NAME_USES),
        gender=resource.get("gender"),
        birthDate=resource.get("birthDate"),
        deceasedDateTime=resource.get("deceasedDateTime"),
        multipleBirthInteger=resource.get("multipleBirthInteger"),
    )
    if patient.restricted:
        # Sensitive records: where the child lives and how to reach them never leave.
        return view
    view.address = [
        Address(
            **_pick(a, "use", "line", "city", "district", "postalCode"),
            period=Period(**_pick(a.get("period"), "start", "end")) if a.get("period") else None,
        )
        for a in _list(resource, "address")
    ] or None
    view.telecom = [
        ContactPoint(**_pick(t, "system", "value", "use")) for t in _list(resource, "telecom")
    ] or None
    view.generalPractitioner = [
        OrganizationReference(
            type=gp.get("type"),
            identifier=Identifier(**_pick(gp.get("identifier"), "system", "value")),
        )
        for gp in _list(resource, "generalPractitioner")
        if _pick(gp.get("identifier"), "system", "value").keys() == {"system", "value"}
    ] or None
    return view


def disclose(patient: SpinePatient, role: AgencyRole) -> DisclosedPatient:
    """The view of `patient` that `role` may see; identity only unless a care role."""
    return care_view(patient) if role in CARE_ROLES else identity_view(patient)
