"""Flags and access events as FHIR R4 JSON, one builder per audience (minimal disclosure).

Built as plain dicts on the read hot path; tests validate them against the R4B models.
- owner (the LA that wrote the plan): everything, including its case reference.
- reader (care settings, police, other LAs): the plan and whom to ring, no case reference.
"""

from datetime import date, datetime, timedelta
from typing import Any

from app.cpis.models import AccessEvent, Flag
from app.cpis.profile import (
    AUTHOR_CONTAINED_ID,
    CASE_REFERENCE_SYSTEM,
    CONTACT_PURPOSE_SYSTEM,
    CPP_CATEGORY_SYSTEM,
    FLAG_CATEGORY_SYSTEM,
    ODS_SYSTEM,
    PROFILE_URL,
    SNOMED,
    ContactPurpose,
    FlagStatus,
    PlanType,
)
from app.cpis.rules import is_current
from cci_common.identifiers import nhs_number

DICOM = "http://dicom.nema.org/resources/ontology/DCM"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def _contact(purpose: ContactPurpose, phone: str) -> dict[str, Any]:
    return {
        "purpose": {
            "coding": [
                {
                    "system": CONTACT_PURPOSE_SYSTEM,
                    "code": purpose.value,
                    "display": purpose.display,
                }
            ]
        },
        "telecom": [{"system": "phone", "value": phone, "use": "work"}],
    }


def _local_authority(flag: Flag) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": AUTHOR_CONTAINED_ID,
        "identifier": [{"system": ODS_SYSTEM, "value": flag.owner_ods}],
        "name": flag.owner_name,
        "contact": [
            _contact(ContactPurpose.OFFICE_HOURS, flag.office_hours_phone),
            _contact(ContactPurpose.OUT_OF_HOURS, flag.out_of_hours_phone),
        ],
    }


def effective_status(flag: Flag, today: date) -> str:
    """Stored status, except that a plan past its end date or the child's 18th is inactive."""
    if flag.status == FlagStatus.ACTIVE and not is_current(
        flag.status, flag.period_end, flag.adult_on, today
    ):
        return FlagStatus.INACTIVE.value
    return flag.status


def _period(flag: Flag) -> dict[str, str]:
    period = {"start": flag.period_start.isoformat()}
    end = flag.period_end
    if flag.adult_on is not None and (end is None or end >= flag.adult_on):
        end = flag.adult_on - timedelta(days=1)
    if end is not None:
        period["end"] = end.isoformat()
    return period


def _categories(flag: Flag) -> list[dict[str, Any]]:
    categories: list[dict[str, Any]] = [
        {"coding": [{"system": FLAG_CATEGORY_SYSTEM, "code": "safety", "display": "Safety"}]}
    ]
    if flag.abuse_category:
        categories.append(
            {"coding": [{"system": CPP_CATEGORY_SYSTEM, "code": flag.abuse_category}]}
        )
    return categories


def flag_for_reader(flag: Flag, today: date) -> dict[str, Any]:
    """What a care setting sees: the plan, the child's NHS number and the LA to ring."""
    plan = PlanType(flag.plan_type)
    return {
        "resourceType": "Flag",
        "id": str(flag.id),
        "meta": {
            "versionId": str(flag.version_id),
            "lastUpdated": _instant(flag.last_updated),
            "profile": [PROFILE_URL],
        },
        "contained": [_local_authority(flag)],
        "status": effective_status(flag, today),
        "category": _categories(flag),
        "code": {
            "coding": [{"system": SNOMED, "code": plan.value, "display": plan.display}],
            "text": plan.display,
        },
        "subject": {
            "reference": f"Patient/{flag.nhs_number}",
            "identifier": {"system": nhs_number.SYSTEM, "value": flag.nhs_number},
        },
        "period": _period(flag),
        "author": {
            "reference": f"#{AUTHOR_CONTAINED_ID}",
            "identifier": {"system": ODS_SYSTEM, "value": flag.owner_ods},
            "display": flag.owner_name,
        },
    }


def flag_for_owner(flag: Flag, today: date) -> dict[str, Any]:
    """What the owning LA sees: the reader's view plus its own case reference."""
    resource = flag_for_reader(flag, today)
    resource["identifier"] = [
        {
            "system": CASE_REFERENCE_SYSTEM,
            "value": flag.case_reference,
            "assigner": {"identifier": {"system": ODS_SYSTEM, "value": flag.owner_ods}},
        }
    ]
    return resource


def access_audit_event(event: AccessEvent) -> dict[str, Any]:
    """One access-history entry as an R4 AuditEvent (CP-IS consumer API mapping, facts B6)."""
    who: dict[str, Any] = {"display": event.user_name or "Unnamed user"}
    if event.user_id:
        who["identifier"] = {"value": event.user_id}
    agent: dict[str, Any] = {
        "type": {"text": event.reader_role},
        "who": who,
        "requestor": True,
    }
    if event.job_title:
        agent["role"] = [{"text": event.job_title}]
    return {
        "resourceType": "AuditEvent",
        "id": f"access-{event.id}",
        "type": {"system": DICOM, "code": "110110", "display": "Patient Record"},
        "subtype": [{"system": RESTFUL_INTERACTION, "code": "search-type"}],
        "action": "R",
        "recorded": _instant(event.recorded_at),
        "outcome": "0",
        "agent": [
            agent,
            {
                "type": {"text": "organisation"},
                "who": {
                    "identifier": {"system": ODS_SYSTEM, "value": event.reader_ods},
                    "display": event.reader_org_name,
                },
                "requestor": False,
            },
        ],
        "source": {"observer": {"display": "CCI Gateway"}},
        "entity": [
            {"what": {"reference": f"Flag/{event.flag_id}"}},
            {
                "what": {
                    "reference": f"Patient/{event.nhs_number}",
                    "identifier": {"system": nhs_number.SYSTEM, "value": event.nhs_number},
                }
            },
        ],
    }
