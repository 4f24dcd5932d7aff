"""AuditEvent search parameters (FHIR R4 search.html): patient, entity-identifier,
date (with prefixes), agent, _count and an opaque paging cursor."""

from datetime import UTC, date, datetime, timedelta

from app.audit.repository import AuditQuery
from app.audit.schemas import NHS_NUMBER_SYSTEM
from app.fhir.errors import InvalidSearchData
from cci_common.identifiers import nhs_number

DEFAULT_COUNT = 50
MAX_COUNT = 200
PREFIXES = ("eq", "gt", "lt", "ge", "le", "sa", "eb")
AGENT_TYPES = ("Device", "Organization", "Practitioner")


def _nhs_number(value: str, parameter: str) -> str:
    parsed = nhs_number.parse(value)
    if parsed is None:
        raise InvalidSearchData(
            f"Invalid value - '{value[:20]}' in field '{parameter}'", expression=[parameter]
        )
    return parsed


def _patient(patient: str | None, entity_identifier: str | None) -> str | None:
    found = []
    if patient:
        found.append(_nhs_number(patient.removeprefix("Patient/"), "patient"))
    if entity_identifier:
        system, _, value = entity_identifier.rpartition("|")
        if system and system != NHS_NUMBER_SYSTEM:
            raise InvalidSearchData(
                f"entity-identifier system must be {NHS_NUMBER_SYSTEM}",
                expression=["entity-identifier"],
            )
        found.append(_nhs_number(value, "entity-identifier"))
    if len(set(found)) > 1:
        raise InvalidSearchData("patient and entity-identifier name different patients")
    return found[0] if found else None


def _date_bounds(value: str) -> list[tuple[str, datetime]]:
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    try:
        if len(text) == 10:
            start = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
            end = start + timedelta(days=1)
        else:
            start = end = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if start.tzinfo is None:
                raise ValueError("a time needs a time zone")
    except ValueError:
        raise InvalidSearchData(
            f"Invalid value - '{value[:40]}' in field 'date'", expression=["date"]
        ) from None
    if prefix == "eq":
        return [("ge", start), ("lt" if end != start else "le", end)]
    if prefix in ("gt", "sa"):
        return [("ge" if end != start else "gt", end)]
    if prefix == "ge":
        return [("ge", start)]
    if prefix in ("lt", "eb"):
        return [("lt", start)]
    return [("lt" if end != start else "le", end)]  # le


def audit_query(
    *,
    patient: str | None,
    entity_identifier: str | None,
    dates: list[str],
    agent: str | None,
    count: int | None,
    cursor: int | None,
) -> AuditQuery:
    agent_type = None
    if agent and "/" in agent:
        agent_type, _, agent = agent.partition("/")
        if agent_type not in AGENT_TYPES:
            raise InvalidSearchData(
                f"agent must be one of {', '.join(AGENT_TYPES)}/<id>", expression=["agent"]
            )
    return AuditQuery(
        patient=_patient(patient, entity_identifier),
        dates=tuple(bound for value in dates for bound in _date_bounds(value)),
        agent=agent or None,
        agent_type=agent_type,
        count=min(count or DEFAULT_COUNT, MAX_COUNT),
        before_seq=cursor,
    )
