"""The LA extract for the accuracy benchmark, from the mock Spine's own generator
(`mock_spine.generator.extract`), as `$match` Parameters with the truth per row."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cci_common.identifiers import nhs_number
from mock_spine.generator.extract import (
    ExtractRow,
    generate_extract,
    read_extract,
    write_extract,
)

GENDERS = {"M": "male", "F": "female", "U": "unknown"}


@dataclass(frozen=True)
class BenchRow:
    record_id: str
    body: dict[str, Any]  # the $match Parameters
    true_nhs_number: str | None
    errors: tuple[str, ...]


def _patient(row: ExtractRow) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient"}
    given = [g for g in [row.forename, *row.middle_names.split()] if g]
    name: dict[str, Any] = {"use": "usual", "family": row.surname} if row.surname else {}
    if given:
        name["given"] = given
    if name:
        patient["name"] = [name]
    if row.date_of_birth:
        patient["birthDate"] = datetime.strptime(row.date_of_birth, "%d/%m/%Y").date().isoformat()
    if row.gender in GENDERS:
        patient["gender"] = GENDERS[row.gender]
    lines = [line for line in (row.address_line_1, row.address_line_2) if line]
    address = {"line": lines, "city": row.town, "postalCode": row.postcode}
    address = {k: v for k, v in address.items() if v}
    if address:
        patient["address"] = [address]
    if row.nhs_number:
        patient["identifier"] = [{"system": nhs_number.SYSTEM, "value": row.nhs_number}]
    return patient


def bench_rows(children: int, seed: int, size: int, cache: Path) -> list[BenchRow]:
    """Generate (or reuse from `cache`) the extract for a Spine seeded with (seed, size)."""
    folder = cache / f"extract_{children}_{seed}_{size}"
    if (folder / "la_extract_truth.csv").exists():
        extract = read_extract(folder)
    else:
        extract = generate_extract(children, seed, size)
        write_extract(extract, folder)
    truth = {t.record_id: t for t in extract.truth}
    return [
        BenchRow(
            row.record_id,
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "resource", "resource": _patient(row)}],
            },
            truth[row.record_id].nhs_number,
            truth[row.record_id].errors,
        )
        for row in extract.rows
    ]
