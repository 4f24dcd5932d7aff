"""NHS number: ten digits, the tenth a modulus-11 check digit.

Rule (NHS Data Dictionary, "NHS Number"): multiply digits 1-9 by weights 10..2,
take 11 - (sum mod 11); 11 becomes 0 and 10 means the number is invalid.
"""

import random
import re
from typing import NewType

from cci_common.identifiers.result import ValidationResult

NHSNumber = NewType("NHSNumber", str)

SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
TEST_RANGE = (9990000000, 9999999999)

_SEPARATORS = re.compile(r"[\s-]")
_WEIGHTS = range(10, 1, -1)


def normalise(value: str) -> str:
    """Drop the spaces and hyphens people type; keep everything else for validation."""
    return _SEPARATORS.sub("", value)


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no digit makes them valid."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True))
    remainder = 11 - total % 11
    if remainder == 11:
        return 0
    if remainder == 10:
        return None
    return remainder


def validate(value: str) -> ValidationResult:
    normalised = normalise(value)
    if not normalised:
        return ValidationResult.invalid("NHS number is empty")
    if not normalised.isascii() or not normalised.isdigit():
        return ValidationResult.invalid("NHS number must contain only digits, spaces and hyphens")
    if len(normalised) != 10:
        return ValidationResult.invalid(
            f"NHS number must have 10 digits, not {len(normalised)}", normalised
        )
    expected = check_digit(normalised[:9])
    if expected is None:
        return ValidationResult.invalid(
            "NHS number is invalid: no check digit exists for its first nine digits", normalised
        )
    if int(normalised[9]) != expected:
        return ValidationResult.invalid(
            f"NHS number check digit is {normalised[9]} but should be {expected}", normalised
        )
    return ValidationResult.ok(normalised)


def is_valid(value: str) -> bool:
    return validate(value).valid


def parse(value: str) -> NHSNumber | None:
    """The canonical NHS number, or None when `value` is not a valid one."""
    result = validate(value)
    return NHSNumber(result.normalised) if result.valid and result.normalised else None


def format_nhs_number(value: str) -> str:
    """Present as 3-3-4 digits (`943 476 5919`), the way NHS staff read them."""
    digits = normalise(value)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def generate(rng: random.Random, low: int = TEST_RANGE[0], high: int = TEST_RANGE[1]) -> NHSNumber:
    """A random valid NHS number in [low, high]; the default is the 999 test range."""
    while True:
        candidate = rng.randint(low // 10, high // 10)
        first_nine = f"{candidate:09d}"
        digit = check_digit(first_nine)
        if digit is None:
            continue
        number = int(first_nine + str(digit))
        if low <= number <= high:
            return NHSNumber(f"{number:010d}")
