"""Writes the /_admin developer controls make."""

from typing import Any

from mock_spine.generator import model
from mock_spine.generator.model import Person

SEARCH_TABLES = (
    ("search_name", model.NAME_COPY_COLUMNS, model.name_rows),
    ("search_address", model.ADDRESS_COPY_COLUMNS, model.address_rows),
    ("search_telecom", model.TELECOM_COPY_COLUMNS, model.telecom_rows),
)


async def exists(connection: Any, nhs_number: str) -> bool:
    found = await connection.fetchval("SELECT 1 FROM patient WHERE nhs_number = $1", nhs_number)
    return bool(found)


async def replace_person(connection: Any, person: Person) -> None:
    """Rewrite a patient row and its search rows (related people are left as they are)."""
    await connection.execute("DELETE FROM patient WHERE nhs_number = $1", person.nhs_number)
    for table, _, _ in SEARCH_TABLES:
        await connection.execute(f"DELETE FROM {table} WHERE nhs_number = $1", person.nhs_number)
    await connection.copy_records_to_table(
        "patient", records=[model.patient_row(person)], columns=list(model.PATIENT_COPY_COLUMNS)
    )
    for table, columns, rows in SEARCH_TABLES:
        records = rows(person)
        if records:
            await connection.copy_records_to_table(table, records=records, columns=list(columns))


async def add_related(connection: Any, person: Person) -> None:
    records = model.related_rows(person)
    if records:
        await connection.copy_records_to_table(
            "related_person", records=records, columns=list(model.RELATED_COPY_COLUMNS)
        )


async def set_status(
    connection: Any, nhs_number: str, status: str, superseded_by: str | None = None
) -> None:
    await connection.execute(
        "UPDATE patient SET status = $2, superseded_by = $3, version_id = version_id + 1 "
        "WHERE nhs_number = $1",
        nhs_number,
        status,
        superseded_by,
    )
