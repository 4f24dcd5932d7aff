"""Bulk writes: COPY people into the tables, and drop/rebuild the search indexes around it."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex

from mock_spine.generator import model
from mock_spine.generator.model import Person
from mock_spine.models import SEARCH_INDEXES

TABLES = (
    ("patient", model.PATIENT_COPY_COLUMNS, model.patient_row),
    ("search_name", model.NAME_COPY_COLUMNS, model.name_rows),
    ("search_address", model.ADDRESS_COPY_COLUMNS, model.address_rows),
    ("search_telecom", model.TELECOM_COPY_COLUMNS, model.telecom_rows),
    ("related_person", model.RELATED_COPY_COLUMNS, model.related_rows),
)


async def copy_people(connection: Any, people: Iterable[Person]) -> int:
    """COPY every person's rows; returns the number of patient rows written."""
    batches: dict[str, list[tuple[Any, ...]]] = {table: [] for table, _, _ in TABLES}
    for person in people:
        batches["patient"].append(model.patient_row(person))
        batches["search_name"].extend(model.name_rows(person))
        batches["search_address"].extend(model.address_rows(person))
        batches["search_telecom"].extend(model.telecom_rows(person))
        batches["related_person"].extend(model.related_rows(person))
    for table, columns, _ in TABLES:
        if batches[table]:
            await connection.copy_records_to_table(
                table, records=batches[table], columns=list(columns)
            )
    return len(batches["patient"])


async def delete_people(connection: Any, nhs_numbers: list[str]) -> None:
    for table, column in (
        ("search_name", "nhs_number"), ("search_address", "nhs_number"),
        ("search_telecom", "nhs_number"), ("related_person", "patient_nhs_number"),
        ("patient", "nhs_number"),
    ):  # fmt: skip
        await connection.execute(
            f"DELETE FROM {table} WHERE {column} = ANY($1::text[])", nhs_numbers
        )


def _create_sql() -> list[str]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [str(CreateIndex(index).compile(dialect=dialect)) for index in SEARCH_INDEXES]


async def drop_search_indexes(connection: Any) -> None:
    for index in SEARCH_INDEXES:
        await connection.execute(f'DROP INDEX IF EXISTS "{index.name}"')


async def create_search_indexes(connection: Any) -> None:
    for statement in _create_sql():
        await connection.execute(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
    await connection.execute("ANALYZE")


async def seeded(connection: Any) -> bool:
    found = await connection.fetchval("SELECT 1 FROM seed_run LIMIT 1")
    return bool(found)


async def record_seed(connection: Any, seed: int, size: int, seconds: float) -> None:
    await connection.execute(
        "INSERT INTO seed_run (seed, size, seconds) VALUES ($1, $2, $3)", seed, size, seconds
    )
