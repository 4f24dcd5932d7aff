"""Read an LA's FHIR R4 `Flag` (our CP-IS profile, README "Flag profile") into a `FlagInput`.

Parsing is strict about what a plan needs and names every problem with its
FHIRPath, so an LA can fix a file in one pass; it is plain dict walking rather
than full FHIR model validation because a 10,000-entry batch must stay fast.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.cpis.errors import Reason, reject
from app.cpis.profile import (
    CASE_REFERENCE_SYSTEM,
    CONTACT_PURPOSE_SYSTEM,
    CPP_CATEGORY_SYSTEM,
    ODS_SYSTEM,
    SNOMED,
    AbuseCategory,
    ContactPurpose,
    FlagStatus,
    PlanType,
)
from cci_common.identifiers import nhs_number
from cci_common.identifiers.nhs_number import NHSNumber
from cci_common.operation_outcome import IssueType, Severity, issue

_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Demographics:
    """What the LA holds about the subject; verified against the Spine, never stored."""

    given: str | None
    family: str | None
    birth_date: date | None


@dataclass(frozen=True, slots=True)
class FlagInput:
    resource_id: str | None
    case_reference: str
    nhs_number: NHSNumber
    plan_type: PlanType
    abuse_category: AbuseCategory | None
    period_start: date
    period_end: date | None
    status: FlagStatus
    author_ods: str | None
    la_name: str | None
    office_hours_phone: str | None
    out_of_hours_phone: str | None
    demographics: Demographics


class _Problems:
    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = []

    def add(self, expression: str, diagnostics: str) -> None:
        self.issues.append(
            issue(
                severity=Severity.ERROR,
                code=IssueType.VALUE,
                diagnostics=diagnostics,
                expression=[expression],
            )
        )


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _date(value: Any, where: str, problems: _Problems) -> date | None:
    if value is None:
        return None
    if isinstance(value, str) and _FULL_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(where, f"{where} must be a full date (YYYY-MM-DD)")
    return None


def _contained(resource: dict[str, Any], reference: Any, resource_type: str) -> dict[str, Any]:
    ref = (reference or {}).get("reference") if isinstance(reference, dict) else None
    contained = _list(resource.get("contained"))
    if isinstance(ref, str) and ref.startswith("#"):
        for candidate in contained:
            if candidate.get("id") == ref[1:] and candidate.get("resourceType") == resource_type:
                return candidate
    return next((c for c in contained if c.get("resourceType") == resource_type), {})


def _codes(concept: Any, system: str) -> list[str]:
    if not isinstance(concept, dict):
        return []
    return [
        code
        for coding in _list(concept.get("coding"))
        if coding.get("system") == system and isinstance(code := coding.get("code"), str)
    ]


def _plan_type(resource: dict[str, Any], problems: _Problems) -> PlanType | None:
    codes = _codes(resource.get("code"), SNOMED)
    for code in codes:
        try:
            return PlanType(code)
        except ValueError:
            continue
    allowed = ", ".join(f"{p.value} ({p.display})" for p in PlanType)
    problems.add("Flag.code", f"Flag.code must be one SNOMED CT CP-IS plan type: {allowed}")
    return None


def _abuse_category(resource: dict[str, Any], problems: _Problems) -> AbuseCategory | None:
    for concept in _list(resource.get("category")):
        for code in _codes(concept, CPP_CATEGORY_SYSTEM):
            try:
                return AbuseCategory(code)
            except ValueError:
                allowed = ", ".join(a.value for a in AbuseCategory)
                problems.add("Flag.category", f"Category of abuse must be one of: {allowed}")
    return None


def _case_reference(resource: dict[str, Any], problems: _Problems) -> str:
    for identifier in _list(resource.get("identifier")):
        if identifier.get("system") == CASE_REFERENCE_SYSTEM:
            value = _text(identifier.get("value"))
            if value and len(value) <= 64:
                return value
    problems.add(
        "Flag.identifier",
        f"The LA case reference (system {CASE_REFERENCE_SYSTEM}, at most 64 characters) "
        "is required",
    )
    return ""


def _contacts(organisation: dict[str, Any]) -> dict[ContactPurpose, str]:
    found: dict[ContactPurpose, str] = {}
    for contact in _list(organisation.get("contact")):
        for code in _codes(contact.get("purpose"), CONTACT_PURPOSE_SYSTEM):
            phone = next(
                (
                    value
                    for telecom in _list(contact.get("telecom"))
                    if telecom.get("system") == "phone"
                    and (value := _text(telecom.get("value"))) is not None
                ),
                None,
            )
            if phone and code in ContactPurpose.__members__.values():
                found[ContactPurpose(code)] = phone[:40]
    return found


def _ods(reference: Any) -> str | None:
    if not isinstance(reference, dict):
        return None
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("system") == ODS_SYSTEM:
        return _text(identifier.get("value"))
    return None


def _organisation_ods(organisation: dict[str, Any]) -> str | None:
    return next(
        (
            _text(i.get("value"))
            for i in _list(organisation.get("identifier"))
            if i.get("system") == ODS_SYSTEM
        ),
        None,
    )


def _demographics(patient: dict[str, Any], problems: _Problems) -> Demographics:
    names = _list(patient.get("name"))
    name = next((n for n in names if n.get("use") in (None, "usual", "official")), {})
    given_parts = [g for g in name.get("given") or [] if isinstance(g, str) and g.strip()]
    return Demographics(
        given=" ".join(given_parts) or None,
        family=_text(name.get("family")),
        birth_date=_date(patient.get("birthDate"), "Flag.contained.Patient.birthDate", problems),
    )


def _subject_number(resource: dict[str, Any], patient: dict[str, Any]) -> NHSNumber:
    subject = resource.get("subject")
    identifier = subject.get("identifier") if isinstance(subject, dict) else None
    value = None
    if isinstance(identifier, dict) and identifier.get("system") == nhs_number.SYSTEM:
        value = _text(identifier.get("value"))
    if value is None:
        value = next(
            (
                _text(i.get("value"))
                for i in _list(patient.get("identifier"))
                if i.get("system") == nhs_number.SYSTEM
            ),
            None,
        )
    if value is None:
        raise reject(
            Reason.INVALID_NHS_NUMBER,
            f"Flag.subject.identifier must carry the subject's NHS number ({nhs_number.SYSTEM})",
            expression=["Flag.subject.identifier"],
        )
    result = nhs_number.validate(value)
    if not result.valid or not result.normalised:
        raise reject(
            Reason.INVALID_NHS_NUMBER,
            f"Invalid NHS number: {result.reason}",
            expression=["Flag.subject.identifier.value"],
        )
    return NHSNumber(result.normalised)


def parse_flag(resource: Any) -> FlagInput:
    """A validated `FlagInput`, or a FlagRejected naming every problem found."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Flag":
        raise reject(Reason.INVALID_FLAG, "The body must be a FHIR R4 Flag resource")
    problems = _Problems()
    patient = _contained(resource, resource.get("subject"), "Patient")
    number = _subject_number(resource, patient)
    organisation = _contained(resource, resource.get("author"), "Organization")
    contacts = _contacts(organisation)
    status_text = resource.get("status")
    status = FlagStatus(status_text) if status_text in set(FlagStatus) else None
    if status is None:
        problems.add("Flag.status", "Flag.status must be active, inactive or entered-in-error")
    raw_period = resource.get("period")
    period: dict[str, Any] = raw_period if isinstance(raw_period, dict) else {}
    if period.get("start") is None:
        problems.add("Flag.period.start", "Flag.period.start (the plan's start date) is required")
    start = _date(period.get("start"), "Flag.period.start", problems)
    end = _date(period.get("end"), "Flag.period.end", problems)
    plan_type = _plan_type(resource, problems)
    case_reference = _case_reference(resource, problems)
    abuse_category = _abuse_category(resource, problems)
    demographics = _demographics(patient, problems)
    if problems.issues or plan_type is None or status is None or start is None:
        first, *rest = problems.issues
        raise reject(
            Reason.INVALID_FLAG,
            first.get("diagnostics", "Invalid Flag"),
            expression=first.get("expression"),
            extra_issues=rest,
        )
    if end is not None and end < start:
        raise reject(
            Reason.END_BEFORE_START,
            f"The plan's end date {end.isoformat()} is before its start date {start.isoformat()}",
            expression=["Flag.period.end"],
        )
    resource_id = resource.get("id")
    return FlagInput(
        resource_id=resource_id if isinstance(resource_id, str) else None,
        case_reference=case_reference,
        nhs_number=number,
        plan_type=plan_type,
        abuse_category=abuse_category,
        period_start=start,
        period_end=end,
        status=status,
        author_ods=_ods(resource.get("author")),
        la_name=_text(organisation.get("name"))
        or _text((resource.get("author") or {}).get("display")),
        office_hours_phone=contacts.get(ContactPurpose.OFFICE_HOURS),
        out_of_hours_phone=contacts.get(ContactPurpose.OUT_OF_HOURS),
        demographics=demographics,
    )
