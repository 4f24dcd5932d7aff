"""A generated person and the table rows it becomes.

`Person` holds FHIR-shaped names, addresses and telecoms; `rows()` turns it into
the `patient` row and the normalised `search_*` rows, so the sandbox patients,
the synthetic population and /_admin all write the same way.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mock_spine import normalise

PATIENT_COPY_COLUMNS = (
    "nhs_number", "status", "superseded_by", "security", "version_id", "gender", "birth_date",
    "death_date", "death_notification", "multiple_birth", "gp_ods", "household_id", "record",
)  # fmt: skip
NAME_COPY_COLUMNS = ("nhs_number", "use", "current", "family", "given", "given_rest", "birth_date")
ADDRESS_COPY_COLUMNS = ("nhs_number", "current", "postcode")
TELECOM_COPY_COLUMNS = ("nhs_number", "system", "current", "value")
RELATED_COPY_COLUMNS = ("id", "patient_nhs_number", "related_nhs_number", "rank", "record")


@dataclass
class Related:
    id: str
    related_nhs_number: str | None
    rank: int
    record: dict[str, Any]


@dataclass
class Person:
    nhs_number: str
    gender: str | None
    birth_date: date | None
    names: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    telecom: list[dict[str, Any]] = field(default_factory=list)
    status: str = "active"
    superseded_by: str | None = None
    security: str = "U"
    version_id: int = 1
    death_date: date | None = None
    death_notification: str | None = None
    multiple_birth: int | None = None
    gp_ods: str | None = None
    gp_start: str | None = None
    household_id: int | None = None
    contact: list[dict[str, Any]] = field(default_factory=list)
    extension: list[dict[str, Any]] = field(default_factory=list)
    managing_organization: dict[str, Any] | None = None
    related: list[Related] = field(default_factory=list)

    @property
    def usual_name(self) -> dict[str, Any] | None:
        return next((n for n in self.names if n["use"] == "usual" and _current(n)), None)

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = {}
        if self.names:
            record["name"] = self.names
        if self.addresses:
            record["address"] = self.addresses
        if self.telecom:
            record["telecom"] = self.telecom
        if self.contact:
            record["contact"] = self.contact
        if self.extension:
            record["extension"] = self.extension
        if self.gp_ods:
            record["generalPractitioner"] = [gp_reference(self.gp_ods, self.gp_start)]
        if self.managing_organization:
            record["managingOrganization"] = self.managing_organization
        return record


def _current(item: dict[str, Any]) -> bool:
    return not item.get("period", {}).get("end")


def gp_reference(ods: str, start: str | None) -> dict[str, Any]:
    identifier: dict[str, Any] = {"system": "https://fhir.nhs.uk/Id/ods-organization-code"}
    identifier["value"] = ods
    if start:
        identifier["period"] = {"start": start}
    return {"id": f"GP{ods}", "type": "Organization", "identifier": identifier}


def patient_row(person: Person) -> tuple[Any, ...]:
    return (
        person.nhs_number, person.status, person.superseded_by, person.security,
        person.version_id, person.gender, person.birth_date, person.death_date,
        person.death_notification, person.multiple_birth, person.gp_ods, person.household_id,
        person.record(),
    )  # fmt: skip


def name_rows(person: Person) -> list[tuple[Any, ...]]:
    rows = []
    for name in person.names:
        given = name.get("given") or []
        rest = " ".join(filter(None, (normalise.name(g) for g in given[1:])))
        rows.append(
            (
                person.nhs_number,
                name["use"],
                _current(name),
                normalise.name(name.get("family")),
                normalise.name(given[0]) if given else None,
                rest or None,
                person.birth_date,
            )
        )
    return rows


def address_rows(person: Person) -> list[tuple[Any, ...]]:
    return [
        (person.nhs_number, _current(a), normalise.postcode(a["postalCode"]))
        for a in person.addresses
        if a.get("postalCode")
    ]


def telecom_rows(person: Person) -> list[tuple[Any, ...]]:
    return [
        (person.nhs_number, t["system"], _current(t), normalise.telecom(t["system"], t["value"]))
        for t in person.telecom
        if t["system"] in ("phone", "email")
    ]


def related_rows(person: Person) -> list[tuple[Any, ...]]:
    return [
        (r.id, person.nhs_number, r.related_nhs_number, r.rank, r.record) for r in person.related
    ]
