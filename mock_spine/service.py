"""Retrieve, search and related-people services: the PDS read rules."""

from typing import Any

from cci_common.identifiers import nhs_number
from cci_common.operation_outcome import IssueType, Severity, SpineCode
from mock_spine.errors import SpineError
from mock_spine.records import PatientRow
from mock_spine.render import render_related_person, search_entry, searchset
from mock_spine.repository import patients as repository
from mock_spine.search.params import parse_search
from mock_spine.search.service import search


def _checked_number(value: str) -> str:
    # PDS path ids must be exactly ten digits that pass modulus 11.
    if len(value) != 10 or not value.isdigit() or not nhs_number.is_valid(value):
        raise SpineError(IssueType.VALUE, SpineCode.INVALID_RESOURCE_ID)
    return value


async def retrieve(connection: Any, value: str) -> PatientRow:
    row = await repository.get_patient(connection, _checked_number(value))
    if row is None:
        raise SpineError(
            IssueType.NOT_FOUND,
            SpineCode.RESOURCE_NOT_FOUND,
            status=404,
            severity=Severity.INFORMATION,
        )
    if row.status != "active":
        # Invalidated and not superseded (or superseded by a record that is itself gone).
        raise SpineError(IssueType.PROCESSING, SpineCode.INVALIDATED_RESOURCE, status=404)
    return row


async def search_patients(
    connection: Any, items: list[tuple[str, str]], full_url_base: str
) -> dict[str, Any]:
    query = parse_search(items)
    matches = await search(connection, query)
    return searchset([search_entry(m.row, m.score, full_url_base) for m in matches])


async def related_people(connection: Any, value: str, full_url_base: str) -> dict[str, Any]:
    patient = await retrieve(connection, value)
    if patient.security != "U":
        # A restricted patient's related people would reveal where they are.
        return searchset([])
    rows = await repository.related_people(connection, patient.nhs_number)
    return searchset(
        [render_related_person(row, patient.nhs_number, full_url_base) for row in rows]
    )
