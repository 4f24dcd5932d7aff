"""Unique Learner Number (ESFA ILR specification, derived data rule DD01).

Ten digits, the first not zero. Digits 1-9 weighted 10..2; remainder = sum mod 11;
a remainder of 0 is never issued, otherwise the tenth digit is 10 - remainder.
"""

import re
from typing import NewType

from cci_common.identifiers.result import ValidationResult

ULN = NewType("ULN", str)

SYSTEM = "https://fhir.education.gov.uk/Id/uln"

_WEIGHTS = range(10, 1, -1)


def normalise(value: str) -> str:
    return re.sub(r"\s", "", value)


def check_digit(first_nine: str) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


def validate(value: str) -> ValidationResult:
    normalised = normalise(value)
    if not normalised:
        return ValidationResult.invalid("ULN is empty")
    if not normalised.isascii() or not normalised.isdigit():
        return ValidationResult.invalid("ULN must contain only digits")
    if len(normalised) != 10:
        return ValidationResult.invalid(
            f"ULN must have 10 digits, not {len(normalised)}", normalised
        )
    if normalised[0] == "0":
        return ValidationResult.invalid("ULN cannot start with 0", normalised)
    expected = check_digit(normalised[:9])
    if expected is None:
        return ValidationResult.invalid(
            "ULN is invalid: no check digit exists for its first nine digits", normalised
        )
    if int(normalised[9]) != expected:
        return ValidationResult.invalid(
            f"ULN check digit is {normalised[9]} but should be {expected}", normalised
        )
    return ValidationResult.ok(normalised)
