"""Reading patients and their related people."""

from typing import Any

from mock_spine.records import PATIENT_COLUMNS, PatientRow, RelatedPersonRow

# One round trip: the requested row and, when it was merged, the row that superseded it.
RETRIEVE_SQL = f"""
SELECT {", ".join("p." + c.strip() for c in PATIENT_COLUMNS.split(","))},
       s.nhs_number AS s_nhs_number
FROM patient p
LEFT JOIN patient s ON s.nhs_number = p.superseded_by AND s.status = 'active'
WHERE p.nhs_number = $1
"""
SURVIVOR_SQL = f"SELECT {PATIENT_COLUMNS} FROM patient WHERE nhs_number = $1"
MANY_SQL = f"SELECT {PATIENT_COLUMNS} FROM patient WHERE nhs_number = ANY($1::text[])"
RELATED_SQL = """
SELECT id, patient_nhs_number, related_nhs_number, rank, record
FROM related_person WHERE patient_nhs_number = $1 ORDER BY rank, id
"""


async def get_patient(connection: Any, nhs_number: str) -> PatientRow | None:
    row = await connection.fetchrow(RETRIEVE_SQL, nhs_number)
    if row is None:
        return None
    patient = PatientRow.from_mapping(row)
    if patient.status == "superseded" and row["s_nhs_number"]:
        survivor = await connection.fetchrow(SURVIVOR_SQL, row["s_nhs_number"])
        return PatientRow.from_mapping(survivor)
    return patient


async def get_many(connection: Any, nhs_numbers: list[str]) -> dict[str, PatientRow]:
    rows = await connection.fetch(MANY_SQL, nhs_numbers)
    return {row["nhs_number"]: PatientRow.from_mapping(row) for row in rows}


async def related_people(connection: Any, nhs_number: str) -> list[RelatedPersonRow]:
    rows = await connection.fetch(RELATED_SQL, nhs_number)
    return [
        RelatedPersonRow(
            id=row["id"],
            patient_nhs_number=row["patient_nhs_number"],
            related_nhs_number=row["related_nhs_number"],
            rank=row["rank"],
            record=row["record"],
        )
        for row in rows
    ]


async def count_people(connection: Any) -> int:
    count: int = await connection.fetchval("SELECT count(*) FROM patient")
    return count
