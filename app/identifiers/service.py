"""Which identifier systems we validate, and how."""

from collections.abc import Callable

from app.fhir.errors import InvalidValue
from cci_common.identifiers import ValidationResult, nhs_number, uln, upn

VALIDATORS: dict[str, Callable[[str], ValidationResult]] = {
    nhs_number.SYSTEM: nhs_number.validate,
    upn.SYSTEM: upn.validate,
    uln.SYSTEM: uln.validate,
}


def validate_identifier(system: str, value: str) -> ValidationResult:
    validator = VALIDATORS.get(system)
    if validator is None:
        known = ", ".join(sorted(VALIDATORS))
        raise InvalidValue(
            f"Unknown identifier system '{system[:200]}'; supported systems: {known}",
            expression=["system"],
        )
    return validator(value)
