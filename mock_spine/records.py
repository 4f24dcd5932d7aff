"""Typed rows the repositories return and the renderers read."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class PatientRow:
    nhs_number: str
    status: str
    superseded_by: str | None
    security: str
    version_id: int
    gender: str | None
    birth_date: date | None
    death_date: date | None
    death_notification: str | None
    multiple_birth: int | None
    gp_ods: str | None
    record: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, row: Any) -> "PatientRow":
        return cls(
            nhs_number=row["nhs_number"],
            status=row["status"],
            superseded_by=row["superseded_by"],
            security=row["security"],
            version_id=row["version_id"],
            gender=row["gender"],
            birth_date=row["birth_date"],
            death_date=row["death_date"],
            death_notification=row["death_notification"],
            multiple_birth=row["multiple_birth"],
            gp_ods=row["gp_ods"],
            record=row["record"] or {},
        )


PATIENT_COLUMNS = (
    "nhs_number, status, superseded_by, security, version_id, gender, birth_date, "
    "death_date, death_notification, multiple_birth, gp_ods, record"
)


@dataclass(frozen=True, slots=True)
class RelatedPersonRow:
    id: str
    patient_nhs_number: str
    related_nhs_number: str | None
    rank: int
    record: dict[str, Any]
