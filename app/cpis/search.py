"""Parsing a Flag search: which NHS number, and whether the request declares itself
unscheduled (CP-IS consumer API headers, facts B6)."""

from app.fhir.errors import InvalidSearchData, InvalidValue
from cci_common.identifiers import nhs_number
from cci_common.identifiers.nhs_number import NHSNumber
from cci_common.operation_outcome import SpineCode

_TRUE, _FALSE = frozenset({"true"}), frozenset({"false"})


def search_number(patient: str | None, subject_identifier: str | None) -> NHSNumber:
    """The NHS number from `patient` (`9000000009` or `Patient/9000000009`) or
    `subject:identifier` (`https://fhir.nhs.uk/Id/nhs-number|9000000009`); exactly one."""
    if (patient is None) == (subject_identifier is None):
        raise InvalidSearchData(
            "Search by exactly one of patient=<NHS number> or "
            f"subject:identifier={nhs_number.SYSTEM}|<NHS number>",
            expression=["patient"],
        )
    if patient is not None:
        value = patient.removeprefix("Patient/")
    else:
        system, _, value = (subject_identifier or "").partition("|")
        if system != nhs_number.SYSTEM:
            raise InvalidSearchData(
                f"subject:identifier must use the system {nhs_number.SYSTEM}",
                expression=["subject:identifier"],
            )
    parsed = nhs_number.parse(value)
    if parsed is None:
        raise InvalidSearchData("Invalid NHS number", expression=["patient"])
    return parsed


def access_flag(header: str | None) -> bool | None:
    """`IsUnscheduledAccessEvent`: true, false or absent (None); anything else is refused."""
    if header is None:
        return None
    value = header.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidValue(
        "Missing or invalid header parameter: IsUnscheduledAccessEvent must be true or false",
        expression=["header.IsUnscheduledAccessEvent"],
        spine_code=SpineCode.PRECONDITION_FAILED,
    )
